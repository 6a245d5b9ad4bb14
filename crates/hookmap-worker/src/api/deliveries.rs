//! A webhook's delivery history, its latest caught payload, and replays.

use hookmap_core::joining;
use hookmap_core::query::DeliveryInclude;
use hookmap_core::vocabulary::quoted_or;
use hookmap_core::ApiCode;
use hookmap_core::{instant, DeliveryStatus, HistoryStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::Response;

use super::webhooks::row::load;
use super::Ctx;
use crate::api::list::{ByStatus, Listing};
use crate::db;
use crate::edge;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;

#[derive(Deserialize)]
struct DeliveryRow {
    id: String,
    webhook_id: String,
    status: String,
    http_status: i64,
    error_code: Option<String>,
    error_message: Option<String>,
    error_at: Option<String>,
    user_id: Option<String>,
    message_id: Option<String>,
    idempotency_key: Option<String>,
    /// A signed delivery's replay guard, claimed by its replay (never shown).
    signed_guard: Option<String>,
    payload: Option<String>,
    /// 1 when a failure's payload was cut to the community's cap: then it is text, not JSON.
    #[serde(deserialize_with = "db::flag")]
    payload_truncated: bool,
    /// 1 when retention dropped the payload (`payload_days`).
    #[serde(deserialize_with = "db::flag")]
    payload_expired: bool,
    effects: Option<String>,
    replay_of: Option<String>,
    /// The newest replay of it, or the delivery that applied its key meanwhile.
    replayed_as: Option<String>,
    /// The request's allow-listed headers, JSON text.
    headers: Option<String>,
    created_at: String,
}

/// A delivery's status as its history shows it (`HistoryStatus`): `replayed` once a replay of it
/// was recorded, else the stored one.
const HISTORY_STATUS: &str = "CASE WHEN replayed_as IS NULL THEN status ELSE 'replayed' END";

const SELECT: &str = "SELECT id, webhook_id, CASE WHEN replayed_as IS NULL THEN status ELSE 'replayed' END AS status, http_status,
                             error_code, error_message, error_at, user_id, message_id, idempotency_key, signed_guard, payload,
                             payload_truncated, payload_expired, effects, replay_of, replayed_as, headers, created_at
                        FROM deliveries";

/// Stored JSON text as JSON; null when there is none.
pub(super) fn parsed(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// A pending delivery older than this is flagged `stale`: the seeds' "if still pending after
/// 1 hour, contact an admin".
const STALE_AFTER_MS: u64 = 3_600_000;

/// Pending deliveries received before the returned instant are stale.
fn stale_before() -> String {
    let (now, _) = db::now();
    db::iso(now.saturating_sub(STALE_AFTER_MS))
}

/// A delivery as its history shows it (OpenAPI `Delivery`).
#[derive(Serialize)]
struct Shown<'r> {
    id: &'r str,
    webhook_id: &'r str,
    status: &'r str,
    http_status: i64,
    error: Option<ShownError<'r>>,
    user_id: Option<&'r str>,
    message_id: Option<&'r str>,
    idempotency_key: Option<&'r str>,
    effects: Value,
    replay_of: Option<&'r str>,
    replayed_as: Option<&'r str>,
    created_at: &'r str,
    /// A filtered delivery keeps the filter's reason where a failure keeps its message.
    reason: Option<&'r str>,
    headers: Value,
    stale: bool,
    #[serde(flatten)]
    payload: Option<Payload<'r>>,
}

#[derive(Serialize)]
struct ShownError<'r> {
    code: &'r str,
    message: Option<&'r str>,
    at: Option<&'r str>,
}

/// `payload` (the JSON), `payload_truncated`, and for a payload cut to the community's cap (no
/// longer JSON) `payload_text`, the bytes kept, with `payload` null.
#[derive(Serialize)]
struct Payload<'r> {
    payload: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_text: Option<Option<&'r str>>,
    payload_truncated: bool,
    payload_expired: bool,
}

impl<'r> Payload<'r> {
    fn of(row: &'r DeliveryRow) -> Self {
        let truncated = row.payload_truncated;
        Self {
            payload: match truncated {
                true => Value::Null,
                false => parsed(row.payload.as_deref()),
            },
            payload_text: truncated.then_some(row.payload.as_deref()),
            payload_truncated: truncated,
            payload_expired: row.payload_expired,
        }
    }
}

impl<'r> Shown<'r> {
    fn of(row: &'r DeliveryRow, with_payload: bool, stale_before: &str) -> Self {
        Self {
            id: &row.id,
            webhook_id: &row.webhook_id,
            status: &row.status,
            http_status: row.http_status,
            error: row.error_code.as_deref().map(|code| ShownError {
                code,
                message: row.error_message.as_deref(),
                at: row.error_at.as_deref(),
            }),
            user_id: row.user_id.as_deref(),
            message_id: row.message_id.as_deref(),
            idempotency_key: row.idempotency_key.as_deref(),
            effects: parsed(row.effects.as_deref()),
            replay_of: row.replay_of.as_deref(),
            replayed_as: row.replayed_as.as_deref(),
            created_at: &row.created_at,
            reason: (row.status == HistoryStatus::Filtered.as_str())
                .then_some(row.error_message.as_deref())
                .flatten(),
            headers: parsed(row.headers.as_deref()),
            stale: row.status == DeliveryStatus::Pending.as_str()
                && row.created_at.as_str() < stale_before,
            payload: with_payload.then(|| Payload::of(row)),
        }
    }
}

/// The latest payload the webhook received (decrypted), to build a mapping from.
pub async fn catch(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Response> {
    load(ctx, cid, id).await?;
    let row: Option<DeliveryRow> = db::first(
        ctx.data(cid),
        &format!(
            "{SELECT} WHERE webhook_id = ?1 AND payload IS NOT NULL ORDER BY seq DESC LIMIT 1"
        ),
        &crate::args![id],
    )
    .await?;
    let row = row.ok_or_else(|| {
        ApiError::not_found_with(
            ApiCode::NothingCaught,
            "this webhook has not received a readable payload yet: send one to its URL",
        )
    })?;
    /// OpenAPI `Caught`.
    #[derive(Serialize)]
    struct Caught<'r> {
        delivery_id: &'r str,
        received_at: &'r str,
        headers: Value,
        #[serde(flatten)]
        payload: Payload<'r>,
    }
    http::json(
        200,
        &Caught {
            delivery_id: &row.id,
            received_at: &row.created_at,
            headers: parsed(row.headers.as_deref()),
            payload: Payload::of(&row),
        },
    )
}

/// Newest first. Filters, each optional: `?status=`, `?since=` and `?until=` (received at or
/// after, before; `YYYY-MM-DD` or RFC 3339 UTC), `?user_id=` (the member it applied to) and
/// `?error_code=`. `?include=payload` gives each item the payload members of the single answer,
/// so a client can read a page of payloads in one call.
pub async fn list(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Response> {
    load(ctx, cid, id).await?;
    history(ctx, cid, "webhook_id = ?1", id).await
}

/// Every incoming webhook's deliveries of the community in one history: the per-webhook one's
/// filters, and `?webhook_id=`. A webhook's deliveries go when it is deleted, so each listed
/// delivery's webhook is one of the community's.
pub async fn list_community(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    match http::query(&ctx.url, "webhook_id") {
        Some(webhook) => {
            // Another community's webhook is a 404, as its own history would be.
            load(ctx, cid, &webhook).await?;
            history(ctx, cid, "webhook_id = ?1", &webhook).await
        }
        None => history(ctx, cid, "community_id = ?1", cid).await,
    }
}

/// The deliveries `scope` (a condition on `?1`, `owner`) finds, filtered by the query.
async fn history(ctx: &Ctx<'_>, cid: &str, scope: &str, owner: &str) -> ApiResult<Response> {
    let with_payload = include_param(ctx)? == Some(DeliveryInclude::Payload);
    let status = status_param(ctx, &HistoryStatus::NAMES)?;
    let since = instant_param(ctx, "since")?;
    let until = instant_param(ctx, "until")?;
    let (user, code) = (
        http::query(&ctx.url, "user_id"),
        http::query(&ctx.url, "error_code"),
    );
    let stale_before = stale_before();
    let filter = format!(
        "{scope} AND (?2 IS NULL OR {HISTORY_STATUS} = ?2) AND (?3 IS NULL OR created_at >= ?3)
             AND (?4 IS NULL OR created_at < ?4) AND (?5 IS NULL OR user_id = ?5)
             AND (?6 IS NULL OR error_code = ?6)"
    );
    let listing = Listing {
        select: SELECT,
        counted: "deliveries",
        filter: &filter,
        order: "seq DESC",
    };
    let args = crate::args![
        owner,
        status.as_deref(),
        since.as_deref(),
        until.as_deref(),
        user.as_deref(),
        code.as_deref()
    ];
    let by = ByStatus {
        at: 1,
        status: HISTORY_STATUS,
        names: &HistoryStatus::NAMES,
    };
    listing
        .fetch_with_totals::<DeliveryRow>(ctx, ctx.data(cid), &args, &by)
        .await?
        .answer_each(|r| Ok(Shown::of(r, with_payload, &stale_before)))
}

/// The `?include=` of a delivery history, if given.
fn include_param(ctx: &Ctx<'_>) -> ApiResult<Option<DeliveryInclude>> {
    http::query(&ctx.url, "include")
        .map(|text| {
            DeliveryInclude::parse(&text).ok_or_else(|| {
                ApiError::bad_request(
                    ApiCode::InvalidQuery,
                    format!(
                        "include must be {}, not {text:?}",
                        quoted_or(&DeliveryInclude::NAMES)
                    ),
                )
                .at("include")
            })
        })
        .transpose()
}

/// The `?status=` filter, if given: one of `names` (a history's statuses: `HistoryStatus` for
/// incoming deliveries, `DeliveryStatus` for outgoing ones).
pub(super) fn status_param(ctx: &Ctx<'_>, names: &[&str]) -> ApiResult<Option<String>> {
    let status = http::query(&ctx.url, "status");
    match status.as_deref() {
        Some(s) if !names.contains(&s) => Err(ApiError::bad_request(
            ApiCode::InvalidQuery,
            format!("status must be {}, not {s:?}", quoted_or(names)),
        )
        .at("status")),
        _ => Ok(status),
    }
}

/// Query parameter `name` as a stored instant (`hookmap_core::instant`), if given.
pub(super) fn instant_param(ctx: &Ctx<'_>, name: &str) -> ApiResult<Option<String>> {
    http::query(&ctx.url, name)
        .map(|text| {
            instant::canonical(&text).ok_or_else(|| {
                ApiError::bad_request(
                    ApiCode::InvalidQuery,
                    format!(
                        "{name} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.sss]Z, not {text:?}"
                    ),
                )
                .at(name)
            })
        })
        .transpose()
}

async fn load_delivery(ctx: &Ctx<'_>, cid: &str, id: &str, did: &str) -> ApiResult<DeliveryRow> {
    db::one(
        ctx.data(cid),
        &format!("{SELECT} WHERE id = ?1 AND webhook_id = ?2"),
        &crate::args![did, id],
        "this delivery",
    )
    .await
}

pub async fn get(ctx: &Ctx<'_>, cid: &str, id: &str, did: &str) -> ApiResult<Response> {
    load(ctx, cid, id).await?;
    let row = load_delivery(ctx, cid, id, did).await?;
    http::json(200, &Shown::of(&row, true, &stale_before()))
}

/// Runs a stored failed or pending delivery again with the current mapping. A success is never
/// replayed, and a replay carries an idempotency key, so a delivery applies at most once.
pub async fn replay(ctx: &Ctx<'_>, cid: &str, id: &str, did: &str) -> ApiResult<Response> {
    let webhook = load(ctx, cid, id).await?;
    let row = load_delivery(ctx, cid, id, did).await?;
    if row.status == DeliveryStatus::Success.as_str() {
        return Err(ApiError::conflict(
            ApiCode::AlreadyApplied,
            "this delivery succeeded; replaying it would apply it twice",
        ));
    }
    if row.status == HistoryStatus::Filtered.as_str() {
        return Err(ApiError::conflict(
            ApiCode::AlreadyFiltered,
            "the mapping's filter turned this delivery away and it took its idempotency key; \
             a replay would be its duplicate: have the sender send it again",
        ));
    }
    let hook = hooks::by_id(ctx.env, &ctx.db, &webhook.id)
        .await?
        .ok_or_else(|| ApiError::not_found("this incoming webhook"))?;
    let why = if row.payload_expired {
        "this delivery's payload was dropped after the community's payload_days (retention), so \
         it cannot be replayed; have the sender send it again"
    } else if row.payload_truncated {
        "this delivery's payload was cut to the community's failed_payload_bytes quota when it \
         was recorded, so it cannot be replayed; have the sender send it again"
    } else {
        "this delivery has no readable payload (it failed before decoding)"
    };
    let context = edge::Context::stored(row.headers.as_deref(), row.created_at);
    let held = row.status == DeliveryStatus::Pending.as_str()
        && row.error_code.as_deref() == Some(joining::HELD_REASON);
    let Some(stored) = edge::Decoded::stored(
        &hook,
        row.payload,
        context,
        (row.idempotency_key, row.signed_guard),
        did,
        held,
    ) else {
        return Err(ApiError::conflict(ApiCode::NothingToReplay, why));
    };
    edge::replay(ctx.env, ctx.data(cid), stored).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_status_is_one_expression_naming_the_core_status() {
        assert!(SELECT.contains(&format!("{HISTORY_STATUS} AS status")));
        let replayed = format!("'{}'", HistoryStatus::Replayed.as_str());
        assert!(HISTORY_STATUS.contains(&replayed));
    }
}
