//! What a subscription's deliveries came to (`/v1/communities/{cid}/webhooks/{sid}/...`): one row
//! per event with its status and attempts, the attempt logs with the request as sent and the
//! subscriber's answer, and resending: one logged event, or every failed one since a time.

use hookmap_core::DeliveryStatus;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Request, Response};

use super::deliveries::{instant_field, instant_param, parsed, status_param};
use super::subscriptions::found;
use super::Ctx;
use crate::api::list::Listing;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http;
use crate::outbox;

#[derive(Deserialize, Serialize)]
struct DeliveryRow {
    id: String,
    event_id: String,
    event: String,
    status: String,
    attempts: i64,
    next_attempt_at: Option<String>,
    /// The delivery that resent this one, if any (the newest).
    resent_as: Option<String>,
    created_at: String,
    updated_at: String,
}

/// One row per event sent to the subscription, newest first: pending (with its next attempt's
/// time), succeeded or failed, and the attempts made so far. Filters: `?status=`, `?since=`,
/// `?until=` (created at or after, before).
pub async fn deliveries(ctx: &Ctx<'_>, cid: &str, sid: &str) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    let status = status_param(ctx, &DeliveryStatus::NAMES)?;
    let since = instant_param(ctx, "since")?;
    let until = instant_param(ctx, "until")?;
    let listing = Listing {
        select: "SELECT d.id, d.event_id, e.type AS event, d.status, d.attempts, d.next_attempt_at, d.resent_as, d.created_at, d.updated_at
                   FROM outgoing_deliveries d JOIN events e ON e.id = d.event_id",
        counted: "outgoing_deliveries d",
        filter: "d.subscription_id = ?1 AND (?2 IS NULL OR d.status = ?2)
                 AND (?3 IS NULL OR d.created_at >= ?3) AND (?4 IS NULL OR d.created_at < ?4)",
        order: "d.created_at DESC, d.id DESC",
    };
    let args = crate::args![sid, status.as_deref(), since.as_deref(), until.as_deref()];
    let totals = listing
        .totals_by_status(ctx, &args, 1, "d.status", &DeliveryStatus::NAMES)
        .await?;
    listing
        .fetch::<DeliveryRow>(ctx, &args)
        .await?
        .with_totals(totals)
        .answer_rows()
}

#[derive(Deserialize, Serialize)]
struct LogRow {
    id: String,
    event: String,
    event_id: String,
    delivery_id: String,
    attempt: i64,
    status_code: Option<i64>,
    response_time_ms: i64,
    error: Option<String>,
    created_at: String,
}

const LOG_COLUMNS: &str =
    "id, event, event_id, delivery_id, attempt, status_code, response_time_ms, error, created_at";

/// Every attempt, newest first.
pub async fn logs(ctx: &Ctx<'_>, cid: &str, sid: &str) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    Listing {
        select: &format!("SELECT {LOG_COLUMNS} FROM outgoing_attempts"),
        counted: "outgoing_attempts",
        filter: "subscription_id = ?1",
        order: "seq DESC",
    }
    .fetch::<LogRow>(ctx, &crate::args![sid])
    .await?
    .answer_rows()
}

#[derive(Deserialize)]
struct ExchangeRow {
    #[serde(flatten)]
    log: LogRow,
    request_headers: Option<String>,
    request_body: Option<String>,
    response_headers: Option<String>,
    response_body: Option<String>,
    response_truncated: i64,
    exchange_expired: i64,
}

async fn load_log<T: serde::de::DeserializeOwned + 'static>(
    ctx: &Ctx<'_>,
    columns: &str,
    sid: &str,
    lid: &str,
) -> ApiResult<T> {
    db::first(
        &ctx.db,
        &format!("SELECT {columns} FROM outgoing_attempts WHERE id = ?1 AND subscription_id = ?2"),
        &crate::args![lid, sid],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("this log entry"))
}

/// One attempt with its exchange: the request as sent (headers and body; null when nothing was
/// sent), and the subscriber's answer (status, headers, the first 4 KiB of the body; null when
/// none came). Retention drops both after the community's `payload_days`.
pub async fn log(ctx: &Ctx<'_>, cid: &str, sid: &str, lid: &str) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    let columns = format!(
        "{LOG_COLUMNS}, request_headers, request_body, response_headers, response_body, response_truncated, exchange_expired"
    );
    let row: ExchangeRow = load_log(ctx, &columns, sid, lid).await?;
    let request = row
        .request_body
        .as_ref()
        .map(|body| json!({"headers": parsed(row.request_headers.as_deref()), "body": body}));
    let response = row.response_headers.as_ref().map(|headers| {
        json!({
            "status_code": row.log.status_code, "headers": parsed(Some(headers)),
            "body": row.response_body, "body_truncated": row.response_truncated != 0,
        })
    });
    let mut out = serde_json::to_value(&row.log).map_err(ApiError::internal)?;
    if let Some(obj) = out.as_object_mut() {
        obj.insert("request".into(), request.unwrap_or(Value::Null));
        obj.insert("response".into(), response.unwrap_or(Value::Null));
        obj.insert(
            "exchange_expired".into(),
            Value::Bool(row.exchange_expired != 0),
        );
    }
    http::json(200, &out)
}

/// Sends a logged attempt's event again, as a new delivery with a fresh retry schedule; the
/// attempt's delivery names it (`resent_as`).
pub async fn resend(ctx: &Ctx<'_>, cid: &str, sid: &str, lid: &str) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    let log: LogRow = load_log(ctx, LOG_COLUMNS, sid, lid).await?;
    let delivery = db::new_id("odl")?;
    let (_, now) = db::now();
    let statements = outbox::resend_delivery(&ctx.db, &log.delivery_id, &delivery, &now, false)?;
    db::batch(&ctx.db, statements.into()).await?;
    outbox::enqueue(ctx.env, &delivery, 1, 0).await;
    http::json(
        202,
        &json!({"delivery_id": delivery, "event_id": log.event_id, "status": DeliveryStatus::Pending}),
    )
}

/// Failed deliveries one `recover` call resends at most.
const RECOVER_BATCH: i64 = 100;

/// Failed deliveries of `?1` created since `?3` and not resent yet.
const UNRECOVERED: &str =
    "FROM outgoing_deliveries WHERE subscription_id = ?1 AND status = ?2 AND resent_as IS NULL AND created_at >= ?3";

#[derive(Deserialize)]
struct Unrecovered {
    id: String,
}

/// `POST .../recover {"since"}` (Svix's recover): every failed delivery created since then that
/// was not resent yet is resent, as a new delivery with a fresh retry schedule. At most
/// [`RECOVER_BATCH`] a call, oldest first; `remaining` counts the rest, so calling again goes on,
/// and no delivery is resent twice, concurrent calls included.
pub async fn recover(
    ctx: &Ctx<'_>,
    cid: &str,
    sid: &str,
    req: &mut Request,
) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    let body = http::object_body(req).await?;
    http::only_known(&body, &["since"])?;
    let since = instant_field(&body, "since")?
        .ok_or_else(|| ApiError::invalid_field("since", "is required"))?;
    let failed = DeliveryStatus::Failed.as_str();
    let found: Vec<Unrecovered> = db::all(
        &ctx.db,
        &format!("SELECT id {UNRECOVERED} ORDER BY created_at LIMIT ?4"),
        &crate::args![sid, failed, since.as_str(), RECOVER_BATCH],
    )
    .await?;
    let (_, now) = db::now();
    let mut made = Vec::with_capacity(found.len());
    let mut statements = Vec::with_capacity(2 * found.len());
    for original in &found {
        let id = db::new_id("odl")?;
        statements.extend(outbox::resend_delivery(
            &ctx.db,
            &original.id,
            &id,
            &now,
            true,
        )?);
        made.push(id);
    }
    let mut recovered = 0;
    if !statements.is_empty() {
        let results = db::batch(&ctx.db, statements).await?;
        // Each pair's insert: skipped when another recover resent that delivery meanwhile.
        for (id, insert) in made.iter().zip(results.iter().skip(1).step_by(2)) {
            if insert.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0 {
                outbox::enqueue(ctx.env, id, 1, 0).await;
                recovered += 1;
            }
        }
    }
    let remaining: Option<db::Count> = db::first(
        &ctx.db,
        &format!("SELECT COUNT(*) AS n {UNRECOVERED}"),
        &crate::args![sid, failed, since.as_str()],
    )
    .await?;
    http::json(
        202,
        &json!({"recovered": recovered, "remaining": remaining.map_or(0, |c| c.n)}),
    )
}
