//! The second stage: the sender proved, by the webhook's API key or its signature scheme
//! (`hookmap_core::profile`), or known to be anyone (a webhook that checks neither).

use hookmap_core::form::{API_KEY_PARAM, RESERVED_PARAMS};
use hookmap_core::profile::Verified;
use hookmap_core::ApiCode;
use hookmap_core::{query, rotation, Sender};
use worker::Env;

use super::arrive::{Arrived, Body};
use super::outcome::Failure;
use crate::caller::bearer;
use crate::db;
use crate::error::{ApiError, ApiResult};

pub struct Authenticated<'a> {
    arrived: &'a Arrived,
    sender: Sender,
    /// What the verified signature proves: the provider's delivery id, and the replay guard.
    verified: Option<Verified>,
    /// The header the signature came in: never kept with the delivery (`hookmap_core::headers`).
    signature_header: Option<String>,
}

impl<'a> Authenticated<'a> {
    /// Checks the API key, then the signature. A failure here is anonymous: it costs the failure
    /// budget, never the real sender's rate limit.
    pub fn check(arrived: &'a Arrived, env: &Env) -> ApiResult<Result<Self, Failure>> {
        let hook = arrived.hook();
        let refused = |error| Ok(Err(Failure::new(error).anonymous(true)));
        // Decoded leniently, and only here: the payload reads its parameters strictly (decode).
        let params = match hook.api_key_digest.is_some() || hook.signing_secret.is_some() {
            true => query::pairs(arrived.query_text()),
            false => Vec::new(),
        };
        if let Some(digest) = &hook.api_key_digest {
            if let Some(error) = api_key(arrived, &params, digest)? {
                return refused(error);
            }
        }
        let mut verified = None;
        let mut signature_header = None;
        if let Some(profile) = hook.profile() {
            let profile = profile?;
            signature_header = Some(profile.signature_header().to_owned());
            let Body::Read(body) = arrived.body() else {
                // A signature over a body not read cannot be checked.
                return refused(too_large());
            };
            let sealed = hook.signing_secret.as_deref().unwrap_or_default();
            let secret = crate::secrets::open(env, sealed)?;
            let (ms, now_iso) = db::now();
            // The secret a rotation replaced, while its grace lasts.
            let previous = hook
                .previous_secret(&now_iso)
                .map(|sealed| crate::secrets::open(env, sealed))
                .transpose()?;
            let header = |name: &str| arrived.headers().get(name).ok().flatten();
            let now = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
            match rotation::verify(&profile, &secret, previous.as_deref(), &header, body, now) {
                Ok(v) => verified = Some(v),
                Err(e) => return refused(ApiError::from(e)),
            }
            // The signature covers the body (and its headers), never the URL: a parameter there
            // could be added to a captured request.
            let unsigned: Vec<&str> = params
                .iter()
                .map(|(name, _)| name.as_str())
                .filter(|name| !RESERVED_PARAMS.contains(name))
                .collect();
            if !unsigned.is_empty() {
                return refused(ApiError::unauthorized(
                    ApiCode::UnsignedParameters,
                    format!(
                        "this webhook verifies a {} signature over the body; the query parameters {} are not signed: send them in the body",
                        profile.scheme(),
                        unsigned.join(", ")
                    ),
                ));
            }
        }
        let proved = hook.api_key_digest.is_some() || verified.is_some();
        Ok(Ok(Self {
            arrived,
            sender: if proved {
                Sender::Authenticated
            } else {
                Sender::Anonymous
            },
            verified,
            signature_header,
        }))
    }

    pub fn arrived(&self) -> &'a Arrived {
        self.arrived
    }

    pub fn sender(&self) -> Sender {
        self.sender
    }

    pub fn verified(&self) -> Option<&Verified> {
        self.verified.as_ref()
    }

    pub fn signature_header(&self) -> Option<&str> {
        self.signature_header.as_deref()
    }
}

/// Why the request's API key is refused, if it is: in the `x-api-key` header (or `Authorization:
/// Bearer`), or `?api_key=` where the webhook allows it. Every key presented must be the webhook's.
fn api_key(
    arrived: &Arrived,
    params: &[(String, String)],
    digest: &str,
) -> ApiResult<Option<ApiError>> {
    let headers = arrived.headers();
    let in_header = match headers.get("x-api-key")? {
        Some(key) => Some(key),
        None => bearer(headers)?,
    };
    let in_query = params
        .iter()
        .find(|(name, _)| name == API_KEY_PARAM)
        .map(|(_, key)| key.clone());
    let query_allowed = arrived.hook().api_key_in_query();
    if in_query.is_some() && !query_allowed {
        return Ok(Some(ApiError::unauthorized(
            ApiCode::ApiKeyInUrl,
            "this webhook takes its API key in the x-api-key header only: proxies log URLs, so a key \
             in one is refused (rotate the key if this was it)",
        )));
    }
    let presented: Vec<String> = in_header.into_iter().chain(in_query).collect();
    if presented.is_empty() {
        let where_ = match query_allowed {
            true => "in the x-api-key header (or Authorization: Bearer, or ?api_key= in the URL)",
            false => "in the x-api-key header (or Authorization: Bearer)",
        };
        return Ok(Some(ApiError::unauthorized(
            ApiCode::MissingApiKey,
            format!("this webhook requires its API key {where_}"),
        )));
    }
    if !presented
        .iter()
        .all(|key| hookmap_core::auth::verify(key.trim(), digest))
    {
        return Ok(Some(ApiError::unauthorized(
            ApiCode::InvalidApiKey,
            "the API key is not this webhook's key",
        )));
    }
    Ok(None)
}

pub fn too_large() -> ApiError {
    ApiError::too_large(format!(
        "the body is over {} bytes",
        hookmap_core::inbound::MAX_BODY
    ))
}
