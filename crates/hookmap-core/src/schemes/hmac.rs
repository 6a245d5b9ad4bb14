//! The generic HMAC profile, for a sender none of the named schemes fits: which header carries the
//! signature, with which hash and encoding (and prefix), over which content. The content is a
//! template of the body, an optional timestamp header and an optional id header:
//! `{timestamp}.{body}` is Stripe's shape, `{body}` Shopify's.

use serde_json::{json, Map, Value};

use super::signed::{
    fresh_within, matches, refused, Digest, Encoding, Signed, Verified, TOLERANCE_SECS,
};
use super::descriptor::{Descriptor, SecretForm, Verifier};
use crate::error::{Error, ErrorKind, Result};
use crate::vocabulary::quoted_or;

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "hmac",
    label: "HMAC (describe it)",
    headers: &[],
    setup: "Describe how the sender signs: the header, the hash, the encoding, an optional prefix, and what it signs ({body}, with {timestamp} and {id} from their headers).",
    secret: SecretForm::Text,
    generates_secret: true,
    verifier: Verifier::Described,
};

/// Longest header name, prefix or template accepted.
const MAX_SETTING_LEN: usize = 128;

/// One piece of the signed content.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Body,
    Timestamp,
    Id,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacProfile {
    header: String,
    digest: Digest,
    encoding: Encoding,
    prefix: Option<String>,
    timestamp_header: Option<String>,
    id_header: Option<String>,
    template: String,
    pieces: Vec<Piece>,
    tolerance: i64,
}

impl HmacProfile {
    /// The header that carries the signature.
    pub fn header(&self) -> &str {
        &self.header
    }

    pub(crate) const MEMBERS: &'static [&'static str] = &[
        "header",
        "algorithm",
        "encoding",
        "prefix",
        "timestamp_header",
        "signed_content",
        "id_header",
        "tolerance",
    ];

    pub(crate) fn parse(obj: &Map<String, Value>, at: &str) -> Result<Self> {
        let text = |name: &str| -> Result<Option<String>> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_SETTING_LEN => {
                    Ok(Some(s.clone()))
                }
                Some(_) => Err(invalid(
                    &format!("{at}.{name}"),
                    format!("must be a string of 1 to {MAX_SETTING_LEN} bytes"),
                )),
            }
        };
        let header_name = |name: &str| -> Result<Option<String>> {
            let value = text(name)?;
            match value {
                Some(h)
                    if !h
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    Err(invalid(
                        &format!("{at}.{name}"),
                        format!("{h:?} is not a header name"),
                    ))
                }
                other => Ok(other.map(|h| h.to_ascii_lowercase())),
            }
        };
        let header = header_name("header")?.ok_or_else(|| {
            invalid(
                &format!("{at}.header"),
                "is required: the header that carries the signature",
            )
        })?;
        let digest = one_of(
            text("algorithm")?,
            &format!("{at}.algorithm"),
            &Digest::NAMES,
            Digest::parse,
        )?;
        let encoding = one_of(
            text("encoding")?,
            &format!("{at}.encoding"),
            &Encoding::NAMES,
            Encoding::parse,
        )?;
        let timestamp_header = header_name("timestamp_header")?;
        let id_header = header_name("id_header")?;
        let template = text("signed_content")?.unwrap_or_else(|| "{body}".to_owned());
        let pieces = pieces(&template, &format!("{at}.signed_content"))?;
        let has = |p: &Piece| pieces.contains(p);
        let content_at = format!("{at}.signed_content");
        match (timestamp_header.is_some(), has(&Piece::Timestamp)) {
            (true, false) => {
                return Err(invalid(
                    &content_at,
                    "must contain {timestamp}: a timestamp not signed proves nothing",
                ))
            }
            (false, true) => {
                return Err(invalid(
                    &content_at,
                    "uses {timestamp}: set timestamp_header",
                ))
            }
            _ => {}
        }
        if has(&Piece::Id) && id_header.is_none() {
            return Err(invalid(&content_at, "uses {id}: set id_header"));
        }
        let tolerance = match obj.get("tolerance") {
            None | Some(Value::Null) => TOLERANCE_SECS,
            Some(v) => match v.as_i64() {
                Some(n) if (1..=86_400).contains(&n) && timestamp_header.is_some() => n,
                _ => {
                    return Err(invalid(
                        &format!("{at}.tolerance"),
                        "is 1 to 86400 seconds, and only with timestamp_header",
                    ))
                }
            },
        };
        Ok(Self {
            header,
            digest,
            encoding,
            prefix: text("prefix")?,
            timestamp_header,
            id_header,
            template,
            pieces,
            tolerance,
        })
    }

    pub(crate) fn write(&self, obj: &mut Map<String, Value>) {
        obj.insert("header".into(), json!(self.header));
        obj.insert("algorithm".into(), json!(self.digest));
        obj.insert("encoding".into(), json!(self.encoding));
        obj.insert("prefix".into(), json!(self.prefix));
        obj.insert("timestamp_header".into(), json!(self.timestamp_header));
        obj.insert("signed_content".into(), json!(self.template));
        obj.insert("id_header".into(), json!(self.id_header));
        if self.timestamp_header.is_some() {
            obj.insert("tolerance".into(), json!(self.tolerance));
        }
    }

    pub(crate) fn verify(&self, request: &Signed<'_>) -> Result<Verified> {
        let required = |name: &str| request.required(name);
        let presented = required(&self.header)?;
        let presented = match &self.prefix {
            None => presented.trim(),
            Some(prefix) => presented
                .trim()
                .strip_prefix(prefix.as_str())
                .ok_or_else(|| {
                    refused(format!(
                        "the {} header does not start with {prefix:?}",
                        self.header
                    ))
                })?,
        };
        let timestamp = match &self.timestamp_header {
            Some(name) => {
                let ts = required(name)?;
                fresh_within(&ts, request.now, self.tolerance, name)?;
                Some(ts)
            }
            None => None,
        };
        let id = match &self.id_header {
            Some(name) if self.pieces.contains(&Piece::Id) => Some(required(name)?),
            Some(name) => request.present(name),
            None => None,
        };
        let parts: Vec<&[u8]> = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_bytes(),
                Piece::Body => request.body,
                Piece::Timestamp => timestamp.as_deref().unwrap_or_default().as_bytes(),
                Piece::Id => id.as_deref().unwrap_or_default().as_bytes(),
            })
            .collect();
        let mac = self.digest.mac(request.key(), &parts);
        matches(&mac, presented, self.encoding, &self.header)?;
        Ok(match id {
            Some(id) if self.pieces.contains(&Piece::Id) => Verified::signed_id(id),
            id => Verified::unsigned_id(id, &mac),
        })
    }
}

/// A required choice among `names`.
fn one_of<T>(
    text: Option<String>,
    at: &str,
    names: &[&str],
    parse: fn(&str) -> Option<T>,
) -> Result<T> {
    let text = text.ok_or_else(|| invalid(at, format!("is required: {}", quoted_or(names))))?;
    parse(&text).ok_or_else(|| invalid(at, format!("{text:?} is not {}", quoted_or(names))))
}

/// `{body}`, `{timestamp}` and `{id}` between literal text; `{body}` exactly once, since a
/// signature that does not cover the body proves nothing about it.
fn pieces(template: &str, at: &str) -> Result<Vec<Piece>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (text, tail) = rest.split_at(open);
        if !text.is_empty() {
            out.push(Piece::Text(text.to_owned()));
        }
        let close = tail
            .find('}')
            .ok_or_else(|| invalid(at, "has a { without its }"))?;
        out.push(match tail.get(1..close).unwrap_or_default() {
            "body" => Piece::Body,
            "timestamp" => Piece::Timestamp,
            "id" => Piece::Id,
            other => {
                return Err(invalid(
                    at,
                    format!("{{{other}}} is not {{body}}, {{timestamp}} or {{id}}"),
                ))
            }
        });
        rest = tail.get(close + 1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    if out.iter().filter(|p| **p == Piece::Body).count() != 1 {
        return Err(invalid(at, "must contain {body} exactly once"));
    }
    Ok(out)
}

fn invalid(at: &str, why: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidField, why).at(at)
}
