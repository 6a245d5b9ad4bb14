//! Secrets at rest: encryption keys and signing secrets are stored in D1 (and cached in KV) only
//! sealed with AES-256-GCM under the deployment's `SECRETS_KEY`, each with its own random nonce.
//! A stolen database dump or cache entry reveals no secret without the worker's key.
//!
//! Stored form: `sealed:v1:` + base64(nonce ‖ ciphertext ‖ tag). A value without the prefix is a
//! row written before sealing existed; it is read as it is and sealed on its next write.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::error::{Error, ErrorKind, Result};

pub const PREFIX: &str = "sealed:v1:";
pub const NONCE_LEN: usize = 12;

/// The deployment's key for secrets at rest. Its Debug output never shows it.
#[derive(Clone)]
pub struct SecretsKey(Aes256Gcm);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(<redacted>)")
    }
}

impl SecretsKey {
    /// `text`: base64 of exactly 32 random bytes (`openssl rand -base64 32`).
    pub fn parse(text: &str) -> Result<Self> {
        let bytes = B64.decode(text.trim()).map_err(|_| bad_key())?;
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| bad_key())?;
        Ok(Self(cipher))
    }

    /// Seals `plaintext` with `nonce`, which must never repeat under this key (use 12 random bytes).
    pub fn seal(&self, plaintext: &str, nonce: &[u8; NONCE_LEN]) -> Result<String> {
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(nonce), plaintext.as_bytes())
            .map_err(|_| Error::new(ErrorKind::InvalidEncryption, "sealing a secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", B64.encode(out)))
    }

    /// Opens a stored value; an unsealed (legacy) value is returned as it is.
    pub fn open(&self, stored: &str) -> Result<String> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let unreadable = || {
            Error::new(
                ErrorKind::TagMismatch,
                "a stored secret does not open with this SECRETS_KEY",
            )
        };
        let bytes = B64.decode(encoded).map_err(|_| unreadable())?;
        let (nonce, sealed) = bytes.split_at_checked(NONCE_LEN).ok_or_else(unreadable)?;
        let plain = self
            .0
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

fn bad_key() -> Error {
    Error::new(
        ErrorKind::InvalidEncryption,
        "SECRETS_KEY must be base64 of exactly 32 bytes (openssl rand -base64 32)",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretsKey {
        SecretsKey::parse(&B64.encode([byte; 32])).unwrap()
    }

    #[test]
    fn sealed_secrets_open_only_under_their_key() {
        let sealed = key(1)
            .seal("k3y-of-32-characters-exactly!!!!", &[7; 12])
            .unwrap();
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("k3y"));
        assert_eq!(
            key(1).open(&sealed).unwrap(),
            "k3y-of-32-characters-exactly!!!!"
        );
        assert_eq!(key(2).open(&sealed).unwrap_err().code(), "tag_mismatch");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(key(1).open(&tampered).is_err());
        assert!(key(1).open("sealed:v1:AAAA").is_err());
    }

    #[test]
    fn distinct_nonces_give_distinct_ciphertexts_and_legacy_values_pass() {
        let k = key(3);
        assert_ne!(
            k.seal("same", &[1; 12]).unwrap(),
            k.seal("same", &[2; 12]).unwrap()
        );
        assert_eq!(k.open("{\"legacy\":true}").unwrap(), "{\"legacy\":true}");
        assert!(SecretsKey::parse("too short").is_err());
        assert!(SecretsKey::parse(&B64.encode([0u8; 16])).is_err());
        assert_eq!(format!("{k:?}"), "SecretsKey(<redacted>)");
    }
}
