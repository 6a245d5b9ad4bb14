//! Outgoing webhook subscriptions (`/v1/communities/{cid}/webhooks`) and the test ping (what
//! their deliveries came to: `outgoing`; publishing events: `events`). The signing secret is
//! shown once, when created or rotated; encryption keys are never shown.

use hookmap_core::event::{EventType, Filter};
use hookmap_core::event_types::MAX_EVENT_TYPES;
use hookmap_core::quota::Quota;
use hookmap_core::target;
use hookmap_core::ApiCode;
use hookmap_core::DeliveryStatus;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Request, Response};

use super::body::{Body, Patch, Text};
use super::webhooks::checked_encryption;
use super::Ctx;
use crate::api::resource::{self, Resource};
use crate::channels;
use crate::community;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http;
use crate::outbox::{self, Job};
use crate::quotas;
use crate::secrets;
use crate::stored::{InClear, Sealed};

request_body! {
    /// `POST .../webhooks`.
    pub struct NewSubscription<'a> {
        url: Text<'a, { target::MAX_URL_LEN }>,
        events: Option<&'a Value>,
        channel_id: Option<Text<'a, 100>>,
        is_active: Option<bool>,
        encryption: Option<&'a Value>,
    }
}

request_body! {
    /// `PATCH .../webhooks/{sid}`: any of the create's members, a member left out kept as it is
    /// (`null` removes the channel or the encryption); `rotate_secret: true` issues a new secret.
    pub struct SubscriptionChange<'a> {
        url: Option<Text<'a, { target::MAX_URL_LEN }>>,
        events: Patch<&'a Value>,
        channel_id: Patch<Text<'a, 100>>,
        is_active: Option<bool>,
        encryption: Patch<&'a Value>,
        rotate_secret: Option<bool>,
    }
}

/// How long the previous secret keeps signing after a rotation.
const ROTATION_MS: u64 = 24 * 60 * 60 * 1000;

#[derive(Deserialize)]
pub struct Row {
    id: String,
    url: String,
    events: String,
    channel_id: Option<String>,
    #[serde(deserialize_with = "db::flag")]
    is_active: bool,
    previous_secret_until: Option<String>,
    encryption: Option<String>,
    /// `encryption`'s algorithm and IV choice, in clear (NULL in a row sealed before 0012).
    encryption_algorithm: Option<String>,
    #[serde(deserialize_with = "db::optional_flag")]
    encryption_fixed_iv: Option<bool>,
    disabled_reason: Option<String>,
    failures_in_a_row: i64,
    failing_since: Option<String>,
    created_at: String,
    updated_at: String,
}

const SELECT: &str =
    "SELECT id, url, events, channel_id, is_active, previous_secret_until, encryption,
                             encryption_algorithm, encryption_fixed_iv, disabled_reason, failures_in_a_row,
                             failing_since, created_at, updated_at
                        FROM webhook_subscriptions";

/// A subscription as the API shows it (OpenAPI `Subscription`): its signing secret only in the
/// answer that made it.
#[derive(Serialize)]
pub struct ShownSubscription<'r> {
    id: &'r str,
    url: &'r str,
    events: Value,
    channel_id: Option<&'r str>,
    is_active: bool,
    encryption: Option<ShownEncryption>,
    previous_secret_signs_until: Option<&'r str>,
    disabled_reason: Option<&'r str>,
    failures_in_a_row: i64,
    failing_since: Option<&'r str>,
    created_at: &'r str,
    updated_at: &'r str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<Warning>,
}

/// What a create or update did besides storing the subscription (OpenAPI
/// `Subscription.warnings`).
#[derive(Serialize)]
struct Warning {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ShownEncryption {
    algorithm: String,
    fixed_iv: bool,
}

impl<'r> ShownSubscription<'r> {
    fn of(ctx: &Ctx<'_>, row: &'r Row) -> ApiResult<Self> {
        let encryption = InClear::subscription(
            row.encryption.as_deref(),
            row.encryption_algorithm.as_deref(),
            row.encryption_fixed_iv,
        )
        .shown(ctx.env)?
        .map(|e| ShownEncryption {
            algorithm: e.algorithm,
            fixed_iv: e.fixed_iv.unwrap_or(false),
        });
        Ok(Self {
            id: &row.id,
            url: &row.url,
            events: serde_json::from_str(&row.events).unwrap_or(Value::Null),
            channel_id: row.channel_id.as_deref(),
            is_active: row.is_active,
            encryption,
            previous_secret_signs_until: row.previous_secret_until.as_deref(),
            disabled_reason: row.disabled_reason.as_deref(),
            failures_in_a_row: row.failures_in_a_row,
            failing_since: row.failing_since.as_deref(),
            created_at: &row.created_at,
            updated_at: &row.updated_at,
            secret: None,
            note: None,
            warnings: Vec::new(),
        })
    }

    /// Says which event types the request registered.
    fn registering(mut self, names: &[String]) -> Self {
        self.warnings = names
            .iter()
            .map(|name| Warning {
                code: "event_type_registered",
                message: format!(
                    "{name:?} was not in the event catalogue: it is now registered as this \
                     community's event type, without a schema (any data object is published)"
                ),
            })
            .collect();
        self
    }

    /// Shows a new signing secret in this one answer.
    fn revealing(mut self, secret: Option<String>) -> Self {
        if secret.is_some() {
            self.note = Some("store the secret now: it is shown only once");
        }
        self.secret = secret;
        self
    }
}

/// 404 unless the community has this subscription: the one check behind its deliveries and logs.
pub(super) async fn found(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<()> {
    load(ctx, cid, id).await.map(drop)
}

async fn load(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Row> {
    resource::load(ctx, cid, id).await
}

/// An endpoint URL hookmap may send to.
fn url(ctx: &Ctx<'_>, Text(url): Text<'_, { target::MAX_URL_LEN }>) -> ApiResult<String> {
    target::check(url, outbox::allow_http_loopback(ctx.env)).map_err(ApiError::from)?;
    Ok(url.to_owned())
}

/// `events` and `channel_id` together: the channel must be the community's, and only narrows
/// `message.posted`. Any well-formed name is taken (seed 004 subscribes to `payment.completed`
/// before anything publishes it); the second part of the answer is the names the community has
/// not registered, which the store of the subscription registers.
async fn filter(
    ctx: &Ctx<'_>,
    cid: &str,
    events: &Value,
    channel: Option<&str>,
) -> ApiResult<(Filter, Vec<String>)> {
    let filter = Filter::stored(events, channel.map(str::to_owned))?;
    if let Some(channel) = channel {
        if !filter.events.contains(&EventType::MessagePosted.into()) {
            return Err(ApiError::invalid_field(
                "channel_id",
                "filters message.posted, which events does not list",
            ));
        }
        if channels::find(ctx.data(cid), cid, channel).await?.is_none() {
            return Err(ApiError::invalid_field(
                "channel_id",
                format!("this community has no channel {channel:?}"),
            ));
        }
    }
    let registered = super::event_types::registered(ctx, cid).await?;
    let new = filter
        .custom()
        .into_iter()
        .filter(|name| !registered.iter().any(|r| r == name))
        .map(str::to_owned)
        .collect();
    Ok((filter, new))
}

/// Registers `names` (a JSON array, `?2`) as community `?1`'s event types, without a schema,
/// described as `?3`, at `?4`: all of them or, when the community's types would pass
/// `MAX_EVENT_TYPES` (`?5`) or `ready` is false, none. It runs in the batch that stores the
/// subscription, whose own condition (`registered_condition`) then holds.
fn register(ready: &str, args: &[db::Arg<'_>]) -> db::Statement {
    db::stmt(
        &format!(
            "INSERT INTO event_types (community_id, name, description, schema, created_at)
             SELECT ?1, n.value, ?3, NULL, ?4 FROM json_each(?2) n
              WHERE (SELECT COUNT(*) FROM event_types
                      WHERE community_id = ?1 AND name NOT IN (SELECT value FROM json_each(?2)))
                    + json_array_length(?2) <= ?5
                AND {ready}
             ON CONFLICT DO NOTHING"
        ),
        args,
    )
}

/// The description of a type a subscription registered.
fn registered_by(id: &str) -> String {
    format!("registered by webhook subscription {id}, which listed it; no schema")
}

/// Runs `register` (when there are names to register) and then `store` in one batch: the rows the
/// store changed.
async fn stored_with(
    ctx: &Ctx<'_>,
    register: Option<db::Statement>,
    store: db::Statement,
) -> ApiResult<usize> {
    let statements: Vec<_> = register.into_iter().chain([store]).collect();
    let results = db::batch(&ctx.db, statements).await?;
    let last = results
        .last()
        .ok_or_else(|| ApiError::internal("a batch answered no results"))?;
    Ok(last.changes)
}

fn stored_events(filter: &Filter) -> String {
    Value::from(filter.events.iter().map(|e| e.as_str()).collect::<Vec<_>>()).to_string()
}

/// The filter's custom names as a JSON array, and how many: the INSERT or UPDATE that stores the
/// filter holds only while all of them are still registered (a type cannot be deleted while a
/// subscription lists it, and this closes the race the other way).
fn custom_events(filter: &Filter) -> (String, i64) {
    let custom = filter.custom();
    let n = i64::try_from(custom.len()).unwrap_or(i64::MAX);
    (Value::from(custom).to_string(), n)
}

/// Still registered: `?{a}` is the JSON array of custom names of community `?{c}`, `?{b}` their
/// count.
fn registered_condition(c: u8, a: u8, b: u8) -> String {
    format!(
        "(SELECT COUNT(*) FROM event_types WHERE community_id = ?{c}
           AND name IN (SELECT value FROM json_each(?{a}))) = ?{b}"
    )
}

/// Why a store of `filter` changed nothing when a custom type it lists is not registered: the
/// community has no room for the ones it would register, or one was deleted meanwhile.
async fn unregistered_meanwhile(
    ctx: &Ctx<'_>,
    cid: &str,
    filter: &Filter,
) -> ApiResult<Option<ApiError>> {
    let registered = super::event_types::registered(ctx, cid).await?;
    let missing: Vec<&str> = filter
        .custom()
        .into_iter()
        .filter(|name| !registered.iter().any(|r| r == name))
        .collect();
    let Some(name) = missing.first() else {
        return Ok(None);
    };
    if registered.len() + missing.len() > MAX_EVENT_TYPES {
        return Ok(Some(ApiError::unprocessable_at(
            "events",
            ApiCode::TooManyEventTypes,
            format!(
                "{name:?} is not in the event catalogue and the community has no room to register \
                 it: a community registers at most {MAX_EVENT_TYPES} event types"
            ),
        )));
    }
    Ok(Some(ApiError::unprocessable_at(
        "events",
        ApiCode::InvalidEvent,
        format!("{name:?} was deleted from the community's event types meanwhile"),
    )))
}

/// `encryption`: null or `{algorithm, key, iv, fixed_iv?}`; `fixed_iv: true` is the compatibility
/// setting (every body under the configured IV); by default each body has a fresh random IV.
fn encryption(ctx: &Ctx<'_>, value: &Value) -> ApiResult<Option<Sealed>> {
    let Some((checked, obj)) = checked_encryption(value, &["fixed_iv"])? else {
        return Ok(None);
    };
    let fixed_iv = match obj.get("fixed_iv") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "encryption.fixed_iv",
                "must be true or false",
            ))
        }
    };
    checked.for_subscription(fixed_iv).seal(ctx.env).map(Some)
}

pub async fn create(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let body = NewSubscription::from_object(&object)?;
    let url = url(ctx, body.url)?;
    let events = body.events.unwrap_or(&Value::Null);
    let channel = body.channel_id.map(|Text(channel)| channel);
    let (filter, new) = filter(ctx, cid, events, channel).await?;
    let is_active = body.is_active.unwrap_or(true);
    let encryption = encryption(ctx, body.encryption.unwrap_or(&Value::Null))?;
    let secret = secrets::new_signing_secret()?;
    let sealed_secret = secrets::seal(ctx.env, &secret)?;
    let id = db::new_id("sub")?;
    let (_, now) = db::now();
    let most = quotas::limit(
        ctx.env,
        &quotas::overrides(&ctx.db, cid).await?,
        Quota::Subscriptions,
    );
    let (custom, customs) = custom_events(&filter);
    let new_names = Value::from(new.clone()).to_string();
    let description = registered_by(&id);
    // Nothing is registered for a subscription its quota refuses.
    let register = (!new.is_empty()).then(|| {
        register(
            "(SELECT COUNT(*) FROM webhook_subscriptions WHERE community_id = ?1) < ?6",
            &crate::args![
                cid,
                new_names.as_str(),
                description.as_str(),
                &now,
                MAX_EVENT_TYPES as i64,
                most
            ],
        )
    });
    let store = db::stmt(
        &format!("INSERT INTO webhook_subscriptions (id, community_id, url, events, channel_id, is_active, secret, encryption,
                encryption_algorithm, encryption_fixed_iv, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?11, ?12, ?9, ?9
          WHERE (SELECT COUNT(*) FROM webhook_subscriptions WHERE community_id = ?2) < ?10 AND {}",
          registered_condition(2, 13, 14)),
        &crate::args![&id, cid, &url, stored_events(&filter).as_str(), filter.channel.as_deref(), is_active, &sealed_secret,
            encryption.as_ref().map(|e| e.value.as_str()), &now, most,
            encryption.as_ref().map(|e| e.shown.algorithm.as_str()), encryption.as_ref().and_then(|e| e.shown.fixed_iv),
            custom.as_str(), customs],
    );
    let inserted = stored_with(ctx, register, store).await?;
    if inserted == 0 {
        let count = db::first::<db::Count>(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM webhook_subscriptions WHERE community_id = ?1",
            &crate::args![cid],
        )
        .await?;
        if count.is_none_or(|c| c.n < most) {
            if let Some(e) = unregistered_meanwhile(ctx, cid, &filter).await? {
                return Err(e);
            }
        }
    }
    quotas::check_inserted(inserted, Quota::Subscriptions, most)?;
    community::copies::subscriptions(ctx.env, &ctx.db, cid).await?;
    let created = load(ctx, cid, &id).await?;
    http::json(
        201,
        &ShownSubscription::of(ctx, &created)?
            .revealing(Some(secret))
            .registering(&new),
    )
}

impl Resource for Row {
    const SELECT: &'static str = SELECT;
    const TABLE: &'static str = "webhook_subscriptions";
    const WHAT: &'static str = "this webhook subscription";

    type Shown<'r> = ShownSubscription<'r>;

    fn shown<'r>(&'r self, ctx: &Ctx<'_>) -> ApiResult<ShownSubscription<'r>> {
        ShownSubscription::of(ctx, self)
    }
}

/// Any subset of the create members; `rotate_secret: true` issues a new secret (shown once) and
/// keeps the old one signing for 24 hours beside it.
pub async fn update(ctx: &Ctx<'_>, cid: &str, id: &str, req: &mut Request) -> ApiResult<Response> {
    let row = load(ctx, cid, id).await?;
    let object = http::object_body(req).await?;
    let body = SubscriptionChange::from_object(&object)?;
    let url = match body.url {
        Some(given) => url(ctx, given)?,
        None => row.url,
    };
    let stored: Value = serde_json::from_str(&row.events).map_err(ApiError::internal)?;
    let events = match body.events {
        Patch::Keep => &stored,
        Patch::Clear => &Value::Null,
        Patch::Set(events) => events,
    };
    let channel = match body.channel_id {
        Patch::Keep => row.channel_id,
        Patch::Clear => None,
        Patch::Set(Text(channel)) => Some(channel.to_owned()),
    };
    let (filter, new) = filter(ctx, cid, events, channel.as_deref()).await?;
    let switched = body.is_active;
    let is_active = switched.unwrap_or(row.is_active);
    let (encryption, algorithm, fixed_iv) = match body.encryption {
        Patch::Keep => (
            row.encryption,
            row.encryption_algorithm,
            row.encryption_fixed_iv,
        ),
        Patch::Clear => (None, None, None),
        Patch::Set(v) => encryption(ctx, v)?.map_or((None, None, None), |e| {
            (Some(e.value), Some(e.shown.algorithm), e.shown.fixed_iv)
        }),
    };
    let (ms, now) = db::now();
    let rotated = match body.rotate_secret {
        Some(true) => Some(secrets::new_signing_secret()?),
        _ => None,
    };
    let sealed_rotated = rotated
        .as_deref()
        .map(|s| secrets::seal(ctx.env, s))
        .transpose()?;
    let until = rotated.as_ref().map(|_| db::iso(ms + ROTATION_MS));
    let (custom, customs) = custom_events(&filter);
    let new_names = Value::from(new.clone()).to_string();
    let description = registered_by(id);
    // Nothing is registered for a subscription deleted meanwhile.
    let register = (!new.is_empty()).then(|| {
        register(
            "EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = ?6 AND community_id = ?1)",
            &crate::args![
                cid,
                new_names.as_str(),
                description.as_str(),
                &now,
                MAX_EVENT_TYPES as i64,
                id
            ],
        )
    });
    let store = db::stmt(
        &format!("UPDATE webhook_subscriptions SET url = ?3, events = ?4, channel_id = ?5, is_active = ?6, encryption = ?7,
                encryption_algorithm = ?11, encryption_fixed_iv = ?12,
                previous_secret = CASE WHEN ?8 IS NULL THEN previous_secret ELSE secret END,
                previous_secret_until = COALESCE(?9, previous_secret_until),
                secret = COALESCE(?8, secret), updated_at = ?10,
                disabled_reason = CASE WHEN ?15 THEN NULL ELSE disabled_reason END,
                failures_in_a_row = CASE WHEN ?15 THEN 0 ELSE failures_in_a_row END,
                failing_since = CASE WHEN ?15 THEN NULL ELSE failing_since END
          WHERE id = ?1 AND community_id = ?2 AND {}", registered_condition(2, 13, 14)),
        // Switching it on or off by hand (?15) ends hookmap's reason and the failing streak.
        &crate::args![id, cid, &url, stored_events(&filter).as_str(), filter.channel.as_deref(), is_active,
            encryption.as_deref(), sealed_rotated.as_deref(), until.as_deref(), &now, algorithm.as_deref(), fixed_iv,
            custom.as_str(), customs, switched.is_some()],
    );
    let changed = stored_with(ctx, register, store).await?;
    if changed == 0 {
        if let Some(e) = unregistered_meanwhile(ctx, cid, &filter).await? {
            return Err(e);
        }
    }
    community::copies::subscriptions(ctx.env, &ctx.db, cid).await?;
    let updated = load(ctx, cid, id).await?;
    http::json(
        200,
        &ShownSubscription::of(ctx, &updated)?
            .revealing(rotated)
            .registering(&new),
    )
}

pub async fn delete(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Response> {
    load(ctx, cid, id).await?;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                "DELETE FROM outgoing_attempts WHERE subscription_id = ?1",
                &crate::args![id],
            ),
            db::stmt(
                "DELETE FROM outgoing_deliveries WHERE subscription_id = ?1",
                &crate::args![id],
            ),
            db::stmt(
                "DELETE FROM webhook_subscriptions WHERE id = ?1 AND community_id = ?2",
                &crate::args![id, cid],
            ),
        ],
    )
    .await?;
    community::copies::subscriptions(ctx.env, &ctx.db, cid).await?;
    http::no_content()
}

/// Sends a `test.ping` now and answers with what the endpoint did; the attempt is logged.
pub async fn test(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Response> {
    load(ctx, cid, id).await?;
    let data = json!({"message": "a test event from hookmap", "subscription_id": id});
    let published =
        outbox::publish_to(ctx.env, cid, &EventType::TestPing.into(), &data, id).await?;
    // One attempt, no retries: the caller is waiting for this answer.
    let job = Job {
        community_id: cid.to_owned(),
        delivery_id: published.deliveries.concat(),
        attempt: 1,
        replay_run: None,
        held_for: false,
        alert: None,
    };
    let sent = outbox::run(ctx.env, &ctx.db, &job, &[0])
        .await?
        .ok_or_else(|| ApiError::internal("the test delivery was not attempted"))?;
    /// OpenAPI `TestResult`: what the endpoint did with the ping.
    #[derive(Serialize)]
    struct Tested<'a> {
        event_id: &'a str,
        log_id: &'a str,
        status_code: Option<u16>,
        response_time_ms: u64,
        error: Option<&'a str>,
        success: bool,
    }
    http::json(
        200,
        &Tested {
            event_id: &published.id,
            log_id: &sent.log_id,
            status_code: sent.status_code,
            response_time_ms: sent.response_time_ms,
            error: sent.error.as_deref(),
            success: sent.delivery_status == DeliveryStatus::Success.as_str(),
        },
    )
}
