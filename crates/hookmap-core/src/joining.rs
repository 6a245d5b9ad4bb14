//! What a webhook does with a delivery for a member who has not joined yet (issue 28): the
//! policy, and the rules that decide a delivery's fate when storage finds no such member.
//!
//! Storage alone knows whether a member exists (the apply batch's trigger refuses an unknown one),
//! so the rule is asked only after that refusal. A held delivery is kept `pending` with the reason
//! [`HELD_REASON`] and applies, through the replay path, when a member with its identifier is
//! created; one still held when retention drops its payload fails with [`NEVER_JOINED`].

use crate::vocabulary::vocabulary;
use crate::MatchBy;

vocabulary! {
    /// A webhook's `on_unknown_member`.
    #[derive(Default)]
    pub enum OnUnknownMember {
        /// The delivery fails with `unknown_member` (the default).
        #[default]
        Fail = "fail",
        /// The delivery is kept pending until a member with its email or username is created,
        /// and then applies once.
        Hold = "hold",
    }
}

/// The reason (`error_code`) a held delivery is kept pending with.
pub const HELD_REASON: &str = "member_unknown";

/// The code a held delivery fails with once retention drops its payload: it can no longer apply.
pub const NEVER_JOINED: &str = "member_never_joined";

/// What becomes of a delivery whose member storage does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// It fails with `unknown_member`.
    Fail,
    /// It is recorded as held.
    Hold,
    /// It is a replay of a delivery that is held already: it stays as it is, and nothing is
    /// recorded (a bulk replay or an admin's replay before the member joined).
    StillHeld,
}

/// The rule: `policy` holds only for a proved sender (the webhook's API key or signature, or an
/// admin's replay). On a webhook that checks neither, anyone holding the URL could otherwise fill
/// the community's held deliveries and have them apply to whoever joins under those names.
pub fn unknown_member(
    policy: OnUnknownMember,
    sender_proved: bool,
    replay_of_held: bool,
) -> Unknown {
    match (policy, sender_proved, replay_of_held) {
        (OnUnknownMember::Fail, ..) | (OnUnknownMember::Hold, false, _) => Unknown::Fail,
        (OnUnknownMember::Hold, true, true) => Unknown::StillHeld,
        (OnUnknownMember::Hold, true, false) => Unknown::Hold,
    }
}

/// What the sender and the history are told of a held delivery.
pub fn held_message(by: MatchBy, value: &str) -> String {
    format!(
        "no member of this community has the {} {value:?} yet: the delivery is held and applies \
         once when they join",
        by.as_str()
    )
}

/// What the history says of a held delivery retention gave up on.
pub fn never_joined_message() -> &'static str {
    "no member joined under this delivery's identifier before its payload was dropped \
     (payload_days): it can no longer apply; have the sender send it again"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_holds_only_for_a_proved_sender_and_never_twice() {
        use OnUnknownMember::{Fail, Hold};
        for proved in [false, true] {
            for held in [false, true] {
                assert_eq!(unknown_member(Fail, proved, held), Unknown::Fail);
            }
        }
        assert_eq!(unknown_member(Hold, false, false), Unknown::Fail);
        assert_eq!(unknown_member(Hold, false, true), Unknown::Fail);
        assert_eq!(unknown_member(Hold, true, false), Unknown::Hold);
        assert_eq!(unknown_member(Hold, true, true), Unknown::StillHeld);
    }

    #[test]
    fn the_default_policy_fails_and_names_parse() {
        assert_eq!(OnUnknownMember::default(), OnUnknownMember::Fail);
        assert_eq!(OnUnknownMember::parse("hold"), Some(OnUnknownMember::Hold));
        assert_eq!(OnUnknownMember::parse("create"), None);
        assert!(
            held_message(MatchBy::Email, "ann@example.com").contains("email \"ann@example.com\"")
        );
    }
}
