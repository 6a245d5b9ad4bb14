//! What a subscription's deliveries came to (`/v1/communities/{cid}/webhooks/{sid}/...`): one row
//! per event with its status and attempts, the attempt logs with the request as sent and the
//! subscriber's answer, and resending: one logged event, or every failed one since a time.

use hookmap_core::quota;
use hookmap_core::resend::{self, Resend};
use hookmap_core::ApiCode;
use hookmap_core::DeliveryStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Request, Response};

use super::body::{Body, Instant};
use super::deliveries::{instant_param, parsed, status_param};
use super::subscriptions::found;
use super::Ctx;
use crate::api::list::{ByStatus, Listing};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http;
use crate::outbox::{self, Claim};
use crate::quotas;

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
    let by = ByStatus {
        at: 1,
        status: "d.status",
        names: &DeliveryStatus::NAMES,
    };
    listing
        .fetch_with_totals::<DeliveryRow>(ctx, ctx.data(cid), &args, &by)
        .await?
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
    .fetch::<LogRow>(ctx, ctx.data(cid), &crate::args![sid])
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
    #[serde(deserialize_with = "db::flag")]
    response_truncated: bool,
    #[serde(deserialize_with = "db::flag")]
    exchange_expired: bool,
}

async fn load_log<T: serde::de::DeserializeOwned + 'static>(
    ctx: &Ctx<'_>,
    cid: &str,
    columns: &str,
    sid: &str,
    lid: &str,
) -> ApiResult<T> {
    db::one(
        ctx.data(cid),
        &format!("SELECT {columns} FROM outgoing_attempts WHERE id = ?1 AND subscription_id = ?2"),
        &crate::args![lid, sid],
        "this log entry",
    )
    .await
}

/// One attempt with its exchange: the request as sent (headers and body; null when nothing was
/// sent), and the subscriber's answer (status, headers, the first 4 KiB of the body; null when
/// none came). Retention drops both after the community's `payload_days`.
pub async fn log(ctx: &Ctx<'_>, cid: &str, sid: &str, lid: &str) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    let columns = format!(
        "{LOG_COLUMNS}, request_headers, request_body, response_headers, response_body, response_truncated, exchange_expired"
    );
    let row: ExchangeRow = load_log(ctx, cid, &columns, sid, lid).await?;
    /// OpenAPI `OutgoingLogDetail`: the attempt, and the exchange while it is kept.
    #[derive(Serialize)]
    struct Detail<'r> {
        #[serde(flatten)]
        log: &'r LogRow,
        request: Option<Sent<'r>>,
        response: Option<Answered<'r>>,
        exchange_expired: bool,
    }
    #[derive(Serialize)]
    struct Sent<'r> {
        headers: Value,
        body: &'r str,
    }
    #[derive(Serialize)]
    struct Answered<'r> {
        status_code: Option<i64>,
        headers: Value,
        body: Option<&'r str>,
        body_truncated: bool,
    }
    http::json(
        200,
        &Detail {
            log: &row.log,
            request: row.request_body.as_deref().map(|body| Sent {
                headers: parsed(row.request_headers.as_deref()),
                body,
            }),
            response: row.response_headers.as_deref().map(|headers| Answered {
                status_code: row.log.status_code,
                headers: parsed(Some(headers)),
                body: row.response_body.as_deref(),
                body_truncated: row.response_truncated,
            }),
            exchange_expired: row.exchange_expired,
        },
    )
}

#[derive(Deserialize)]
struct ResendState {
    /// The newest resend of the delivery, when one is still stored.
    resent_as: Option<String>,
    resent_status: Option<String>,
}

/// The delivery's newest resend, if any is still stored (`None`: the delivery is gone).
async fn resend_state(ctx: &Ctx<'_>, cid: &str, delivery: &str) -> ApiResult<Option<ResendState>> {
    db::first(
        ctx.data(cid),
        "SELECT r.id AS resent_as, r.status AS resent_status
           FROM outgoing_deliveries d LEFT JOIN outgoing_deliveries r ON r.id = d.resent_as
          WHERE d.id = ?1",
        &crate::args![delivery],
    )
    .await
}

/// The answer naming the resend of `event_id` that a resend request made (202) or found (200).
fn resent(delivery: &str, event_id: &str, status: &str, already: bool) -> ApiResult<Response> {
    /// OpenAPI `Resent`.
    #[derive(Serialize)]
    struct Resent<'a> {
        delivery_id: &'a str,
        event_id: &'a str,
        status: &'a str,
        already_resent: bool,
    }
    http::json(
        if already { 200 } else { 202 },
        &Resent {
            delivery_id: delivery,
            event_id,
            status,
            already_resent: already,
        },
    )
}

request_body! {
    /// `POST .../logs/{lid}/resend`, whose body may be left out.
    pub struct ResendBody {
        force: Option<bool>,
    }
}

request_body! {
    /// `POST .../recover`.
    pub struct Recover {
        since: Instant,
    }
}

/// `POST .../logs/{lid}/resend {"force"?}`: sends a logged attempt's event again, as a new
/// delivery with a fresh retry schedule; the attempt's delivery names it (`resent_as`). A
/// delivery resent before answers with that resend (200, `already_resent`) and makes nothing,
/// unless `force: true`: at most `FORCED_RESENDS` forced resends of one event to one subscription
/// an hour (`429 too_many_resends`). Each resend made counts in the community's
/// `events_per_minute` (`429 quota_exceeded`), in the batch that makes it (`hookmap_core::resend`).
pub async fn resend(
    ctx: &Ctx<'_>,
    cid: &str,
    sid: &str,
    lid: &str,
    req: &mut Request,
) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    let object = http::optional_object_body(req).await?;
    let force = ResendBody::from_object(&object)?.force.unwrap_or(false);
    let log: LogRow = load_log(ctx, cid, LOG_COLUMNS, sid, lid).await?;
    let gone = || ApiError::not_found("this log entry's delivery");
    let state = resend_state(ctx, cid, &log.delivery_id)
        .await?
        .ok_or_else(gone)?;
    let Resend::New { forced } = resend::decide(state.resent_as.as_deref(), force) else {
        return earlier(&state, &log);
    };
    let delivery = db::new_id("odl")?;
    let (ms, now) = db::now();
    let since = db::iso(resend::forced_since(ms));
    let claim = if forced {
        Claim::Forced { since: &since }
    } else {
        Claim::Once
    };
    let mut statements = outbox::resend_delivery(&log.delivery_id, &delivery, &now, claim).to_vec();
    statements.extend(quotas::count_made(
        ctx.env,
        cid,
        quota::minute(ms),
        std::slice::from_ref(&delivery),
    )?);
    let results = match db::batch(ctx.data(cid), statements).await {
        Ok(results) => results,
        Err(e) => return Err(quotas::events_refused(ctx.env, &ctx.db, cid, ms, e).await),
    };
    let made = db::outcome(&results, 1)?.changes > 0;
    if !made {
        if forced {
            return Err(too_many_resends(ctx, cid, &log, &since, ms).await);
        }
        // A concurrent resend claimed it first: answer with that one.
        let state = resend_state(ctx, cid, &log.delivery_id)
            .await?
            .ok_or_else(gone)?;
        return earlier(&state, &log);
    }
    outbox::enqueue(ctx.env, cid, &delivery, 1, 0).await;
    resent(
        &delivery,
        &log.event_id,
        DeliveryStatus::Pending.as_str(),
        false,
    )
}

/// The answer to a plain resend of a delivery resent before: that resend, as it stands.
fn earlier(state: &ResendState, log: &LogRow) -> ApiResult<Response> {
    match (&state.resent_as, &state.resent_status) {
        (Some(id), Some(status)) => resent(id, &log.event_id, status, true),
        // Claimed by nobody and resent by nobody: only a delivery deleted meanwhile comes here.
        _ => Err(ApiError::not_found("this log entry's delivery")),
    }
}

/// `429 too_many_resends`, with the time the oldest forced resend counted leaves the window.
async fn too_many_resends(
    ctx: &Ctx<'_>,
    cid: &str,
    log: &LogRow,
    since: &str,
    now_ms: u64,
) -> ApiError {
    #[derive(Deserialize)]
    struct Oldest {
        oldest: Option<String>,
    }
    let oldest: ApiResult<Option<Oldest>> = db::first(
        ctx.data(cid),
        "SELECT MIN(f.created_at) AS oldest FROM outgoing_deliveries d JOIN outgoing_deliveries f
            ON f.subscription_id = d.subscription_id AND f.event_id = d.event_id
         WHERE d.id = ?1 AND f.forced = 1 AND f.created_at >= ?2",
        &crate::args![log.delivery_id.as_str(), since],
    )
    .await;
    let oldest_ms = match oldest {
        Ok(row) => row.and_then(|r| r.oldest).and_then(|t| db::parse_ms(&t)),
        Err(e) => return e,
    };
    ApiError::retry_in(
        ApiCode::TooManyResends,
        &format!(
            "this event was resent to this subscription with force {} times in the last hour, the most allowed",
            resend::FORCED_RESENDS
        ),
        resend::forced_retry_after(now_ms, oldest_ms),
    )
    .limit(resend::FORCED_RESENDS)
}

/// Failed deliveries of `?1` created since `?3` and not resent yet.
const UNRECOVERED: &str =
    "FROM outgoing_deliveries WHERE subscription_id = ?1 AND status = ?2 AND resent_as IS NULL AND created_at >= ?3";

#[derive(Deserialize)]
struct Unrecovered {
    id: String,
}

/// `POST .../recover {"since"}` (Svix's recover): every failed delivery created since then that
/// was not resent yet is resent, as a new delivery with a fresh retry schedule. At most
/// [`resend::RECOVER_BATCH`] a call and what the community's `events_per_minute` leaves this
/// minute (each delivery made is one event; none left: `429 quota_exceeded`), oldest first;
/// `remaining` counts the rest, so calling again goes on, and no delivery is resent twice,
/// concurrent calls included.
pub async fn recover(
    ctx: &Ctx<'_>,
    cid: &str,
    sid: &str,
    req: &mut Request,
) -> ApiResult<Response> {
    found(ctx, cid, sid).await?;
    let object = http::object_body(req).await?;
    let Instant(since) = Recover::from_object(&object)?.since;
    let failed = DeliveryStatus::Failed.as_str();
    let (ms, now) = db::now();
    let window = quota::minute(ms);
    let (room, limit) = quotas::events_room(ctx.env, cid, window).await?;
    let take = resend::recover_take(room);
    let found: Vec<Unrecovered> = db::all(
        ctx.data(cid),
        &format!("SELECT id {UNRECOVERED} ORDER BY created_at LIMIT ?4"),
        &crate::args![sid, failed, since.as_str(), take.max(1)],
    )
    .await?;
    if take == 0 && !found.is_empty() {
        return Err(quotas::events_exceeded(limit, ms));
    }
    let mut made = Vec::with_capacity(found.len());
    let mut statements = Vec::with_capacity(2 * found.len() + 2);
    for original in &found {
        let id = db::new_id("odl")?;
        statements.extend(outbox::resend_delivery(
            &original.id,
            &id,
            &now,
            Claim::Once,
        ));
        made.push(id);
    }
    let mut recovered = 0;
    if !statements.is_empty() {
        statements.extend(quotas::count_made(ctx.env, cid, window, &made)?);
        let results = match db::batch(ctx.data(cid), statements).await {
            Ok(results) => results,
            Err(e) => return Err(quotas::events_refused(ctx.env, &ctx.db, cid, ms, e).await),
        };
        // Each pair's insert: skipped when another recover resent that delivery meanwhile.
        for (id, insert) in made.iter().zip(results.iter().skip(1).step_by(2)) {
            if insert.changes > 0 {
                outbox::enqueue(ctx.env, cid, id, 1, 0).await;
                recovered += 1;
            }
        }
    }
    let remaining: Option<db::Count> = db::first(
        ctx.data(cid),
        &format!("SELECT COUNT(*) AS n {UNRECOVERED}"),
        &crate::args![sid, failed, since.as_str()],
    )
    .await?;
    /// OpenAPI `Recovered`: deliveries resent now, and the ones another call would take.
    #[derive(Serialize)]
    struct Recovered {
        recovered: i64,
        remaining: i64,
    }
    http::json(
        202,
        &Recovered {
            recovered,
            remaining: remaining.map_or(0, |c| c.n),
        },
    )
}
