//! The third stage: the payload, decrypted and parsed (a form body or query parameters made
//! JSON), with the idempotency keys it came with. Built from an authenticated request at the edge,
//! or from a stored delivery by a replay, which an admin started: both then plan and apply the
//! same way (`run`).

use hookmap_core::expr::Input;
use hookmap_core::inbound::{self, Decoded as Payload};
use hookmap_core::ApiCode;
use hookmap_core::{form, headers};
use hookmap_core::{Mapping, Sender};
use serde_json::Value;
use worker::Env;

use super::arrive::Body;
use super::authenticate::{too_large, Authenticated};
use super::outcome::Failure;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;
use crate::stored::StoredEncryption;

/// Where a delivery's idempotency key may come from (see `hookmap_core::idempotency`).
pub enum Keys {
    /// A request at the edge: the provider's delivery id of a verified signature, a header key,
    /// and the replay guard when the signature does not cover that id.
    Arrived {
        signed: Option<String>,
        header: Option<String>,
        guard: Option<String>,
    },
    /// A replay: the key and guard the delivery was stored with, and whether the webhook signs.
    Stored {
        key: Option<String>,
        guard: Option<String>,
        signed_webhook: bool,
        /// The stored delivery is held for a member who has not joined (`hookmap_core::joining`):
        /// a replay that still finds no member leaves it held and records nothing.
        held: bool,
    },
}

pub struct Decoded<'a> {
    hook: &'a HookRecord,
    mapping: &'a Option<Result<Mapping, hookmap_core::Error>>,
    payload: Payload,
    /// What a mapping's expressions read beside the payload, kept with the delivery.
    context: Context,
    keys: Keys,
    replay_of: Option<&'a str>,
}

/// The request's allow-listed headers (`hookmap_core::headers`) and when it was received: the
/// edge's now, or a replayed delivery's own time, so that a replay reads what the edge read.
pub struct Context {
    pub headers: Option<Value>,
    pub received_at: String,
}

impl Context {
    /// A stored delivery's: its headers as stored (JSON text), and when it was received.
    pub fn stored(headers: Option<&str>, received_at: String) -> Self {
        Self {
            headers: headers.and_then(|text| serde_json::from_str(text).ok()),
            received_at,
        }
    }

    /// What the mapping reads, with `payload`.
    pub fn input<'p>(&'p self, payload: &'p Value) -> Input<'p> {
        Input {
            payload,
            headers: self.headers.as_ref(),
            received_at: Some(&self.received_at),
        }
    }

    /// The headers as stored with the delivery.
    pub fn headers_text(&self) -> Option<String> {
        self.headers.as_ref().map(Value::to_string)
    }
}

impl<'a> Decoded<'a> {
    /// Decrypts and parses the request's body. Every decoding failure is told to the sender as one
    /// `undecodable`; the history keeps the cause.
    pub fn arrived(auth: Authenticated<'a>, env: &Env) -> ApiResult<Result<Self, Failure>> {
        let arrived = auth.arrived();
        let hook = arrived.hook();
        let anonymous = auth.sender() == Sender::Anonymous;
        if !hook.enabled {
            let error = ApiError::forbidden(
                ApiCode::WebhookDisabled,
                "this webhook is disabled; enable it to accept deliveries",
            );
            return Ok(Err(Failure::new(error).anonymous(anonymous)));
        }
        let Body::Read(body) = arrived.body() else {
            return Ok(Err(Failure::new(too_large()).anonymous(anonymous)));
        };
        let encryption = hook
            .encryption
            .as_deref()
            .map(|sealed| StoredEncryption::open(env, sealed)?.to_core())
            .transpose()?;
        let mapping = hook.mapping();
        // A form body or query parameters become JSON, and that text is what is kept.
        let content_type = arrived.headers().get("content-type")?;
        let decoded = form::params(arrived.query_text()).and_then(|params| {
            inbound::decode_request(
                body,
                content_type.as_deref(),
                &params,
                encryption.as_ref(),
                auth.sender(),
                hook.needs(),
            )
        });
        let payload = match decoded {
            Ok(payload) => payload,
            Err(e) => return Ok(Err(Failure::core(&e).anonymous(anonymous))),
        };
        let headers = arrived.headers();
        let signature_header: Vec<&str> = auth.signature_header().into_iter().collect();
        let context = Context {
            headers: headers::kept(headers.entries(), &signature_header),
            received_at: db::now().1,
        };
        let verified = auth.verified();
        let signed = verified.and_then(|v| v.delivery_id.clone());
        let guard = verified.and_then(|v| v.guard.clone());
        // Beside a signature, the provider's id is the key; without one `webhook-id` is a header
        // like any.
        let header = match (headers.get("idempotency-key")?, verified) {
            (Some(key), _) => Some(key),
            (None, None) => headers.get("webhook-id")?,
            (None, Some(_)) => None,
        };
        Ok(Ok(Self {
            hook,
            mapping,
            payload,
            context,
            keys: Keys::Arrived {
                signed,
                header,
                guard,
            },
            replay_of: None,
        }))
    }

    /// A stored delivery's payload, for a replay, read with the headers and time it arrived
    /// with (`held`: it is held for a member who has not joined). `None`: it has none that reads.
    pub fn stored(
        hook: &'a HookRecord,
        text: Option<String>,
        context: Context,
        (key, guard): (Option<String>, Option<String>),
        replay_of: &'a str,
        held: bool,
    ) -> Option<Self> {
        let mapping = hook.mapping();
        let payload = inbound::parse(text?, hook.needs()).ok()?;
        Some(Self {
            hook,
            mapping,
            payload,
            context,
            keys: Keys::Stored {
                key,
                guard,
                signed_webhook: hook.signing_secret.is_some(),
                held,
            },
            replay_of: Some(replay_of),
        })
    }

    pub fn hook(&self) -> &'a HookRecord {
        self.hook
    }

    pub fn replay_of(&self) -> Option<&'a str> {
        self.replay_of
    }

    pub fn into_parts(
        self,
    ) -> (
        &'a Option<Result<Mapping, hookmap_core::Error>>,
        Payload,
        Context,
        Keys,
    ) {
        (self.mapping, self.payload, self.context, self.keys)
    }
}
