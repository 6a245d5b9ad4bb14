//! The secret part of an edge URL, `/hooks/{token}`, and what the edge remembers about tokens.
//!
//! A token is a bearer secret: storage holds only its SHA-256 digest (looked up) and a sealed copy
//! (shown to admins), so a copy of D1 or KV reveals no URL. Anything that is not the shape of an
//! issued token is refused before any lookup, and a token just found unknown is remembered for a
//! few seconds ([`crate::expiring::Expiring`]), so a flood of requests to unknown URLs costs
//! storage nothing.

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
}
