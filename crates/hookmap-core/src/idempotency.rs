//! Which idempotency key a delivery is applied under: one key per delivery, from the source the
//! sender cannot re-choose when replaying a captured request.
//!
//! - A signed webhook: the provider's delivery id of the verified request (`webhook-id`, a Stripe
//!   event's `id`, `X-GitHub-Delivery`, ...; see [`crate::profile`]). Any other key beside it could
//!   be changed by whoever holds a captured request, so a different `Idempotency-Key` is refused
//!   rather than ignored. Where the signature does not cover the id, the signed content's guard
//!   is claimed beside it, so a fresh id on captured bytes applies nothing.
//! - Else the mapping's `idempotency_path`: the key is in the payload (inside the encryption, when
//!   there is one). A header naming another key is refused for the same reason.
//! - Else the `Idempotency-Key` header, else an (unsigned) `webhook-id` header.
//!
//! A conflict is refused, not resolved by precedence: a sender whose two keys disagree has a bug
//! worth hearing about, and an attacker gains nothing by trying.

use crate::error::{Error, ErrorKind, Result};

/// Longest idempotency key, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// The keys one delivery carries, by where they come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keys<'a> {
    /// The provider's delivery id of a request whose signature verified.
    pub signed: Option<&'a str>,
    /// `Idempotency-Key`, else an unsigned `webhook-id`: what the sender may pick freely. A replay
    /// passes the key its delivery was stored with here.
    pub header: Option<&'a str>,
    /// The value at the mapping's `idempotency_path`, when the mapping has one.
    pub payload: Option<&'a str>,
}

/// The key the delivery applies under (`None`: it carries none), or why the keys are refused.
pub fn resolve(keys: Keys<'_>) -> Result<Option<String>> {
    let header = keys.header.map(str::trim);
    for key in header.iter().chain(&keys.signed) {
        check(key)?;
    }
    let (authoritative, what) = match (keys.signed, keys.payload) {
        (Some(signed), _) => (signed, "the signed webhook-id"),
        (None, Some(payload)) => (payload, "the key at the mapping's idempotency_path"),
        (None, None) => return Ok(header.map(str::to_owned)),
    };
    match header {
        Some(header) if header != authoritative => Err(Error::new(
            ErrorKind::IdempotencyConflict,
            format!(
                "the idempotency key header {header:?} differs from {what} ({authoritative:?}); \
                 send the same key or none"
            ),
        )),
        _ => Ok(Some(authoritative.to_owned())),
    }
}

/// The key a replay applies under: the key its delivery was stored with, unless the mapping now
/// reads one from the payload. Whatever a later retry of the same request would be keyed by, the
/// replay takes: a signed retry by its `webhook-id` (which is what was stored), any other by the
/// payload's key when the mapping has `idempotency_path` (a header disagreeing with it is refused),
/// else by its header (which is what was stored).
pub fn for_replay(
    stored: Option<&str>,
    signed_webhook: bool,
    payload: Option<&str>,
) -> Option<String> {
    match (signed_webhook, payload) {
        (true, _) | (false, None) => stored.or(payload),
        (false, Some(payload)) => Some(payload),
    }
    .map(str::to_owned)
}

fn check(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::new(
            ErrorKind::InvalidIdempotencyKey,
            format!(
                "an idempotency key (or a signed delivery id) must be 1 to {MAX_KEY_LEN} bytes"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys<'a>(
        signed: Option<&'a str>,
        header: Option<&'a str>,
        payload: Option<&'a str>,
    ) -> Keys<'a> {
        Keys {
            signed,
            header,
            payload,
        }
    }

    #[test]
    fn one_source_gives_its_key() {
        assert_eq!(resolve(keys(None, None, None)).unwrap(), None);
        assert_eq!(
            resolve(keys(None, Some(" k "), None)).unwrap().as_deref(),
            Some("k")
        );
        assert_eq!(
            resolve(keys(Some("msg_1"), None, None)).unwrap().as_deref(),
            Some("msg_1")
        );
        assert_eq!(
            resolve(keys(None, None, Some("A-1"))).unwrap().as_deref(),
            Some("A-1")
        );
    }

    #[test]
    fn a_signed_id_outranks_the_payload_and_a_header_must_agree() {
        assert_eq!(
            resolve(keys(Some("msg_1"), None, Some("A-1")))
                .unwrap()
                .as_deref(),
            Some("msg_1")
        );
        assert_eq!(
            resolve(keys(Some("msg_1"), Some("msg_1"), None))
                .unwrap()
                .as_deref(),
            Some("msg_1")
        );
        let e = resolve(keys(Some("msg_1"), Some("fresh"), None)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdempotencyConflict);
        assert!(e.message().contains("signed webhook-id"), "{e}");
    }

    #[test]
    fn a_header_never_overrides_the_payload_key() {
        let e = resolve(keys(None, Some("fresh"), Some("A-1"))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdempotencyConflict);
        assert!(e.message().contains("idempotency_path"), "{e}");
        assert_eq!(
            resolve(keys(None, Some("A-1"), Some("A-1")))
                .unwrap()
                .as_deref(),
            Some("A-1")
        );
    }

    #[test]
    fn a_replay_takes_the_key_a_retry_would_carry() {
        assert_eq!(
            for_replay(Some("msg_1"), true, Some("A-1")).as_deref(),
            Some("msg_1")
        );
        assert_eq!(
            for_replay(Some("K"), false, Some("A-1")).as_deref(),
            Some("A-1")
        );
        assert_eq!(for_replay(Some("K"), false, None).as_deref(), Some("K"));
        assert_eq!(for_replay(None, false, Some("A-1")).as_deref(), Some("A-1"));
        assert_eq!(for_replay(None, true, None), None);
    }

    #[test]
    fn header_keys_have_a_length() {
        for bad in ["", "  ", &"k".repeat(MAX_KEY_LEN + 1)] {
            let e = resolve(keys(None, Some(bad), None)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidIdempotencyKey, "{bad:?}");
        }
        assert!(resolve(keys(None, Some(&"k".repeat(MAX_KEY_LEN)), None)).is_ok());
        // A provider's id beside its signature may be unsigned (X-GitHub-Delivery): bounded too.
        let long = "k".repeat(MAX_KEY_LEN + 1);
        let e = resolve(keys(Some(&long), None, None)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidIdempotencyKey);
    }
}
