//! The second stage: the sender proved, by the webhook's API key or its Standard Webhooks
//! signature, or known to be anyone (a webhook that checks neither).

use hookmap_core::{auth, signature, Sender};
use worker::Env;

use super::arrive::{Arrived, Body};
use super::outcome::Failure;
use crate::caller::bearer;
use crate::db;
use crate::error::{ApiError, ApiResult};

pub struct Authenticated<'a> {
    arrived: &'a Arrived,
    sender: Sender,
    /// The `webhook-id` the verified signature covers.
    signed_id: Option<String>,
}

impl<'a> Authenticated<'a> {
    /// Checks the API key, then the signature. A failure here is anonymous: it costs the failure
    /// budget, never the real sender's rate limit.
    pub fn check(arrived: &'a Arrived, env: &Env) -> ApiResult<Result<Self, Failure>> {
        let hook = arrived.hook();
        let headers = arrived.headers();
        if let Some(digest) = &hook.api_key_digest {
            let presented = match headers.get("x-api-key")? {
                Some(key) => Some(key),
                None => bearer(headers)?,
            };
            let refused = match presented {
                None => Some(ApiError::unauthorized(
                    "missing_api_key",
                    "this webhook requires its API key in the x-api-key header (or Authorization: Bearer)",
                )),
                Some(key) if !auth::verify(key.trim(), digest) => Some(ApiError::unauthorized(
                    "invalid_api_key",
                    "the API key is not this webhook's key",
                )),
                Some(_) => None,
            };
            if let Some(error) = refused {
                return Ok(Err(Failure::new(error).anonymous(true)));
            }
        }
        let mut signed_id = None;
        if let Some(sealed) = &hook.signing_secret {
            let Body::Read(body) = arrived.body() else {
                // A signature over a body not read cannot be checked.
                return Ok(Err(Failure::new(too_large()).anonymous(true)));
            };
            match verify_signature(env, sealed, arrived, body)? {
                Ok(id) => signed_id = Some(id),
                Err(error) => return Ok(Err(Failure::new(error).anonymous(true))),
            }
        }
        let proved = hook.api_key_digest.is_some() || hook.signing_secret.is_some();
        Ok(Ok(Self {
            arrived,
            sender: if proved {
                Sender::Authenticated
            } else {
                Sender::Anonymous
            },
            signed_id,
        }))
    }

    pub fn arrived(&self) -> &'a Arrived {
        self.arrived
    }

    pub fn sender(&self) -> Sender {
        self.sender
    }

    pub fn signed_id(&self) -> Option<&str> {
        self.signed_id.as_deref()
    }
}

pub fn too_large() -> ApiError {
    ApiError::too_large(format!(
        "the body is over {} bytes",
        hookmap_core::inbound::MAX_BODY
    ))
}

/// Standard Webhooks: `webhook-id`, `webhook-timestamp` (within 5 minutes) and a matching
/// `webhook-signature` over the raw body. The inner error is the sender's; the id is returned.
fn verify_signature(
    env: &Env,
    sealed: &str,
    arrived: &Arrived,
    body: &[u8],
) -> ApiResult<Result<String, ApiError>> {
    let read = |name: &'static str| match arrived.headers().get(name) {
        Ok(Some(value)) => Ok(value),
        _ => Err(name),
    };
    let (id, timestamp, signatures) = match (
        read("webhook-id"),
        read("webhook-timestamp"),
        read("webhook-signature"),
    ) {
        (Ok(id), Ok(timestamp), Ok(signatures)) => (id, timestamp, signatures),
        (Err(name), ..) | (_, Err(name), _) | (_, _, Err(name)) => {
            return Ok(Err(ApiError::unauthorized(
                "invalid_signature",
                format!("this webhook requires Standard Webhooks signatures: the {name} header is missing"),
            )))
        }
    };
    let secret = crate::secrets::open(env, sealed)?;
    let (now_ms, _) = db::now();
    let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    Ok(
        signature::verify(&secret, &id, &timestamp, &signatures, body, now)
            .map(|()| id)
            .map_err(ApiError::from),
    )
}
