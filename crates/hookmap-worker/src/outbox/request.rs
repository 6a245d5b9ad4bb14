//! The request a subscriber receives, built fresh for each attempt: the signature's timestamp is
//! the attempt's, and an encrypting subscription seals each body under a new IV (unless it chose
//! the fixed-IV compatibility setting).

use hookmap_core::event::{self, EventName};
use hookmap_core::{signature, Algorithm, Encryption};
use serde::Deserialize;
use serde_json::Value;
use worker::wasm_bindgen::JsValue;
use worker::{web_sys, Env, Headers, Request};

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::stored::StoredEncryption;

/// A delivery with its subscription and its event: all one attempt reads.
pub(super) struct Row {
    pub(super) community_id: String,
    pub(super) subscription_id: String,
    pub(super) event_id: String,
    pub(super) url: String,
    pub(super) is_active: bool,
    pub(super) secret: String,
    pub(super) previous_secret: Option<String>,
    pub(super) previous_secret_until: Option<String>,
    pub(super) encryption: Option<String>,
    pub(super) kind: String,
    pub(super) data: String,
    pub(super) created_at: String,
}

/// What is owed, from the community's database: the delivery and its event.
#[derive(Deserialize)]
pub(super) struct Owed {
    community_id: String,
    subscription_id: String,
    event_id: String,
    status: String,
    #[serde(rename = "type")]
    kind: String,
    data: String,
    created_at: String,
}

/// Where and how it is sent, from the directory: the subscription's settings and secrets.
#[derive(Deserialize)]
pub(super) struct Target {
    url: String,
    #[serde(deserialize_with = "crate::db::flag")]
    is_active: bool,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<String>,
    encryption: Option<String>,
}

impl Owed {
    pub(super) fn pending(&self) -> bool {
        self.status == hookmap_core::DeliveryStatus::Pending.as_str()
    }

    pub(super) fn subscription_id(&self) -> &str {
        &self.subscription_id
    }
}

impl Row {
    pub(super) fn of(owed: Owed, target: Target) -> Self {
        Self {
            community_id: owed.community_id,
            subscription_id: owed.subscription_id,
            event_id: owed.event_id,
            url: target.url,
            is_active: target.is_active,
            secret: target.secret,
            previous_secret: target.previous_secret,
            previous_secret_until: target.previous_secret_until,
            encryption: target.encryption,
            kind: owed.kind,
            data: owed.data,
            created_at: owed.created_at,
        }
    }
}

/// A request ready to send, and what its log keeps of it.
pub(super) struct Signed {
    pub(super) request: Request,
    /// The headers as sent, a JSON object (`exchange::headers_json`).
    pub(super) headers: String,
    pub(super) body: String,
}

/// The POST a subscriber receives: the event body (sealed when the subscription encrypts) with
/// Standard Webhooks headers. `webhook-id` is the event id, the same on every attempt.
pub(super) fn signed_request(env: &Env, row: &Row) -> ApiResult<Signed> {
    // A built-in or a community's registered name (checked when it was published).
    let kind = EventName::parse(&row.kind)
        .ok_or_else(|| ApiError::internal(format!("unknown stored event type {:?}", row.kind)))?;
    let data: Value = serde_json::from_str(&row.data).map_err(ApiError::internal)?;
    let encryption = row
        .encryption
        .as_deref()
        .map(|e| StoredEncryption::open(env, e))
        .transpose()?;
    let sealer = encryption
        .as_ref()
        .map(|e| -> ApiResult<(Encryption, Option<Vec<u8>>)> {
            let enc = e.to_core()?;
            let iv = match (e.fixed_iv(), enc.algorithm()) {
                (true, _) => None,
                (false, Algorithm::Aes256Gcm) => Some(random_bytes(12)?),
                (false, Algorithm::Aes256Cbc) => Some(random_bytes(16)?),
            };
            Ok((enc, iv))
        })
        .transpose()?;
    let body = event::body(
        &row.event_id,
        &kind,
        &row.created_at,
        &data,
        sealer.as_ref().map(|(enc, iv)| (enc, iv.as_deref())),
    )?;
    let (ms, now) = db::now();
    let timestamp = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    let mut signing = vec![secrets::open(env, &row.secret)?];
    if let (Some(previous), Some(until)) = (&row.previous_secret, &row.previous_secret_until) {
        if until.as_str() > now.as_str() {
            signing.push(secrets::open(env, previous)?);
        }
    }
    let signing: Vec<&str> = signing.iter().map(String::as_str).collect();
    let headers = Headers::new();
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    headers.set("content-type", content_type)?;
    headers.set("user-agent", "hookmap-webhooks/1")?;
    headers.set("webhook-id", &row.event_id)?;
    headers.set("webhook-timestamp", &timestamp.to_string())?;
    headers.set(
        "webhook-signature",
        &signature::header(&signing, &row.event_id, timestamp, body.as_bytes())?,
    )?;
    // web-sys's RequestInit, not worker's: converting worker's always carries the code that
    // serialises Cloudflare's `cf` options (image resizing and the rest), which nothing here sets.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(headers.as_ref());
    // Following a redirect would send the event (and our signature) to an address the URL guard
    // never saw, a private one included: the 3xx itself is the answer.
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_body(&JsValue::from_str(&body));
    let request = web_sys::Request::new_with_str_and_init(&row.url, &init)
        .map_err(|e| ApiError::internal(worker::Error::from(e)))?;
    Ok(Signed {
        request: Request::from(request),
        headers: super::exchange::headers_json(&headers),
        body,
    })
}

fn random_bytes(n: usize) -> ApiResult<Vec<u8>> {
    let mut buf = vec![0u8; n];
    secrets::fill_random(&mut buf)?;
    Ok(buf)
}
