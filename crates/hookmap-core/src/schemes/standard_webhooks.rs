//! Standard Webhooks (<https://www.standardwebhooks.com/>), the scheme hookmap signs its own
//! deliveries with ([`crate::signature`]): `webhook-signature: v1,<base64>` entries, space-separated
//! (several while a secret rotates), over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with
//! the base64 part of a `whsec_...` secret. The id is signed, so it alone keys the delivery.

use super::signed::{fresh, refused, Signed, Verified};
use super::descriptor::{Descriptor, SecretForm, Verifier};
use crate::auth::secrets_equal;
use crate::error::Result;
use crate::signature;

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "standard_webhooks",
    label: "Standard Webhooks",
    headers: &[NAMES.signature, NAMES.timestamp, NAMES.id],
    setup: "Give the sender the generated whsec_ secret; it signs each request with webhook-id, webhook-timestamp and webhook-signature (any Standard Webhooks library does).",
    secret: SecretForm::Whsec,
    generates_secret: true,
    verifier: Verifier::Fixed(|request| verify_as(&NAMES, request)),
};

/// The three headers Standard Webhooks' algorithm travels in: its own names, or a sender's.
pub(super) struct Names {
    pub id: &'static str,
    pub timestamp: &'static str,
    pub signature: &'static str,
}

const NAMES: Names = Names {
    id: "webhook-id",
    timestamp: "webhook-timestamp",
    signature: "webhook-signature",
};

/// Verifies a request signed as Standard Webhooks signs, in the headers `names`: the timestamp
/// within [`super::TOLERANCE_SECS`] of the clock (so a captured request cannot be sent again
/// later), and any one `v1,` entry made with the secret, compared in constant time.
pub(super) fn verify_as(names: &Names, request: &Signed<'_>) -> Result<Verified> {
    let id = request.required(names.id)?;
    let timestamp = request.required(names.timestamp)?;
    let signatures = request.required(names.signature)?;
    let ts = fresh(&timestamp, request.now, names.timestamp)?;
    let expected = signature::sign(request.secret, &id, ts, request.body)?;
    let matched = signatures
        .split(' ')
        .filter(|s| s.starts_with("v1,"))
        .any(|s| secrets_equal(s, &expected));
    if !matched {
        return Err(refused(format!(
            "no {} matches this webhook's signing secret",
            names.signature
        )));
    }
    Ok(Verified::signed_id(id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::schemes::TOLERANCE_SECS;
    use crate::signature::published::*;

    fn verify(id: &str, timestamp: &str, signatures: &str, now: i64) -> Result<Verified> {
        let (id, timestamp, signatures) = (id.to_owned(), timestamp.to_owned(), signatures.to_owned());
        let header = move |name: &str| match name {
            "webhook-id" => Some(id.clone()),
            "webhook-timestamp" => Some(timestamp.clone()),
            "webhook-signature" => Some(signatures.clone()),
            _ => None,
        };
        let request = Signed {
            scheme: SCHEME.name,
            secret: SECRET,
            header: &header,
            body: BODY,
            now,
        };
        verify_as(&NAMES, &request)
    }

    #[test]
    fn verifies_the_vector_within_the_tolerance_only() {
        let ok = |sigs: &str, now: i64| verify(MSG_ID, "1614265330", sigs, now);
        assert_eq!(
            ok(EXPECTED, TIMESTAMP).unwrap(),
            Verified::signed_id(MSG_ID.to_owned())
        );
        assert!(ok(
            &format!("v1,bm9wZQ== {EXPECTED}"),
            TIMESTAMP + TOLERANCE_SECS
        )
        .is_ok());
        for (sigs, now) in [
            (EXPECTED, TIMESTAMP + TOLERANCE_SECS + 1),
            (EXPECTED, TIMESTAMP - TOLERANCE_SECS - 1),
            ("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", TIMESTAMP),
            ("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", TIMESTAMP),
            ("v1,", TIMESTAMP),
        ] {
            assert_eq!(
                ok(sigs, now).unwrap_err().code(),
                "invalid_signature",
                "{sigs} {now}"
            );
        }
        assert!(verify(MSG_ID, "soon", EXPECTED, TIMESTAMP).is_err());
        assert!(verify("msg_other", "1614265330", EXPECTED, TIMESTAMP).is_err());
    }
}
