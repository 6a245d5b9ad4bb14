//! Signature profiles: how the sender of an incoming webhook signs its requests. One scheme per
//! webhook: Standard Webhooks (the secret hookmap generates), the schemes of Stripe, Shopify,
//! GitHub and WooCommerce, or a generic HMAC described by its parts ([`HmacProfile`]).
//!
//! Each scheme verifies the raw body as received, before anything is decoded, comparing in
//! constant time. What a verified request yields is the delivery's id (the provider's own, which
//! keys idempotency) and, when the signature does not cover that id, a replay guard: whoever holds
//! a captured request can put a fresh id beside the same signed bytes, so the signed content itself
//! may apply only once ([`Verified::guard`]).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::auth::hex;
use crate::error::{Error, ErrorKind, Result};
use crate::hmac_profile::HmacProfile;
use crate::signature;
use crate::vocabulary::{quoted_or, vocabulary};

vocabulary! {
    /// How an incoming webhook's requests are signed.
    pub enum SignatureScheme {
        /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`; hookmap generates
        /// the `whsec_` secret.
        StandardWebhooks = "standard_webhooks",
        /// `Stripe-Signature: t=<unix>,v1=<hex>` over `{t}.{body}`; the endpoint's `whsec_` secret.
        Stripe = "stripe",
        /// `X-Shopify-Hmac-Sha256: <base64>` over the body; the app's client secret.
        Shopify = "shopify",
        /// `X-Hub-Signature-256: sha256=<hex>` over the body; the secret set on the hook.
        Github = "github",
        /// `X-WC-Webhook-Signature: <base64>` over the body; the secret set on the webhook.
        Woocommerce = "woocommerce",
        /// A header, a hash, an encoding and a signed-content template, as the sender documents.
        Hmac = "hmac",
    }
}

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

impl SignatureScheme {
    /// Whether hookmap may generate the secret: Stripe and Shopify make their own.
    pub fn generates_secret(self) -> bool {
        !matches!(self, Self::Stripe | Self::Shopify)
    }

    /// The headers a signed request carries (the signature first, then any timestamp and id).
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Self::StandardWebhooks => &["webhook-signature", "webhook-timestamp", "webhook-id"],
            Self::Stripe => &["Stripe-Signature"],
            Self::Shopify => &["X-Shopify-Hmac-Sha256", "X-Shopify-Webhook-Id"],
            Self::Github => &["X-Hub-Signature-256", "X-GitHub-Delivery"],
            Self::Woocommerce => &["X-WC-Webhook-Signature", "X-WC-Webhook-Delivery-ID"],
            Self::Hmac => &[],
        }
    }

    /// What the sender's admin does to point the provider at a hookmap URL, for the page.
    pub fn setup(self) -> &'static str {
        match self {
            Self::StandardWebhooks => "Give the sender the generated whsec_ secret; it signs each request with webhook-id, webhook-timestamp and webhook-signature (any Standard Webhooks library does).",
            Self::Stripe => "In Stripe's dashboard, Developers > Webhooks > Add endpoint: paste this URL and pick the events, then reveal the endpoint's signing secret (whsec_...) and paste it here. The event's id keys each delivery; Stripe's retries are duplicates.",
            Self::Shopify => "In Shopify (Settings > Notifications > Webhooks, or your app's subscriptions), create a JSON webhook with this URL, and paste here the secret Shopify signs with (shown under the webhooks list, or your app's client secret).",
            Self::Github => "In the repository's or organization's Settings > Webhooks > Add webhook: paste this URL, choose application/json, and paste the secret shown here (generated) into Secret.",
            Self::Woocommerce => "In WooCommerce > Settings > Advanced > Webhooks > Add webhook: paste this URL as the delivery URL and the secret shown here (generated) as Secret.",
            Self::Hmac => "Describe how the sender signs: the header, the hash, the encoding, an optional prefix, and what it signs ({body}, with {timestamp} and {id} from their headers).",
        }
    }
}

/// Seconds a timestamped signature may be away from the receiver's clock (Stripe's default).
pub const TOLERANCE_SECS: i64 = 300;

/// Longest secret accepted for a scheme whose provider sets it.
pub const MAX_SECRET_LEN: usize = 256;

/// A webhook's signature scheme with its settings (the secret is kept apart, sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    StandardWebhooks,
    Stripe,
    Shopify,
    Github,
    Woocommerce,
    Hmac(HmacProfile),
}

/// What a verified request proves beyond its sender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// The provider's id of this delivery: its idempotency key, which nothing overrides.
    pub delivery_id: Option<String>,
    /// Set when the signature does not cover [`Self::delivery_id`]: a key for the signed content,
    /// claimed beside the delivery's own so that the same signed bytes apply once under any id.
    pub guard: Option<String>,
}

impl Profile {
    pub fn scheme(&self) -> SignatureScheme {
        match self {
            Self::StandardWebhooks => SignatureScheme::StandardWebhooks,
            Self::Stripe => SignatureScheme::Stripe,
            Self::Shopify => SignatureScheme::Shopify,
            Self::Github => SignatureScheme::Github,
            Self::Woocommerce => SignatureScheme::Woocommerce,
            Self::Hmac(_) => SignatureScheme::Hmac,
        }
    }

    /// The header that carries the signature (never kept with a delivery: [`crate::headers`]).
    pub fn signature_header(&self) -> &str {
        match self {
            Self::Hmac(hmac) => hmac.header(),
            named => named.scheme().headers().first().copied().unwrap_or(""),
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
        let profile = match scheme {
            SignatureScheme::StandardWebhooks => Self::StandardWebhooks,
            SignatureScheme::Stripe => Self::Stripe,
            SignatureScheme::Shopify => Self::Shopify,
            SignatureScheme::Github => Self::Github,
            SignatureScheme::Woocommerce => Self::Woocommerce,
            SignatureScheme::Hmac => Self::Hmac(HmacProfile::parse(obj, at)?),
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
            Self::Hmac(_) => HmacProfile::MEMBERS,
            _ => &[],
        }
    }

    /// `{"scheme": ..., ...settings}`: what the API shows and storage keeps (no secret).
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("scheme".into(), json!(self.scheme()));
        if let Self::Hmac(h) = self {
            h.write(&mut obj);
        }
        Value::Object(obj)
    }

    /// Whether hookmap may generate the secret: Stripe and Shopify make their own.
    pub fn generates_secret(&self) -> bool {
        self.scheme().generates_secret()
    }

    /// Checks a secret given for this scheme.
    pub fn check_secret(&self, secret: &str) -> Result<()> {
        let bad = |why: &str| Error::new(ErrorKind::InvalidField, why).at("signature.secret");
        if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
            return Err(bad("a signing secret is 1 to 256 bytes"));
        }
        if let Self::StandardWebhooks = self {
            return signature::sign(secret, "", 0, b"").map(drop).map_err(|_| {
                bad("a Standard Webhooks secret is whsec_ followed by base64 (omit it to generate one)")
            });
        }
        if secret.chars().any(char::is_control) {
            return Err(bad("a signing secret holds no control characters"));
        }
        Ok(())
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
        let required = |name: &str| required(header, name, self.scheme());
        let key = secret.as_bytes();
        let unsigned_id = |name: &str, mac: &[u8]| Verified {
            delivery_id: present(header, name),
            guard: Some(guard(mac)),
        };
        match self {
            Self::StandardWebhooks => {
                let id = required("webhook-id")?;
                let (timestamp, signatures) = (
                    required("webhook-timestamp")?,
                    required("webhook-signature")?,
                );
                signature::verify(secret, &id, &timestamp, &signatures, body, now)?;
                Ok(Verified {
                    delivery_id: Some(id),
                    guard: None,
                })
            }
            Self::Stripe => {
                let header = required("stripe-signature")?;
                let mac = stripe(key, &header, body, now)?;
                Ok(match stripe_event_id(body) {
                    Some(id) => Verified {
                        delivery_id: Some(id),
                        guard: None,
                    },
                    None => Verified {
                        delivery_id: None,
                        guard: Some(guard(&mac)),
                    },
                })
            }
            Self::Shopify | Self::Woocommerce => {
                let (signature_header, id_header) = match self {
                    Self::Shopify => ("x-shopify-hmac-sha256", "x-shopify-webhook-id"),
                    _ => ("x-wc-webhook-signature", "x-wc-webhook-delivery-id"),
                };
                let presented = required(signature_header)?;
                let mac = Digest::Sha256.mac(key, &[body]);
                matches(&mac, &presented, Encoding::Base64, signature_header)?;
                Ok(unsigned_id(id_header, &mac))
            }
            Self::Github => {
                let presented = required("x-hub-signature-256")?;
                let hex_part = presented.trim().strip_prefix("sha256=").ok_or_else(|| {
                    refused("X-Hub-Signature-256 is sha256= followed by hex".into())
                })?;
                let mac = Digest::Sha256.mac(key, &[body]);
                matches(&mac, hex_part, Encoding::Hex, "x-hub-signature-256")?;
                Ok(unsigned_id("x-github-delivery", &mac))
            }
            Self::Hmac(profile) => profile.verify(key, header, body, now),
        }
    }
}

/// A header's value, when it has one that is not blank.
pub(crate) fn present(header: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    header(name).filter(|v| !v.trim().is_empty())
}

/// A header the scheme cannot verify without.
pub(crate) fn required(
    header: &dyn Fn(&str) -> Option<String>,
    name: &str,
    scheme: SignatureScheme,
) -> Result<String> {
    present(header, name).ok_or_else(|| {
        refused(format!(
            "this webhook requires {scheme} signatures: the {name} header is missing"
        ))
    })
}

/// Stripe: `t=<unix>,v1=<hex>[,v1=<hex>...]` (several `v1` while a secret rolls), the timestamp
/// within [`TOLERANCE_SECS`]. Returns the expected MAC.
fn stripe(key: &[u8], header: &str, body: &[u8], now: i64) -> Result<Vec<u8>> {
    let pairs = header.split(',').filter_map(|p| p.trim().split_once('='));
    let (mut t, mut v1) = (None, Vec::new());
    for (k, v) in pairs {
        match k {
            "t" if t.is_none() => t = Some(v),
            "v1" => v1.push(v),
            _ => {}
        }
    }
    let t = t.ok_or_else(|| refused("Stripe-Signature has no t= timestamp".into()))?;
    fresh(t, now, "Stripe-Signature's t")?;
    let mac = Digest::Sha256.mac(key, &[t.as_bytes(), b".", body]);
    let matched = v1
        .iter()
        .any(|v| decode(v, Encoding::Hex).is_some_and(|p| bool::from(p.ct_eq(&mac))));
    if !matched {
        return Err(refused(
            "no v1 signature in Stripe-Signature matches this webhook's secret".into(),
        ));
    }
    Ok(mac)
}

/// A Stripe event's `id` (`evt_...`), which its retries repeat and the signature covers.
fn stripe_event_id(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Event {
        id: Option<String>,
    }
    serde_json::from_slice::<Event>(body)
        .ok()?
        .id
        .filter(|id| !id.is_empty())
}

/// `timestamp` (Unix seconds) within [`TOLERANCE_SECS`] of `now`, so a captured request cannot be
/// sent again later.
pub(crate) fn fresh(timestamp: &str, now: i64, what: &str) -> Result<()> {
    fresh_within(timestamp, now, TOLERANCE_SECS, what)
}

pub(crate) fn fresh_within(timestamp: &str, now: i64, tolerance: i64, what: &str) -> Result<()> {
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
    Ok(())
}

/// Whether `presented` (in `encoding`) is `mac`, compared in constant time.
pub(crate) fn matches(mac: &[u8], presented: &str, encoding: Encoding, header: &str) -> Result<()> {
    match decode(presented.trim(), encoding) {
        Some(p) if bool::from(p.ct_eq(mac)) => Ok(()),
        _ => Err(refused(format!(
            "the {header} header does not match this webhook's secret"
        ))),
    }
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
pub(crate) fn guard(mac: &[u8]) -> String {
    format!("signed:{}", hex(mac.get(..32).unwrap_or(mac)))
}

pub(crate) fn refused(why: String) -> Error {
    Error::new(ErrorKind::InvalidSignature, why)
}

pub(crate) fn invalid(at: &str, why: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidField, why).at(at)
}
