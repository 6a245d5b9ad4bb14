//! Standard Webhooks signatures for outgoing deliveries
//! (<https://www.standardwebhooks.com/>): `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 part of a `whsec_...` secret.
//! During a secret rotation both secrets sign, space-separated, so receivers may switch at leisure.
//! Incoming requests signed this way are verified by its scheme ([`crate::schemes`]).

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

/// The test vector published with the Standard Webhooks specification (and Svix's libraries).
#[cfg(test)]
pub(crate) mod published {
    pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    pub const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    pub const TIMESTAMP: i64 = 1_614_265_330;
    pub const BODY: &[u8] = br#"{"test": 2432232314}"#;
    pub const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::published::*;
    use super::*;

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
