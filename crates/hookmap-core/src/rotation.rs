//! A sender's signing secret being rotated: the new secret verifies at once, and the one it
//! replaced keeps verifying for a grace period, so that a sender who has not switched yet (a
//! deploy away, or a provider that rolls its own secret) is not locked out. An admin rotating
//! because a secret leaked sets the grace to 0.

use crate::error::Result;
use crate::profile::{Profile, Verified};

/// How long a replaced secret verifies when the rotation does not say: a day, as a rotated
/// subscription secret keeps signing.
pub const DEFAULT_GRACE_HOURS: u32 = 24;

/// The longest grace a rotation may give: a week.
pub const MAX_GRACE_HOURS: u32 = 168;

/// A replaced secret as stored (`secret`, sealed or not, and the end of its grace) while it
/// still verifies at `now`: both instants ISO 8601 in UTC with milliseconds, which order as text.
pub fn in_grace<'a>(
    secret: Option<&'a str>,
    until: Option<&'a str>,
    now: &str,
) -> Option<(&'a str, &'a str)> {
    secret.zip(until).filter(|(_, until)| *until > now)
}

/// When a secret or key replaced at `now_ms` stops working, given `hours` of grace (in
/// milliseconds since the epoch); None for no grace at all, as after a leak.
pub fn grace_ends(now_ms: u64, hours: u32) -> Option<u64> {
    (hours > 0).then(|| now_ms.saturating_add(u64::from(hours) * 3_600_000))
}

/// Verifies a request with `secret`, then with `previous` (the secret it replaced, given only while
/// its grace lasts). When neither verifies, the error is the current secret's: a sender is told
/// what the webhook expects now.
pub fn verify(
    profile: &Profile,
    secret: &str,
    previous: Option<&str>,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    now: i64,
) -> Result<Verified> {
    let current = profile.verify(secret, header, body, now);
    match (current, previous) {
        (Err(e), Some(previous)) => profile.verify(previous, header, body, now).map_err(|_| e),
        (current, _) => current,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::profile::STANDARD_WEBHOOKS;
    use crate::signature;

    const NEW: &str = "whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldw==";
    const OLD: &str = "whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZA==";
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn a_grace_ends_hours_later_and_zero_hours_is_none() {
        assert_eq!(grace_ends(1_000, 0), None);
        assert_eq!(grace_ends(1_000, 24), Some(1_000 + 24 * 3_600_000));
        assert_eq!(grace_ends(u64::MAX, 1), Some(u64::MAX));
    }

    fn headers(secret: &str, body: &[u8]) -> impl Fn(&str) -> Option<String> {
        let sig = signature::sign(secret, "msg_1", NOW, body).unwrap();
        move |name: &str| match name {
            "webhook-id" => Some("msg_1".to_owned()),
            "webhook-timestamp" => Some(NOW.to_string()),
            "webhook-signature" => Some(sig.clone()),
            _ => None,
        }
    }

    #[test]
    fn the_replaced_secret_verifies_only_while_it_is_given() {
        let body = b"{\"n\": 1}";
        let by_old = headers(OLD, body);
        let p = STANDARD_WEBHOOKS;
        assert!(verify(&p, NEW, Some(OLD), &by_old, body, NOW).is_ok());
        // Its grace over, the caller gives it no more: the current secret's refusal.
        let refused = verify(&p, NEW, None, &by_old, body, NOW).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InvalidSignature);
        // The new secret verifies, with or without the old one beside it.
        let by_new = headers(NEW, body);
        assert!(verify(&p, NEW, Some(OLD), &by_new, body, NOW).is_ok());
        assert!(verify(&p, NEW, None, &by_new, body, NOW).is_ok());
    }

    #[test]
    fn a_grace_ends_at_its_instant() {
        let until = Some("2026-11-30T12:00:00.000Z");
        let kept = in_grace(Some("sealed"), until, "2026-11-30T11:59:59.999Z");
        assert_eq!(kept, Some(("sealed", "2026-11-30T12:00:00.000Z")));
        assert_eq!(
            in_grace(Some("sealed"), until, "2026-11-30T12:00:00.000Z"),
            None
        );
        assert_eq!(
            in_grace(Some("sealed"), until, "2026-12-01T00:00:00.000Z"),
            None
        );
        // Half of one (a secret without its end, or an end without its secret) is none.
        assert_eq!(
            in_grace(Some("sealed"), None, "2026-11-30T11:00:00.000Z"),
            None
        );
        assert_eq!(in_grace(None, until, "2026-11-30T11:00:00.000Z"), None);
    }

    #[test]
    fn a_secret_neither_current_nor_replaced_is_refused_with_the_current_ones_reason() {
        let body = b"{\"n\": 1}";
        let other = "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==";
        let by_other = headers(other, body);
        let p = STANDARD_WEBHOOKS;
        let both = verify(&p, NEW, Some(OLD), &by_other, body, NOW).unwrap_err();
        let alone = p.verify(NEW, &by_other, body, NOW).unwrap_err();
        assert_eq!(both, alone);
        // Tampering with the body fails under the replaced secret too.
        let by_old = headers(OLD, body);
        assert!(verify(&p, NEW, Some(OLD), &by_old, b"{\"n\": 2}", NOW).is_err());
    }
}
