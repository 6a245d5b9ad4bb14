//! What a webhook does with a delivery for a member who has not joined yet (issue 28): the
//! policy, and the rules that decide a delivery's fate when storage finds no such member.
//!
//! Storage alone knows whether a member exists (the apply batch's trigger refuses an unknown one),
//! so the rule is asked only after that refusal. A held delivery is kept `pending` with the reason
//! [`HELD_REASON`] and applies, through the replay path, when a member with its identifier is
//! created; one still held when retention drops its payload fails with [`NEVER_JOINED`].

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::mapping::UserMatch;
use crate::plan::MemberRef;
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
        /// The member is created from the payload (the identifier matched on, and the other one
        /// at the mapping's `user.create` path) in the delivery's own batch, within the
        /// community's `members_per_hour` quota; the delivery then applies to them.
        Create = "create",
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
    /// The member is created in the delivery's batch.
    Create,
    /// It is a replay of a delivery that is held already: it stays as it is, and nothing is
    /// recorded (a bulk replay or an admin's replay before the member joined).
    StillHeld,
}

/// The rule: `policy` holds or creates only for a proved sender (the webhook's API key or signature, or an
/// admin's replay). On a webhook that checks neither, anyone holding the URL could otherwise fill
/// the community's held deliveries and have them apply to whoever joins under those names.
pub fn unknown_member(
    policy: OnUnknownMember,
    sender_proved: bool,
    replay_of_held: bool,
) -> Unknown {
    match (policy, sender_proved, replay_of_held) {
        (OnUnknownMember::Fail, ..)
        | (OnUnknownMember::Hold | OnUnknownMember::Create, false, _) => Unknown::Fail,
        (OnUnknownMember::Hold, true, true) => Unknown::StillHeld,
        (OnUnknownMember::Hold, true, false) => Unknown::Hold,
        (OnUnknownMember::Create, true, _) => Unknown::Create,
    }
}

/// The longest email and username a member may have, in characters (the users API's limits).
pub const MAX_EMAIL: usize = 254;
pub const MAX_USERNAME: usize = 64;

/// Trimmed, 1 to `max` characters: the users API's rule for its text members.
fn bounded(text: &str, max: usize) -> std::result::Result<&str, String> {
    let text = text.trim();
    match text.is_empty() || text.chars().count() > max {
        true => Err(format!("must be 1 to {max} characters")),
        false => Ok(text),
    }
}

/// An email as a member's, as `POST .../users` takes it: trimmed, 1 to [`MAX_EMAIL`] characters,
/// ASCII letters lowercased, with an `@` that neither starts nor ends it. The error is a
/// sentence about `text`.
pub fn member_email(text: &str) -> std::result::Result<String, String> {
    let email = bounded(text, MAX_EMAIL)?.to_ascii_lowercase();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(format!("{email:?} is not an email address"));
    }
    Ok(email)
}

/// A username as a member's, as `POST .../users` takes it: trimmed, 1 to [`MAX_USERNAME`]
/// characters.
pub fn member_username(text: &str) -> std::result::Result<String, String> {
    bounded(text, MAX_USERNAME).map(str::to_owned)
}

/// A member to create for a delivery (`on_unknown_member: "create"`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewMember {
    pub email: String,
    pub username: String,
}

/// The member a delivery would create: the identifier its plan matched on (`member`), and the
/// other one at the mapping's `user.create` path, each checked as the users API checks them.
/// Fails with `invalid_member` (naming the place) when either is missing or invalid, or when the
/// mapping names no `user.create` path.
pub fn new_member(user: &UserMatch, member: &MemberRef, payload: &Value) -> Result<NewMember> {
    let Some(create) = &user.create else {
        return Err(Error::new(
            ErrorKind::InvalidMember,
            "the webhook creates members who have not joined, but its mapping names no \
             user.create path for the new member's other identifier",
        )
        .at("user.create"));
    };
    let at = format!("user.create.{}", create.of.as_str());
    let other = match create.path.lookup(payload) {
        Some(Value::String(text)) => text.as_str(),
        Some(_) => {
            return Err(Error::new(
                ErrorKind::InvalidMember,
                format!(
                    "{at}: the value at {:?} is not a string",
                    create.path.as_str()
                ),
            )
            .at(at))
        }
        None => {
            return Err(Error::new(
                ErrorKind::InvalidMember,
                format!(
                    "{at}: the payload has nothing at {:?}",
                    create.path.as_str()
                ),
            )
            .at(at))
        }
    };
    let (email, username) = match member.by {
        MatchBy::Email => (member.value.as_str(), other),
        MatchBy::Username => (other, member.value.as_str()),
    };
    let invalid = |what: &str, at: &str, why: String| {
        Error::new(
            ErrorKind::InvalidMember,
            format!("the new member's {what} {why}"),
        )
        .at(at)
    };
    let place = |of: MatchBy| match member.by == of {
        true => "user.path".to_owned(),
        false => at.clone(),
    };
    Ok(NewMember {
        email: member_email(email).map_err(|why| invalid("email", &place(MatchBy::Email), why))?,
        username: member_username(username)
            .map_err(|why| invalid("username", &place(MatchBy::Username), why))?,
    })
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
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
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
        assert_eq!(
            unknown_member(OnUnknownMember::Create, false, false),
            Unknown::Fail
        );
        assert_eq!(
            unknown_member(OnUnknownMember::Create, true, false),
            Unknown::Create
        );
        assert_eq!(unknown_member(Hold, false, true), Unknown::Fail);
        assert_eq!(unknown_member(Hold, true, false), Unknown::Hold);
        assert_eq!(unknown_member(Hold, true, true), Unknown::StillHeld);
    }

    fn user(value: serde_json::Value) -> UserMatch {
        let mapping = serde_json::json!({"user": value, "fields": [{"target": {"currency": "coins"}, "op": "add", "path": "n"}]});
        crate::Mapping::parse(&mapping, &crate::Catalog::default())
            .unwrap()
            .user
            .unwrap()
    }

    fn by_email(value: &str) -> MemberRef {
        MemberRef {
            by: MatchBy::Email,
            value: value.into(),
        }
    }

    #[test]
    fn a_new_member_takes_the_matched_identifier_and_the_other_one_checked_as_the_users_api_does() {
        let u =
            user(serde_json::json!({"match": "email", "path": "e", "create": {"username": "n"}}));
        let payload = serde_json::json!({"e": "Ann@Example.com", "n": "ann"});
        assert_eq!(
            new_member(&u, &by_email("ann@example.com"), &payload).unwrap(),
            NewMember {
                email: "ann@example.com".into(),
                username: "ann".into()
            }
        );
        let invalid = new_member(&u, &by_email("not-an-email"), &payload).unwrap_err();
        assert_eq!(invalid.kind(), ErrorKind::InvalidMember);
        assert_eq!(invalid.location(), Some("user.path"));
        let long = serde_json::json!({"n": "x".repeat(65)});
        let e = new_member(&u, &by_email("ann@example.com"), &long).unwrap_err();
        assert_eq!(e.location(), Some("user.create.username"));
        let e = new_member(&u, &by_email("ann@example.com"), &serde_json::json!({})).unwrap_err();
        assert_eq!(e.location(), Some("user.create.username"));
        let by_name =
            user(serde_json::json!({"match": "username", "path": "n", "create": {"email": "e"}}));
        let m = MemberRef {
            by: MatchBy::Username,
            value: "ann".into(),
        };
        let bad = serde_json::json!({"e": "@example.com"});
        assert_eq!(
            new_member(&by_name, &m, &bad).unwrap_err().location(),
            Some("user.create.email")
        );
        let none = user(serde_json::json!({"match": "email", "path": "e"}));
        assert_eq!(
            new_member(&none, &by_email("a@b.c"), &payload)
                .unwrap_err()
                .location(),
            Some("user.create")
        );
    }

    #[test]
    fn user_create_names_the_other_identifier_only() {
        let mapping = |create: serde_json::Value| {
            serde_json::json!({"user": {"match": "email", "path": "e", "create": create},
                               "fields": [{"target": {"currency": "coins"}, "op": "add", "path": "n"}]})
        };
        let catalog = crate::Catalog::default();
        let e = crate::Mapping::parse(&mapping(serde_json::json!({"email": "x"})), &catalog)
            .unwrap_err();
        assert_eq!(e.location(), Some("user.create.email"));
        let e = crate::Mapping::parse(&mapping(serde_json::json!({})), &catalog).unwrap_err();
        assert_eq!(e.location(), Some("user.create.username"));
        let m = crate::Mapping::parse(
            &mapping(serde_json::json!({"username": "u.name"})),
            &catalog,
        )
        .unwrap();
        assert_eq!(
            m.to_value()["user"]["create"],
            serde_json::json!({"username": "u.name"})
        );
    }

    #[test]
    fn member_identifiers_are_checked_as_the_users_api_checks_them() {
        assert_eq!(
            member_email(" Ann@Example.COM "),
            Ok("ann@example.com".into())
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            &format!("{}@x", "a".repeat(254)),
        ] {
            assert!(member_email(bad).is_err(), "{bad}");
        }
        assert_eq!(member_username(" Ann B "), Ok("Ann B".into()));
        assert_eq!(member_username(&"é".repeat(64)), Ok("é".repeat(64)));
        assert!(member_username(" ").is_err());
        assert!(member_username(&"x".repeat(65)).is_err());
    }

    #[test]
    fn the_default_policy_fails_and_names_parse() {
        assert_eq!(OnUnknownMember::default(), OnUnknownMember::Fail);
        assert_eq!(OnUnknownMember::parse("hold"), Some(OnUnknownMember::Hold));
        assert_eq!(
            OnUnknownMember::parse("create"),
            Some(OnUnknownMember::Create)
        );
        assert!(
            held_message(MatchBy::Email, "ann@example.com").contains("email \"ann@example.com\"")
        );
    }
}
