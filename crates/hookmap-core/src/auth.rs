//! Secrets that authenticate callers: API keys and the admin token.
//!
//! Keys are stored only as SHA-256 digests, and compared digest to digest in constant time, so
//! neither storage nor timing reveals a key.

use std::fmt::{self, Write as _};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::vocabulary::vocabulary;

vocabulary! {
    /// Where an incoming webhook's sender presents its API key.
    pub enum ApiKeyPlace {
        /// `x-api-key`, or `Authorization: Bearer`.
        Header = "header",
        /// `?api_key=` in the URL, for senders that cannot set a header (proxies log URLs, so a
        /// header is better; a key in the URL of a header webhook is refused, not used).
        Query = "query",
    }
}

/// The hex SHA-256 digest under which a secret is stored.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `presented` is the secret whose digest is `stored_digest`, in time independent of
/// where the two differ.
pub fn verify(presented: &str, stored_digest: &str) -> bool {
    digest(presented)
        .as_bytes()
        .ct_eq(stored_digest.as_bytes())
        .into()
}

/// Whether two secrets are equal, comparing their digests so that neither length nor content
/// leaks through timing.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    verify(a, &digest(b))
}

/// Lower-case hex, for digests and random identifiers.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A secret shown once at creation and otherwise kept out of logs: `Debug` prints no part of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for the one response that reveals it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_the_sha256_test_vector() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verify_accepts_only_the_secret() {
        let stored = digest("hm_live_key");
        assert!(verify("hm_live_key", &stored));
        assert!(!verify("hm_live_kez", &stored));
        assert!(!verify("", &stored));
        assert!(secrets_equal("a", "a") && !secrets_equal("a", "ab"));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let s = Secret::new("hm_supersecret".into());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose(), "hm_supersecret");
    }
}
