//! The edge URL `POST /hooks/{token}`: authenticate, decrypt, parse, plan, apply, record.
//!
//! Every outcome but an unknown URL is recorded as a delivery. An outcome other than success that
//! was reached with a cached webhook record is retried once with the record read from D1, so a
//! change made a moment ago (a rotated key, a new mapping) is never blamed on the sender.

use hookmap_core::event::EventType;
use hookmap_core::inbound::{self, Decoded};
use hookmap_core::needs::Needs;
use hookmap_core::signature;
use hookmap_core::{auth, plan, Currency, Mapping, Plan};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{D1Database, Env, Headers, Request, Response};

use crate::apply::{self, Applied, DeliveryMeta, Refusal};
use crate::caller::bearer;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks::{self, HookRecord, Source, StoredEncryption};
use crate::http::{self, query, RequestUrl};
use crate::log::RequestLog;
use crate::outbox;

/// Every answer about a recorded delivery names it in this header (as in its body), so a sender's
/// HTTP log holds the id an admin looks up; the request log reads it from there too.
pub const DELIVERY_ID_HEADER: &str = "hookmap-delivery-id";

/// Longest idempotency key accepted from a header.
const MAX_KEY_LEN: usize = 255;

/// What processing a delivery came to.
pub enum Outcome {
    Applied {
        delivery_id: String,
        plan: Plan,
        balances: Option<apply::Balances>,
        message_id: Option<String>,
    },
    Duplicate {
        first: Value,
    },
    DryRun(Value),
    /// Refused by the rate limit: answered, not recorded.
    RateLimited,
    Pending {
        payload: Decoded,
    },
    Failed {
        error: ApiError,
        /// The payload's text, when it was decoded.
        payload: Option<String>,
        idempotency_key: Option<String>,
        effects: Option<String>,
    },
}

impl Outcome {
    fn failed(error: ApiError) -> Self {
        Self::Failed {
            error,
            payload: None,
            idempotency_key: None,
            effects: None,
        }
    }

    fn settled(&self) -> bool {
        matches!(
            self,
            Self::Applied { .. } | Self::Duplicate { .. } | Self::DryRun(_) | Self::RateLimited
        )
    }
}

pub async fn receive(
    mut req: Request,
    env: &Env,
    token: &str,
    url: &RequestUrl,
    log: &mut RequestLog,
) -> ApiResult<Response> {
    let db = env.d1("DB")?;
    let dry_run = matches!(query(url, "dry_run").as_deref(), Some("true" | "1"));
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|n| n.parse::<usize>().ok());
    // Refuse an oversized body before reading it; the delivery is still recorded below.
    let body = match declared {
        Some(n) if n > inbound::MAX_BODY => None,
        _ => Some(req.bytes().await?),
    };
    let headers = req.headers().clone();
    if !plausible_token(token) {
        return Err(ApiError::not_found("this webhook URL"));
    }
    let mut fresh = false;
    loop {
        let Some((hook, source)) = hooks::by_token(env, &db, token, fresh).await? else {
            return Err(ApiError::not_found("this webhook URL"));
        };
        log.community_id = Some(hook.community_id.clone());
        let outcome = process(env, &db, &hook, &headers, body.as_deref(), dry_run).await?;
        if !outcome.settled() && source == Source::Cache {
            fresh = true;
            continue;
        }
        announce(env, &db, &hook, &outcome).await;
        if let Outcome::Failed { error, .. } = &outcome {
            log.error = Some(error.code);
        }
        return respond(&db, &hook, outcome, dry_run, None).await;
    }
}

/// A posted message is a `message.posted` event for outgoing webhooks. Publishing only queues
/// deliveries; a failure to do so is logged and does not undo the delivery that posted it.
pub async fn announce(env: &Env, db: &D1Database, hook: &HookRecord, outcome: &Outcome) {
    let Outcome::Applied {
        delivery_id,
        plan,
        message_id: Some(message_id),
        ..
    } = outcome
    else {
        return;
    };
    let Some(message) = &plan.message else {
        return;
    };
    let data = json!({
        "message": {"id": message_id, "channel_id": message.channel, "topic": message.topic, "text": message.text},
        "incoming_webhook_id": hook.id, "delivery_id": delivery_id,
    });
    if let Err(e) = outbox::publish(
        env,
        db,
        &hook.community_id,
        EventType::MessagePosted,
        &data,
        Some(&message.channel),
    )
    .await
    {
        worker::console_error!(
            "message.posted for {message_id} was not published: {}",
            e.message
        );
    }
}

async fn process(
    env: &Env,
    db: &D1Database,
    hook: &HookRecord,
    headers: &Headers,
    body: Option<&[u8]>,
    dry_run: bool,
) -> ApiResult<Outcome> {
    if let Some(digest) = &hook.api_key_digest {
        let presented = match headers.get("x-api-key")? {
            Some(key) => Some(key),
            None => bearer(headers)?,
        };
        match presented {
            None => return Ok(Outcome::failed(ApiError::unauthorized("missing_api_key", "this webhook requires its API key in the x-api-key header (or Authorization: Bearer)"))),
            Some(key) if !auth::verify(key.trim(), digest) => {
                return Ok(Outcome::failed(ApiError::unauthorized("invalid_api_key", "the API key is not this webhook's key")))
            }
            Some(_) => {}
        }
    }
    if let (Some(sealed), Some(body)) = (&hook.signing_secret, body) {
        if let Err(e) = verify_signature(env, sealed, headers, body) {
            return Ok(Outcome::failed(e));
        }
    }
    if !hook.enabled {
        return Ok(Outcome::failed(ApiError::new(
            403,
            "webhook_disabled",
            "this webhook is disabled; enable it to accept deliveries",
        )));
    }
    let Some(body) = body else {
        return Ok(Outcome::failed(ApiError::new(
            413,
            "payload_too_large",
            format!("the body is over {} bytes", inbound::MAX_BODY),
        )));
    };
    let encryption = hook
        .encryption
        .as_deref()
        .map(|sealed| StoredEncryption::open(env, sealed)?.to_core())
        .transpose()?;
    let mapping = hook.mapping();
    let payload = match inbound::decode(body, encryption.as_ref(), needs_of(&mapping).as_ref()) {
        Ok(payload) => payload,
        Err(e) => return Ok(Outcome::failed(e.into())),
    };
    let header_key = match idempotency_header(headers)? {
        Ok(key) => key,
        Err(error) => {
            return Ok(Outcome::Failed {
                error,
                payload: Some(payload.text),
                idempotency_key: None,
                effects: None,
            })
        }
    };
    run(db, hook, mapping, payload, header_key, dry_run, None).await
}

/// The benchmark's bare route (BENCH_ROUTES only): the one D1 batch a delivery writes, with a
/// fixed plan (1 coin to bench@example.com under a fresh idempotency key), and nothing else: no
/// decoding, no planning, no rate count; the record comes from the isolate's memory, as a warm
/// delivery's does.
pub async fn bench_batch(env: &Env, token: &str) -> ApiResult<Response> {
    let db = env.d1("DB")?;
    let (hook, _) = hooks::by_token(env, &db, token, false)
        .await?
        .ok_or_else(|| ApiError::not_found("this webhook URL"))?;
    let plan = Plan {
        member: Some(hookmap_core::MemberRef {
            by: hookmap_core::MatchBy::Email,
            value: "bench@example.com".into(),
        }),
        idempotency_key: Some(db::random_hex(8)?),
        effects: vec![hookmap_core::Effect::Currency {
            currency: Currency::Coins,
            op: hookmap_core::Op::Add,
            amount: 1,
        }],
        message: None,
    };
    let meta = DeliveryMeta::new(&hook, None, None)?;
    match apply::apply(&db, &meta, &plan).await? {
        Applied::Done { balances, .. } => http::json(200, &json!({ "member": balances })),
        Applied::Refused(r) => Err(refusal_error(&r, &plan)),
    }
}

/// Whether `token` could name a webhook: issued tokens are 48 hex digits. Anything else is an
/// unknown URL without a lookup (a long one would also exceed the KV cache's 512-byte key limit,
/// which KV answers with an error, not a miss).
fn plausible_token(token: &str) -> bool {
    hookmap_core::token::plausible(token)
}

/// The answer to a request over its webhook's rate limit: 429 with Retry-After (the end of the
/// current one-minute window). It is not recorded: the refused batch wrote nothing, and a flood
/// cannot fill the history.
fn rate_limited() -> ApiError {
    let (ms, _) = db::now();
    let retry_after = 60 - (ms / 1000) % 60;
    ApiError::new(
        429,
        "rate_limited",
        format!(
            "this webhook is over its rate limit for this minute; send again in {retry_after} s"
        ),
    )
    .with_details(json!({ "retry_after": retry_after }))
}

/// Standard Webhooks: `webhook-id`, `webhook-timestamp` (within 5 minutes) and a matching
/// `webhook-signature` over the raw body. The sender's `webhook-id` then keys idempotency.
fn verify_signature(env: &Env, sealed: &str, headers: &Headers, body: &[u8]) -> ApiResult<()> {
    let header = |name: &str| -> ApiResult<String> {
        headers.get(name)?.ok_or_else(|| {
            ApiError::unauthorized(
                "invalid_signature",
                format!("this webhook requires Standard Webhooks signatures: the {name} header is missing"),
            )
        })
    };
    let (id, timestamp, signatures) = (
        header("webhook-id")?,
        header("webhook-timestamp")?,
        header("webhook-signature")?,
    );
    let secret = crate::secrets::open(env, sealed)?;
    let (now_ms, _) = db::now();
    let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    signature::verify(&secret, &id, &timestamp, &signatures, body, now).map_err(ApiError::from)
}

/// What a payload must hold for `mapping`: only that is built. Without a (valid) mapping the
/// payload is parsed whole, as the catch shows it.
pub fn needs_of(mapping: &Option<Result<Mapping, hookmap_core::Error>>) -> Option<Needs<'_>> {
    match mapping {
        Some(Ok(mapping)) => Some(Needs::of(mapping)),
        _ => None,
    }
}

/// Plans and applies a decoded payload with the webhook's mapping (`hook.mapping()`, parsed once
/// by the caller, which decoded the payload for it): shared by the edge and by replays.
pub async fn run(
    db: &D1Database,
    hook: &HookRecord,
    mapping: Option<Result<Mapping, hookmap_core::Error>>,
    payload: Decoded,
    header_key: Option<String>,
    dry_run: bool,
    replay_of: Option<&str>,
) -> ApiResult<Outcome> {
    let mapping = match mapping {
        None => return Ok(Outcome::Pending { payload }),
        Some(Ok(mapping)) => mapping,
        Some(Err(e)) => {
            return Ok(Outcome::Failed {
                error: e.into(),
                payload: Some(payload.text),
                idempotency_key: header_key,
                effects: None,
            })
        }
    };
    let mut plan = match plan(&mapping, &payload.value, &hook.field_types()) {
        Ok(plan) => plan,
        Err(e) => {
            return Ok(Outcome::Failed {
                error: e.into(),
                payload: Some(payload.text),
                idempotency_key: header_key,
                effects: None,
            })
        }
    };
    if header_key.is_some() {
        plan.idempotency_key = header_key;
    }
    // A replay without any key of its own still applies once, however often it is replayed.
    if let (Some(original), None) = (replay_of, &plan.idempotency_key) {
        plan.idempotency_key = Some(format!("replay:{original}"));
    }
    if dry_run {
        return dry_run_outcome(db, hook, plan).await;
    }
    let meta = DeliveryMeta::new(hook, Some(&payload.text), replay_of)?;
    match apply::apply(db, &meta, &plan).await? {
        Applied::Done {
            balances,
            message_id,
        } => Ok(Outcome::Applied {
            delivery_id: meta.id,
            plan,
            balances,
            message_id,
        }),
        Applied::Refused(Refusal::Duplicate) => duplicate(db, hook, &plan).await,
        Applied::Refused(Refusal::RateLimited) => Ok(Outcome::RateLimited),
        Applied::Refused(refusal) => {
            let effects = serde_json::to_string(&plan.effects).ok();
            Ok(Outcome::Failed {
                error: refusal_error(&refusal, &plan),
                payload: Some(payload.text),
                idempotency_key: plan.idempotency_key,
                effects,
            })
        }
    }
}

fn refusal_error(refusal: &Refusal, plan: &Plan) -> ApiError {
    let member = plan.member.as_ref();
    let who = member.map_or("the member", |m| m.value.as_str());
    let channel = plan.message.as_ref().map_or("", |m| m.channel.as_str());
    match refusal {
        Refusal::UnknownMember => ApiError::new(
            422,
            "unknown_member",
            format!(
                "no member of this community has the {} {who:?}",
                member.map_or("identifier", |m| m.by.as_str())
            ),
        ),
        Refusal::Insufficient(currency) => ApiError::new(
            422,
            "insufficient_balance",
            format!(
                "the delivery would take {who}'s {} below zero",
                currency.as_str()
            ),
        )
        .with_details(json!({ "currency": currency.as_str() })),
        Refusal::WebhookDisabled => ApiError::new(
            403,
            "webhook_disabled",
            "this webhook is disabled; enable it to accept deliveries",
        ),
        Refusal::WebhookGone => ApiError::not_found("this webhook URL"),
        Refusal::StaleWebhook => ApiError::new(
            409,
            "webhook_changed",
            "the webhook changed while this delivery was processed; send it again",
        ),
        Refusal::UnknownField => ApiError::new(
            422,
            "unknown_field",
            "a mapped user field was deleted; update the mapping",
        ),
        Refusal::FieldOutOfRange => ApiError::new(
            422,
            "field_out_of_range",
            "a number field would go past the largest number a field holds (about 1.8e308)",
        ),
        Refusal::UnknownChannel => ApiError::new(
            422,
            "unknown_channel",
            format!("this community has no channel {channel:?}"),
        )
        .with_details(json!({ "at": "message.channel" })),
        Refusal::TopicRequired => ApiError::new(
            422,
            "topic_required",
            format!("channel {channel:?} is a forum: its messages need a topic (message.topic)"),
        )
        .with_details(json!({ "at": "message.topic" })),
        Refusal::Duplicate => {
            ApiError::conflict("duplicate", "this idempotency key was already used")
        }
        Refusal::RateLimited => rate_limited(),
    }
}

async fn duplicate(db: &D1Database, hook: &HookRecord, plan: &Plan) -> ApiResult<Outcome> {
    #[derive(Deserialize)]
    struct First {
        id: String,
        user_id: Option<String>,
        message_id: Option<String>,
        effects: Option<String>,
        created_at: String,
    }
    let key = plan.idempotency_key.as_deref().unwrap_or_default();
    let first: Option<First> = db::first(
        db,
        "SELECT d.id, d.user_id, d.message_id, d.effects, d.created_at FROM idempotency_keys k JOIN deliveries d ON d.id = k.delivery_id
          WHERE k.webhook_id = ?1 AND k.key = ?2",
        &crate::args![&hook.id, key],
    )
    .await?;
    let first = first
        .ok_or_else(|| ApiError::internal("idempotency key taken but its delivery is missing"))?;
    let effects: Value = first
        .effects
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok())
        .unwrap_or(Value::Null);
    Ok(Outcome::Duplicate {
        first: json!({
            "delivery_id": first.id, "status": "success", "duplicate": true, "idempotency_key": key,
            "member": first.user_id.map(|id| json!({"id": id})), "effects": effects,
            "message": first.message_id.map(|id| json!({"id": id})), "first_received_at": first.created_at,
        }),
    })
}

/// What the delivery would do, computed against the member's current balances and the community's
/// channels; writes nothing.
async fn dry_run_outcome(db: &D1Database, hook: &HookRecord, plan: Plan) -> ApiResult<Outcome> {
    if let Some(refusal) = channel_refusal(db, hook, &plan).await? {
        return Ok(Outcome::failed(refusal_error(&refusal, &plan)));
    }
    let Some(member_ref) = &plan.member else {
        return Ok(Outcome::DryRun(json!({
            "dry_run": true, "status": "success", "member": null,
            "idempotency_key": plan.idempotency_key, "effects": plan.effects, "message": plan.message,
        })));
    };
    let column = member_ref.by.as_str();
    let member: Option<apply::Balances> = db::first(
        db,
        &format!("SELECT id, xp, coins FROM users WHERE community_id = ?1 AND {column} = ?2"),
        &crate::args![&hook.community_id, member_ref.value.as_str()],
    )
    .await?;
    let Some(member) = member else {
        return Ok(Outcome::failed(refusal_error(
            &Refusal::UnknownMember,
            &plan,
        )));
    };
    let (mut xp, mut coins) = (member.xp, member.coins);
    for (currency, delta) in plan.effects.iter().filter_map(|e| e.currency_delta()) {
        let balance = match currency {
            Currency::Xp => &mut xp,
            Currency::Coins => &mut coins,
        };
        *balance += delta;
        if *balance < 0 {
            return Ok(Outcome::failed(refusal_error(
                &Refusal::Insufficient(currency),
                &plan,
            )));
        }
    }
    Ok(Outcome::DryRun(json!({
        "dry_run": true, "status": "success", "member": member,
        "balances_after": {"xp": xp, "coins": coins},
        "idempotency_key": plan.idempotency_key, "effects": plan.effects, "message": plan.message,
    })))
}

/// What the message guard would refuse: a channel of another community or none, or a forum post
/// without a topic.
async fn channel_refusal(
    db: &D1Database,
    hook: &HookRecord,
    plan: &Plan,
) -> ApiResult<Option<Refusal>> {
    #[derive(Deserialize)]
    struct Channel {
        #[serde(rename = "type")]
        kind: String,
    }
    let Some(message) = &plan.message else {
        return Ok(None);
    };
    let channel: Option<Channel> = db::first(
        db,
        "SELECT type FROM channels WHERE id = ?1 AND community_id = ?2",
        &crate::args![message.channel.as_str(), &hook.community_id],
    )
    .await?;
    Ok(match channel {
        None => Some(Refusal::UnknownChannel),
        Some(c) if c.kind == "forum" && message.topic.is_none() => Some(Refusal::TopicRequired),
        Some(_) => None,
    })
}

/// Records what needs recording and answers the sender.
pub async fn respond(
    db: &D1Database,
    hook: &HookRecord,
    outcome: Outcome,
    dry_run: bool,
    replay_of: Option<&str>,
) -> ApiResult<Response> {
    match outcome {
        Outcome::Applied {
            delivery_id,
            plan,
            balances,
            message_id,
        } => {
            let message = plan.message.as_ref().zip(message_id).map(|(m, id)| {
                json!({"id": id, "channel_id": m.channel, "topic": m.topic, "text": m.text})
            });
            let response = http::json(
                200,
                &json!({
                    "delivery_id": delivery_id, "status": "success", "duplicate": false,
                    "idempotency_key": plan.idempotency_key, "member": balances, "effects": plan.effects,
                    "message": message,
                }),
            )?;
            naming(response, &delivery_id)
        }
        Outcome::Duplicate { first } => {
            let response = http::json(200, &first)?;
            match first.get("delivery_id").and_then(Value::as_str) {
                Some(id) => naming(response, id),
                None => Ok(response),
            }
        }
        Outcome::DryRun(body) => http::json(200, &body),
        Outcome::RateLimited => rate_limited().into_response().map_err(ApiError::from),
        Outcome::Pending { payload } if dry_run => http::json(
            202,
            &json!({
                "dry_run": true, "status": "pending", "message": "the webhook has no mapping yet: the payload would be caught", "payload": payload.value,
            }),
        ),
        Outcome::Pending { payload } => {
            let Some(id) = record(
                db,
                hook,
                Some(&payload.text),
                "pending",
                None,
                None,
                None,
                replay_of,
            )
            .await?
            else {
                return rate_limited().into_response().map_err(ApiError::from);
            };
            let response = http::json(
                202,
                &json!({
                    "delivery_id": id, "status": "pending",
                    "message": "the webhook has no mapping yet: the payload was caught; build a mapping from it and replay this delivery",
                }),
            )?;
            naming(response, &id)
        }
        Outcome::Failed { error, .. } if dry_run => error.into_response().map_err(ApiError::from),
        Outcome::Failed {
            error,
            payload,
            idempotency_key,
            effects,
        } => {
            let Some(id) = record(
                db,
                hook,
                payload.as_deref(),
                "failed",
                Some(&error),
                idempotency_key.as_deref(),
                effects.as_deref(),
                replay_of,
            )
            .await?
            else {
                return rate_limited().into_response().map_err(ApiError::from);
            };
            let mut body = error.body();
            if let Some(obj) = body.as_object_mut() {
                obj.insert("delivery_id".into(), Value::String(id.clone()));
            }
            naming(error.response(&body)?, &id)
        }
    }
}

fn naming(mut response: Response, delivery_id: &str) -> ApiResult<Response> {
    response
        .headers_mut()
        .set(DELIVERY_ID_HEADER, delivery_id)?;
    Ok(response)
}

#[allow(clippy::too_many_arguments)]
async fn record(
    db: &D1Database,
    hook: &HookRecord,
    payload: Option<&str>,
    status: &str,
    error: Option<&ApiError>,
    idempotency_key: Option<&str>,
    effects: Option<&str>,
    replay_of: Option<&str>,
) -> ApiResult<Option<String>> {
    let meta = DeliveryMeta::new(hook, payload, replay_of)?;
    let recorded =
        apply::record_unapplied(db, &meta, status, error, idempotency_key, effects).await?;
    Ok(recorded.then_some(meta.id))
}

/// `Idempotency-Key`, else `webhook-id` (Standard Webhooks). The inner error is the sender's.
fn idempotency_header(headers: &Headers) -> ApiResult<Result<Option<String>, ApiError>> {
    let key = match headers.get("idempotency-key")? {
        Some(k) => Some(k),
        None => headers.get("webhook-id")?,
    };
    Ok(match key.map(|k| k.trim().to_owned()) {
        Some(k) if k.is_empty() || k.len() > MAX_KEY_LEN => Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!("an idempotency key must be 1 to {MAX_KEY_LEN} bytes"),
        )),
        other => Ok(other),
    })
}
