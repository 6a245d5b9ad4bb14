//! Standard Webhooks signatures for outgoing deliveries
//! (<https://www.standardwebhooks.com/>): `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 part of a `whsec_...` secret.
//! During a secret rotation both secrets sign, space-separated, so receivers may switch at leisure.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, ErrorKind, Result};

/// The prefix of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a generated secret.
pub const SECRET_BYTES: usize = 24;

/// A secret from random bytes: `whsec_` + base64.
pub fn secret_from_bytes(bytes: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", B64.encode(bytes))
}

fn key(secret: &str) -> Result<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    B64.decode(encoded).map_err(|_| {
        Error::new(
            ErrorKind::InvalidEncryption,
            "a signing secret is whsec_ followed by base64",
        )
    })
}

/// One `v1,<base64>` signature.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)?).map_err(|_| {
        Error::new(
            ErrorKind::InvalidEncryption,
            "the signing key cannot be empty",
        )
    })?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` header value: one signature per secret, space-separated.
pub fn header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let signatures = secrets
        .iter()
        .map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Result<Vec<_>>>()?;
    Ok(signatures.join(" "))
}

/// Seconds a signed request may be older (or newer) than the receiver's clock.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Verifies a signed incoming request: `timestamp` within [`TOLERANCE_SECS`] of `now` (so a
/// captured request cannot be replayed later), and any one of the space-separated `v1,`
/// signatures made with `secret` (so a sender may rotate). Compared in constant time.
pub fn verify(
    secret: &str,
    msg_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<()> {
    let refused = |why: String| Error::new(ErrorKind::InvalidSignature, why);
    let ts: i64 = timestamp.trim().parse().map_err(|_| {
        refused(format!(
            "webhook-timestamp {timestamp:?} is not Unix seconds"
        ))
    })?;
    if (now - ts).abs() > TOLERANCE_SECS {
        return Err(refused(format!(
            "webhook-timestamp is {} s from now; at most {TOLERANCE_SECS} s are accepted",
            (now - ts).abs()
        )));
    }
    let expected = sign(secret, msg_id, ts, body)?;
    let matched = signatures
        .split(' ')
        .filter(|s| s.starts_with("v1,"))
        .any(|s| crate::auth::secrets_equal(s, &expected));
    if matched {
        Ok(())
    } else {
        Err(refused(
            "no webhook-signature matches this webhook's signing secret".into(),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    // The test vector published with the Standard Webhooks specification (and Svix's libraries).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn matches_the_specifications_test_vector() {
        assert_eq!(sign(SECRET, MSG_ID, TIMESTAMP, BODY).unwrap(), EXPECTED);
    }

    #[test]
    fn any_change_changes_the_signature() {
        let other = [
            sign(SECRET, "msg_other", TIMESTAMP, BODY),
            sign(SECRET, MSG_ID, TIMESTAMP + 1, BODY),
            sign(SECRET, MSG_ID, TIMESTAMP, br#"{"test": 2432232315}"#),
            sign(
                "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                MSG_ID,
                TIMESTAMP,
                BODY,
            ),
        ];
        for signature in other {
            assert_ne!(signature.unwrap(), EXPECTED);
        }
    }

    #[test]
    fn verifies_the_vector_within_the_tolerance_only() {
        let body = BODY;
        let ok = |sigs: &str, now: i64| verify(SECRET, MSG_ID, "1614265330", sigs, body, now);
        assert!(ok(EXPECTED, TIMESTAMP).is_ok());
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
            ("", TIMESTAMP),
        ] {
            assert_eq!(
                ok(sigs, now).unwrap_err().code(),
                "invalid_signature",
                "{sigs} {now}"
            );
        }
        assert!(verify(SECRET, MSG_ID, "soon", EXPECTED, body, TIMESTAMP).is_err());
        assert!(verify(SECRET, "msg_other", "1614265330", EXPECTED, body, TIMESTAMP).is_err());
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let next = secret_from_bytes(&[7; SECRET_BYTES]);
        let both = header(&[&next, SECRET], MSG_ID, TIMESTAMP, BODY).unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], EXPECTED);
        assert!(parts[0].starts_with("v1,"));
        assert!(sign("whsec_not base64!", MSG_ID, TIMESTAMP, BODY).is_err());
    }
}
