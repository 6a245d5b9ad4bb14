//! Signature profiles: how the sender of an incoming webhook signs its requests. One scheme per
//! webhook ([`crate::schemes`]): a provider's, fixed by its descriptor, or a generic HMAC
//! described by its settings ([`HmacProfile`]).
//!
//! Each scheme verifies the raw body as received, before anything is decoded, comparing in
//! constant time. What a verified request yields is the delivery's id (the provider's own, which
//! keys idempotency) and, when the signature does not cover that id, a replay guard: whoever holds
//! a captured request can put a fresh id beside the same signed bytes, so the signed content itself
//! may apply only once ([`Verified::guard`]).

use std::fmt;

use serde_json::{json, Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::schemes::{Descriptor, HmacProfile, Signed, Verifier};
use crate::signature;
use crate::vocabulary::quoted_or;

pub use crate::schemes::{Digest, Encoding, SecretForm, SignatureScheme, Verified, TOLERANCE_SECS};

/// Longest secret accepted for a scheme whose provider sets it.
pub const MAX_SECRET_LEN: usize = 256;

/// A webhook's signature scheme with its settings (the secret is kept apart, sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    /// A scheme its provider fixes: nothing to set but the secret.
    Fixed(Fixed),
    /// A generic HMAC, described by its settings.
    Described(HmacProfile),
}

/// A scheme whose descriptor fixes how it verifies, with that verifier (made only from such a
/// descriptor, so a profile always has what verifies it).
#[derive(Clone, Copy)]
pub struct Fixed {
    scheme: SignatureScheme,
    verify: fn(&Signed<'_>) -> Result<Verified>,
}

impl PartialEq for Fixed {
    fn eq(&self, other: &Self) -> bool {
        self.scheme == other.scheme
    }
}

impl Eq for Fixed {}

impl fmt::Debug for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fixed({})", self.scheme)
    }
}

/// Standard Webhooks: what `signing_secret: true` sets, and what a secret stored before webhooks
/// had schemes is.
pub const STANDARD_WEBHOOKS: Profile = match SignatureScheme::StandardWebhooks.descriptor().verifier
{
    Verifier::Fixed(verify) => Profile::Fixed(Fixed {
        scheme: SignatureScheme::StandardWebhooks,
        verify,
    }),
    // Evaluated when the crate is built: a compile error, never a panic at run time.
    #[allow(clippy::panic)]
    Verifier::Described => panic!("Standard Webhooks has a fixed verifier"),
};

impl Profile {
    pub fn scheme(&self) -> SignatureScheme {
        match self {
            Self::Fixed(fixed) => fixed.scheme,
            Self::Described(_) => SignatureScheme::Hmac,
        }
    }

    pub fn descriptor(&self) -> &'static Descriptor {
        self.scheme().descriptor()
    }

    /// The header that carries the signature (never kept with a delivery: [`crate::headers`]).
    pub fn signature_header(&self) -> &str {
        match self {
            Self::Fixed(fixed) => fixed.scheme.headers().first().copied().unwrap_or(""),
            Self::Described(hmac) => hmac.header(),
        }
    }

    /// The settings as the API takes them (`{"scheme": ..., ...}`, without the secret; `secret`
    /// is the only other member allowed, read by the caller). `at` prefixes error places.
    pub fn parse(value: &Value, at: &str) -> Result<Self> {
        let Value::Object(obj) = value else {
            return Err(invalid(at, "must be an object {scheme, secret?, ...}"));
        };
        let scheme_text = obj.get("scheme").and_then(Value::as_str).unwrap_or("");
        let scheme = SignatureScheme::parse(scheme_text).ok_or_else(|| {
            invalid(
                &format!("{at}.scheme"),
                format!(
                    "{scheme_text:?} is not {}",
                    quoted_or(&SignatureScheme::NAMES)
                ),
            )
        })?;
        let profile = match scheme.descriptor().verifier {
            Verifier::Fixed(verify) => Self::Fixed(Fixed { scheme, verify }),
            Verifier::Described => Self::Described(HmacProfile::parse(obj, at)?),
        };
        let known = profile.members();
        if let Some(other) = obj
            .keys()
            .find(|k| !known.contains(&k.as_str()) && !matches!(k.as_str(), "scheme" | "secret"))
        {
            return Err(invalid(
                &format!("{at}.{other}"),
                format!("is not a setting of the {scheme} scheme"),
            ));
        }
        Ok(profile)
    }

    /// The settings' members besides `scheme` and `secret`.
    fn members(&self) -> &'static [&'static str] {
        match self {
            Self::Fixed(_) => &[],
            Self::Described(_) => HmacProfile::MEMBERS,
        }
    }

    /// `{"scheme": ..., ...settings}`: what the API shows and storage keeps (no secret).
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("scheme".into(), json!(self.scheme()));
        match self {
            Self::Fixed(_) => {}
            Self::Described(hmac) => hmac.write(&mut obj),
        }
        Value::Object(obj)
    }

    /// What storage keeps beside the scheme's name: the settings of a described scheme, as
    /// [`Self::to_value`] writes them; a fixed scheme has none.
    pub fn stored_settings(&self) -> Option<String> {
        match self {
            Self::Fixed(_) => None,
            Self::Described(_) => Some(self.to_value().to_string()),
        }
    }

    /// Whether hookmap may generate the secret (a provider that makes its own needs it pasted).
    pub fn generates_secret(&self) -> bool {
        self.descriptor().generates_secret
    }

    /// The form of the scheme's secret, and so of one hookmap generates.
    pub fn secret_form(&self) -> SecretForm {
        self.descriptor().secret
    }

    /// Checks a secret given for this scheme.
    pub fn check_secret(&self, secret: &str) -> Result<()> {
        let bad = |why: &str| Error::new(ErrorKind::InvalidField, why).at("signature.secret");
        if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
            return Err(bad("a signing secret is 1 to 256 bytes"));
        }
        match self.secret_form() {
            SecretForm::Whsec => signature::sign(secret, "", 0, b"").map(drop).map_err(|_| {
                bad("a Standard Webhooks secret is whsec_ followed by base64 (omit it to generate one)")
            }),
            SecretForm::Text if secret.chars().any(char::is_control) => {
                Err(bad("a signing secret holds no control characters"))
            }
            SecretForm::Text => Ok(()),
        }
    }

    /// Verifies a request: `header` reads a request header by (case-insensitive) name, `now` is
    /// Unix seconds. The error is the sender's `invalid_signature`, naming what failed.
    pub fn verify(
        &self,
        secret: &str,
        header: &dyn Fn(&str) -> Option<String>,
        body: &[u8],
        now: i64,
    ) -> Result<Verified> {
        let request = Signed {
            scheme: self.scheme().as_str(),
            secret,
            header,
            body,
            now,
        };
        match self {
            Self::Fixed(fixed) => (fixed.verify)(&request),
            Self::Described(hmac) => hmac.verify(&request),
        }
    }
}

fn invalid(at: &str, why: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidField, why).at(at)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused_at(settings: serde_json::Value) -> String {
        let e = Profile::parse(&settings, "signature").unwrap_err();
        assert_eq!(e.code(), "invalid_field", "{e}");
        e.location().unwrap().to_owned()
    }

    #[test]
    fn settings_that_would_sign_nothing_useful_are_refused_where_they_are() {
        let base =
            json!({"scheme": "hmac", "header": "X-Sig", "algorithm": "sha256", "encoding": "hex"});
        let with = |k: &str, v: serde_json::Value| {
            let mut s = base.clone();
            s[k] = v;
            s
        };
        assert_eq!(refused_at(json!({"scheme": "md5"})), "signature.scheme");
        let github_with_header = json!({"scheme": "github", "header": "X"});
        assert_eq!(refused_at(github_with_header), "signature.header");
        // (member, value, where the refusal points)
        let cases = [
            ("algorithm", json!("md5"), "algorithm"),
            ("encoding", json!("base32"), "encoding"),
            ("header", json!("X Sig"), "header"),
            ("signed_content", json!("{timestamp}"), "signed_content"),
            ("signed_content", json!("{body}{body}"), "signed_content"),
            ("signed_content", json!("{body}.{nonce}"), "signed_content"),
            ("signed_content", json!("{body"), "signed_content"),
            ("signed_content", json!("{id}.{body}"), "signed_content"),
            ("timestamp_header", json!("X-Ts"), "signed_content"),
            ("tolerance", json!(60), "tolerance"),
            ("colour", json!("red"), "colour"),
        ];
        for (member, value, at) in cases {
            let shown = format!("{member}: {value}");
            assert_eq!(
                refused_at(with(member, value)),
                format!("signature.{at}"),
                "{shown}"
            );
        }
    }

    #[test]
    fn settings_read_back_as_they_were_given() {
        let given = json!({"scheme": "hmac", "header": "x-sig", "algorithm": "sha512", "encoding": "base64",
            "prefix": "v1=", "timestamp_header": "x-ts", "signed_content": "{timestamp}.{body}",
            "id_header": null, "tolerance": 60});
        let profile = Profile::parse(&given, "signature").unwrap();
        assert_eq!(profile.to_value(), given);
        assert_eq!(
            Profile::parse(&profile.to_value(), "signature").unwrap(),
            profile
        );
        let github =
            Profile::parse(&json!({"scheme": "github", "secret": "s"}), "signature").unwrap();
        assert_eq!(github.to_value(), json!({"scheme": "github"}));
        assert!(github.generates_secret());
        assert!(!Profile::parse(&json!({"scheme": "stripe"}), "signature")
            .unwrap()
            .generates_secret());
        assert!(STANDARD_WEBHOOKS.check_secret("whsec_not base64").is_err());
        assert!(github.check_secret("It's a Secret to Everybody").is_ok());
        assert!(github.check_secret("").is_err());
        assert!(github.check_secret("a\nb").is_err());
    }
}
