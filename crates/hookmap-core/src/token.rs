//! The secret part of an edge URL, `/hooks/{token}`, and what the edge remembers about tokens.
//!
//! A token is a bearer secret: storage holds only its SHA-256 digest (looked up) and a sealed copy
//! (shown to admins), so a copy of D1 or KV reveals no URL. Anything that is not the shape of an
//! issued token is refused before any lookup, and a token just found unknown is remembered for a
//! few seconds, so a flood of requests to unknown URLs costs storage nothing.

use std::collections::HashMap;

use crate::auth;

/// Issued tokens are 24 random bytes in lowercase hex.
pub const LEN: usize = 48;

/// Whether `token` has the shape of an issued token. Any other is an unknown URL without a lookup
/// (a long one would also exceed KV's 512-byte key limit, which KV answers with an error).
pub fn plausible(token: &str) -> bool {
    token.len() == LEN
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The hex SHA-256 digest under which a token is stored and cached. A token has 192 random bits,
/// so an unsalted digest cannot be reversed by guessing.
pub fn digest(token: &str) -> String {
    auth::digest(token)
}

/// Keys recently found missing, each for `ttl_ms`, at most `capacity` of them. Time is passed in
/// (the core has no clock).
///
/// Full of live entries, it forgets them all rather than growing: a flood of distinct unknown
/// tokens then costs what it would without the cache, and never the isolate's memory.
#[derive(Debug)]
pub struct MissCache {
    expiries: HashMap<String, u64>,
    ttl_ms: u64,
    capacity: usize,
}

impl MissCache {
    pub fn new(capacity: usize, ttl_ms: u64) -> Self {
        Self {
            expiries: HashMap::new(),
            ttl_ms,
            capacity,
        }
    }

    pub fn insert(&mut self, key: &str, now_ms: u64) {
        if self.expiries.len() >= self.capacity {
            self.expiries.retain(|_, expires| *expires > now_ms);
        }
        if self.expiries.len() >= self.capacity {
            self.expiries.clear();
        }
        self.expiries
            .insert(key.to_owned(), now_ms.saturating_add(self.ttl_ms));
    }

    /// Whether `key` was found missing less than the TTL ago.
    pub fn contains(&self, key: &str, now_ms: u64) -> bool {
        self.expiries
            .get(key)
            .is_some_and(|expires| *expires > now_ms)
    }

    /// Forgets `key`: it exists now (a webhook was just created with it).
    pub fn remove(&mut self, key: &str) {
        self.expiries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.expiries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expiries.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    const ISSUED: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn only_the_shape_of_an_issued_token_is_plausible() {
        assert!(plausible(ISSUED));
        for bad in [
            "",
            "a",
            &ISSUED[1..],
            &format!("{ISSUED}0"),
            &ISSUED.to_uppercase(),
            &format!("{}g", &ISSUED[1..]),
            &format!("{} ", &ISSUED[1..]),
            &"0".repeat(64),
            &format!("{}é", &ISSUED[2..]),
        ] {
            assert!(!plausible(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_digest_is_sha256_hex_and_holds_no_part_of_the_token() {
        let d = digest(ISSUED);
        assert_eq!(d.len(), 64);
        assert_eq!(d, auth::digest(ISSUED));
        assert!(!d.contains(&ISSUED[..8]));
    }

    #[test]
    fn a_miss_is_remembered_for_its_ttl_only() {
        let mut cache = MissCache::new(4, 5_000);
        cache.insert("a", 1_000);
        assert!(cache.contains("a", 1_000));
        assert!(cache.contains("a", 5_999));
        assert!(!cache.contains("a", 6_000));
        assert!(!cache.contains("b", 1_000));
    }

    #[test]
    fn a_created_key_is_forgotten_at_once() {
        let mut cache = MissCache::new(4, 5_000);
        cache.insert("a", 0);
        cache.remove("a");
        assert!(!cache.contains("a", 1));
    }

    #[test]
    fn the_cache_never_holds_more_than_its_capacity() {
        let mut cache = MissCache::new(3, 5_000);
        for n in 0..100u64 {
            cache.insert(&n.to_string(), n);
            assert!(cache.len() <= 3);
        }
        // Expired entries make room before live ones are dropped.
        let mut cache = MissCache::new(2, 10);
        cache.insert("old", 0);
        cache.insert("live", 15);
        cache.insert("new", 20);
        assert!(cache.contains("live", 20) && cache.contains("new", 20));
        assert_eq!(cache.len(), 2);
    }
}
