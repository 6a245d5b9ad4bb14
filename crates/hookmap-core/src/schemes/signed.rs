//! A request as a scheme verifies it, and the checks the schemes share: the HMAC, the constant-time
//! comparison, the timestamp's freshness and the replay guard.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::auth::hex;
use crate::error::{Error, ErrorKind, Result};
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The hash of a generic HMAC profile.
    pub enum Digest {
        Sha256 = "sha256",
        Sha512 = "sha512",
    }
}

vocabulary! {
    /// How a generic HMAC profile writes its signature.
    pub enum Encoding {
        Hex = "hex",
        Base64 = "base64",
    }
}

/// Seconds a timestamped signature may be away from the receiver's clock (Stripe's default).
pub const TOLERANCE_SECS: i64 = 300;

/// What a verified request proves beyond its sender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// The provider's id of this delivery: its idempotency key, which nothing overrides.
    pub delivery_id: Option<String>,
    /// Set when the signature does not cover [`Self::delivery_id`]: a key for the signed content,
    /// claimed beside the delivery's own so that the same signed bytes apply once under any id.
    pub guard: Option<String>,
}

impl Verified {
    /// The delivery id is signed (in a signed header, or in the signed body): nothing to guard.
    pub(crate) fn signed_id(id: String) -> Self {
        Self {
            delivery_id: Some(id),
            guard: None,
        }
    }

    /// The id (if any) is not signed: the signed content itself is claimed too.
    pub(crate) fn unsigned_id(id: Option<String>, mac: &[u8]) -> Self {
        Self {
            delivery_id: id,
            guard: Some(guard(mac)),
        }
    }
}

/// A request to verify. The secret is the webhook's (current or replaced); `header` reads a
/// request header by (case-insensitive) name; `now` is Unix seconds.
pub struct Signed<'a> {
    /// The scheme's name, for the sender's error messages.
    pub(crate) scheme: &'static str,
    pub(crate) secret: &'a str,
    pub(crate) header: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) body: &'a [u8],
    pub(crate) now: i64,
}

// The secret stays out of logs and test output.
impl std::fmt::Debug for Signed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("scheme", &self.scheme)
            .field("secret", &"<redacted>")
            .field("body_len", &self.body.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Signed<'_> {
    /// A header's value, when it has one that is not blank.
    pub(crate) fn present(&self, name: &str) -> Option<String> {
        (self.header)(name).filter(|v| !v.trim().is_empty())
    }

    /// A header the scheme cannot verify without.
    pub(crate) fn required(&self, name: &str) -> Result<String> {
        self.present(name).ok_or_else(|| {
            refused(format!(
                "this webhook requires {} signatures: the {name} header is missing",
                self.scheme
            ))
        })
    }

    /// The secret's bytes, the HMAC key of every scheme but Standard Webhooks'.
    pub(crate) fn key(&self) -> &[u8] {
        self.secret.as_bytes()
    }

    /// The SHA-256 HMAC of the body alone, presented in `signature` (after `prefix`) in
    /// `encoding`, the delivery id unsigned in `id`: Shopify's, GitHub's and WooCommerce's shape.
    pub(crate) fn body_hmac(
        &self,
        signature: &str,
        prefix: &str,
        encoding: Encoding,
        id: &str,
    ) -> Result<Verified> {
        let presented = self.required(signature)?;
        let presented = presented
            .trim()
            .strip_prefix(prefix)
            .ok_or_else(|| refused(format!("{signature} is {prefix} followed by {encoding}")))?;
        let mac = Digest::Sha256.mac(self.key(), &[self.body]);
        matches(&mac, presented, encoding, signature)?;
        Ok(Verified::unsigned_id(self.present(id), &mac))
    }
}

/// A header of `key=value` pairs carrying a timestamp and hex HMAC-SHA256s of
/// `{timestamp}{joiner}{body}` (Stripe's `t=<unix>,v1=<hex>`), with the event's id in the signed
/// JSON body. Several signatures are accepted (a provider rolling its secret signs with both);
/// the first timestamp counts and other keys are ignored.
pub(crate) struct Stamped {
    pub header: &'static str,
    pub separator: char,
    pub timestamp: &'static str,
    pub signature: &'static str,
    pub joiner: &'static str,
    /// The body's top-level member holding the event's id, which the provider's retries repeat.
    pub id_member: &'static str,
}

impl Stamped {
    /// A signature matches and the timestamp is within [`TOLERANCE_SECS`]: the event's id keys
    /// the delivery, or, in a body without one, the signed content is guarded.
    pub(crate) fn verify(&self, request: &Signed<'_>) -> Result<Verified> {
        let mac = self.mac(request)?;
        Ok(match body_id(request.body, self.id_member) {
            Some(id) => Verified::signed_id(id),
            None => Verified::unsigned_id(None, &mac),
        })
    }

    fn mac(&self, request: &Signed<'_>) -> Result<Vec<u8>> {
        let value = request.required(self.header)?;
        let (mut timestamp, mut signatures) = (None, Vec::new());
        for (k, v) in value
            .split(self.separator)
            .filter_map(|p| p.trim().split_once('='))
        {
            if k == self.timestamp && timestamp.is_none() {
                timestamp = Some(v);
            } else if k == self.signature {
                signatures.push(v);
            }
        }
        let (header, t) = (self.header, self.timestamp);
        let timestamp =
            timestamp.ok_or_else(|| refused(format!("{header} has no {t}= timestamp")))?;
        fresh(timestamp, request.now, &format!("{header}'s {t}"))?;
        let content = [timestamp.as_bytes(), self.joiner.as_bytes(), request.body];
        let mac = Digest::Sha256.mac(request.key(), &content);
        if !signatures.iter().any(|v| equals(&mac, v, Encoding::Hex)) {
            return Err(refused(format!(
                "no {} signature in {header} matches this webhook's secret",
                self.signature
            )));
        }
        Ok(mac)
    }
}

/// `timestamp` (Unix seconds) within [`TOLERANCE_SECS`] of `now`, so a captured request cannot be
/// sent again later.
pub(crate) fn fresh(timestamp: &str, now: i64, what: &str) -> Result<i64> {
    fresh_within(timestamp, now, TOLERANCE_SECS, what)
}

pub(crate) fn fresh_within(timestamp: &str, now: i64, tolerance: i64, what: &str) -> Result<i64> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| refused(format!("{what} {timestamp:?} is not Unix seconds")))?;
    let off = now.saturating_sub(ts).saturating_abs();
    if off > tolerance {
        return Err(refused(format!(
            "{what} is {off} s from now; at most {tolerance} s are accepted"
        )));
    }
    Ok(ts)
}

/// Whether `presented` (in `encoding`) is `mac`, compared in constant time.
pub(crate) fn matches(mac: &[u8], presented: &str, encoding: Encoding, header: &str) -> Result<()> {
    match equals(mac, presented.trim(), encoding) {
        true => Ok(()),
        false => Err(refused(format!(
            "the {header} header does not match this webhook's secret"
        ))),
    }
}

/// Whether `presented` (in `encoding`) decodes to `mac`, compared in constant time.
pub(crate) fn equals(mac: &[u8], presented: &str, encoding: Encoding) -> bool {
    decode(presented, encoding).is_some_and(|p| bool::from(p.ct_eq(mac)))
}

fn decode(text: &str, encoding: Encoding) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Base64 => B64.decode(text).ok(),
        Encoding::Hex => {
            if !text.len().is_multiple_of(2) || !text.is_ascii() {
                return None;
            }
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
                .collect()
        }
    }
}

impl Digest {
    /// HMAC of the concatenated `parts` under `key`.
    pub(crate) fn mac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes a key of any length: this cannot fail.
            let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
                return Vec::new();
            };
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Self::Sha256 => run::<Hmac<Sha256>>(key, parts),
            Self::Sha512 => run::<Hmac<Sha512>>(key, parts),
        }
    }
}

/// The replay guard's key for a verified MAC: the signed content, keyed by this webhook's secret.
fn guard(mac: &[u8]) -> String {
    format!("signed:{}", hex(mac.get(..32).unwrap_or(mac)))
}

pub(crate) fn refused(why: String) -> Error {
    Error::new(ErrorKind::InvalidSignature, why)
}

/// A JSON body's top-level `member` when it is a non-empty string. Read without building the
/// body: every other member is skipped.
fn body_id(body: &[u8], member: &str) -> Option<String> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

    struct Member<'m>(&'m str);

    impl<'de> Visitor<'de> for Member<'_> {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            let mut seen = false;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == self.0 {
                    // Twice is no id at all, as a struct with the member would read it.
                    if std::mem::replace(&mut seen, true) {
                        return Err(serde::de::Error::custom("a member twice"));
                    }
                    found = map.next_value::<Option<String>>()?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }

    impl<'de> DeserializeSeed<'de> for Member<'_> {
        type Value = Option<String>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    let mut reader = serde_json::Deserializer::from_slice(body);
    let id = Member(member).deserialize(&mut reader).ok()?;
    reader.end().ok()?;
    id.filter(|id| !id.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_body_id_is_a_top_level_string_member_and_nothing_else() {
        let id = |body: &str| body_id(body.as_bytes(), "event_id");
        assert_eq!(
            id(r#"{"data": {"event_id": "inner"}, "event_id": "evt_1", "n": [1, {"a": null}]}"#),
            Some("evt_1".to_owned())
        );
        assert_eq!(
            id(r#"{"event\u005fid": "evt_2"}"#),
            Some("evt_2".to_owned())
        );
        for none in [
            r#"{"data": {"event_id": "inner"}}"#,
            r#"{"event_id": ""}"#,
            r#"{"event_id": null}"#,
            r#"{"event_id": 7}"#,
            r#"{"event_id": "a", "event_id": "b"}"#,
            r#"{"event_id": "a"} trailing"#,
            r#"["event_id", "a"]"#,
            "event_id=a",
        ] {
            assert_eq!(id(none), None, "{none}");
        }
    }

    #[test]
    fn a_request_shows_no_secret() {
        let header = |_: &str| None;
        let request = Signed {
            scheme: "github",
            secret: "It's a Secret to Everybody",
            header: &header,
            body: b"{}",
            now: 0,
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("Secret to"), "{shown}");
        assert!(shown.contains("github"), "{shown}");
    }
}
