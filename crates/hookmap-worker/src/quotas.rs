//! Per-community quotas as the worker enforces them (`hookmap_core::quota` holds the names and
//! bounds). A limit is the community's override if the admin set one, else the deployment's
//! `QUOTA_*` var, else the built-in default.
//!
//! Counts are checked inside the statement that would exceed them (`INSERT ... SELECT ... WHERE
//! (SELECT COUNT(*) ...) < limit`), never read first and written after, so concurrent requests
//! cannot overshoot.

use hookmap_core::quota::{self, Quota};
use hookmap_core::ApiCode;
use hookmap_core::StorageRefusal;
use serde_json::{Map, Value};
use worker::{D1Database, Env};

use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};

/// The deployment's default for `quota`.
pub fn default(env: &Env, quota: Quota) -> i64 {
    let var = env.var(quota.var()).ok().map(|v| v.to_string());
    quota.default_from(var.as_deref())
}

/// A community's overrides, as stored (NULL: the default), one per quota of the core's set.
#[derive(Debug, Default)]
pub struct Overrides(Vec<(Quota, i64)>);

impl Overrides {
    pub fn get(&self, quota: Quota) -> Option<i64> {
        self.0.iter().find(|(q, _)| *q == quota).map(|(_, n)| *n)
    }
}

pub async fn overrides(db: &D1Database, community_id: &str) -> ApiResult<Overrides> {
    let columns: Vec<&str> = Quota::ALL.iter().map(|q| q.as_str()).collect();
    let row: Option<Map<String, Value>> = db::first(
        db,
        &format!(
            "SELECT {} FROM community_quotas WHERE community_id = ?1",
            columns.join(", ")
        ),
        &crate::args![community_id],
    )
    .await?;
    let row = row.unwrap_or_default();
    Ok(Overrides(
        Quota::ALL
            .into_iter()
            .filter_map(|q| Some((q, row.get(q.as_str())?.as_i64()?)))
            .collect(),
    ))
}

/// The limit of `quota` for a community with these overrides.
pub fn limit(env: &Env, overrides: &Overrides, quota: Quota) -> i64 {
    overrides.get(quota).unwrap_or_else(|| default(env, quota))
}

/// The refusal of a request that would go past `quota` (422; the event rate has its own 429).
pub fn exceeded(quota: Quota, limit: i64) -> ApiError {
    let what = match quota {
        Quota::IncomingWebhooks => format!("at most {limit} incoming webhooks"),
        Quota::Subscriptions => format!("at most {limit} webhook subscriptions"),
        Quota::MaxRateLimit => format!("webhooks with a rate_limit of at most {limit} a minute"),
        Quota::EventsPerMinute => format!("at most {limit} published events a minute"),
        Quota::FailedPayloadBytes => format!("at most {limit} bytes of a failed payload"),
        Quota::PayloadDays => format!("payloads kept for at most {limit} days"),
        Quota::HistoryDays => format!("deliveries kept for at most {limit} days"),
        Quota::HeldDeliveries => {
            format!("at most {limit} deliveries held for members who have not joined")
        }
        Quota::MembersPerHour => format!("at most {limit} members created by its webhooks an hour"),
        // Thresholds, not limits: nothing is refused by them, but the match names every quota.
        Quota::FailingInARow => format!("webhooks failing after {limit} failures in a row"),
        Quota::FailingWindow => format!("webhooks judged on their last {limit} deliveries"),
        Quota::StoredBytes => format!("at most {limit} bytes in its own database"),
        Quota::TotalRateLimit => {
            format!("incoming webhooks whose rate_limits add up to at most {limit} a minute")
        }
    };
    ApiError::unprocessable(
        ApiCode::QuotaExceeded,
        format!("this community may have {what}; the platform operator can raise its quota"),
    )
    .quota(quota.as_str(), limit)
}

/// The 507 of a delivery to a community whose own database holds `stored` bytes, at or over its
/// `limit`: nothing is recorded (that would write more), and the sender may send again once
/// retention or the operator made room.
pub fn storage_full(stored: i64, limit: i64) -> ApiError {
    ApiError {
        status: 507,
        message: format!(
            "this community's database holds {stored} bytes and may hold at most {limit}: it takes no new deliveries until retention or the platform operator makes room"
        ),
        ..exceeded(Quota::StoredBytes, limit)
    }
}

/// Counts one published event in the community's current minute, in one statement that refuses
/// to count past the limit: over it, the answer is 429 with Retry-After and nothing is counted.
pub async fn count_event(env: &Env, d1: &D1Database, community_id: &str) -> ApiResult<()> {
    let (ms, _) = db::now();
    let window = quota::minute(ms);
    let fallback = default(env, Quota::EventsPerMinute);
    let results = db::batch(
        Db::Community(env, community_id),
        vec![
            forget_past_minutes(community_id, window),
            db::stmt(
                &format!(
                    "INSERT INTO event_windows (community_id, window, count, cap) SELECT ?1, ?2, 1, {EVENTS_LIMIT} WHERE {EVENTS_LIMIT} > 0
                     ON CONFLICT (community_id, window) DO UPDATE SET count = count + 1, cap = excluded.cap WHERE count < excluded.cap"
                ),
                &crate::args![community_id, window, fallback],
            ),
        ],
    )
    .await?;
    if results.get(1).is_some_and(db::Outcome::changed) {
        return Ok(());
    }
    let limit = limit_of(env, d1, community_id, Quota::EventsPerMinute).await?;
    Err(events_exceeded(limit, ms))
}

/// A community's `events_per_minute` in SQL: its override (`?1` the community), else the
/// deployment's default (`?3`).
const EVENTS_LIMIT: &str =
    "COALESCE((SELECT events_per_minute FROM community_quotas WHERE community_id = ?1), ?3)";

fn forget_past_minutes(community_id: &str, window: i64) -> db::Statement {
    db::stmt(
        "DELETE FROM event_windows WHERE community_id = ?1 AND window < ?2",
        &crate::args![community_id, window],
    )
}

/// The statements that count the outgoing deliveries `made` as events of the community's minute
/// `window`, to go last in the batch that makes them: only those that exist by then count (a
/// claim lost to a concurrent resend makes none), and past the community's `events_per_minute`
/// the count's trigger (migration 0024) fails the whole batch with `events_quota`, rolling the
/// deliveries back with it: see [`events_refused`].
pub fn count_made(
    env: &Env,
    community_id: &str,
    window: i64,
    made: &[String],
) -> ApiResult<Vec<db::Statement>> {
    let fallback = default(env, Quota::EventsPerMinute);
    let ids = serde_json::to_string(made).map_err(ApiError::internal)?;
    Ok(vec![
        forget_past_minutes(community_id, window),
        db::stmt(
            &format!(
                "INSERT INTO event_windows (community_id, window, count, cap)
                 SELECT ?1, ?2, n, {EVENTS_LIMIT}
                   FROM (SELECT COUNT(*) AS n FROM outgoing_deliveries WHERE id IN (SELECT value FROM json_each(?4)))
                  WHERE n > 0
                 ON CONFLICT (community_id, window) DO UPDATE SET count = count + excluded.count, cap = excluded.cap"
            ),
            &crate::args![community_id, window, fallback, ids.as_str()],
        ),
    ])
}

/// What a batch ending in [`count_made`] failed with: past the events quota, the 429 (with
/// Retry-After until the next minute) that says so; anything else as it came.
pub async fn events_refused(
    env: &Env,
    db: &D1Database,
    community_id: &str,
    now_ms: u64,
    e: db::Failed,
) -> ApiError {
    if StorageRefusal::from_error_text(&e.text) != Some(StorageRefusal::EventsQuota) {
        return e.into();
    }
    match limit_of(env, db, community_id, Quota::EventsPerMinute).await {
        Ok(limit) => events_exceeded(limit, now_ms),
        Err(e) => e,
    }
}

/// The 429 of a community past its `events_per_minute` this minute.
pub fn events_exceeded(limit: i64, now_ms: u64) -> ApiError {
    ApiError::until_next_minute(
        ApiCode::QuotaExceeded,
        &format!("this community may publish or resend at most {limit} events a minute"),
        now_ms,
    )
    .quota(Quota::EventsPerMinute.as_str(), limit)
}

/// The room the community's `events_per_minute` leaves in minute `window`, and the limit.
pub async fn events_room(env: &Env, community_id: &str, window: i64) -> ApiResult<(i64, i64)> {
    #[derive(serde::Deserialize)]
    struct Used {
        used: i64,
        cap: i64,
    }
    let fallback = default(env, Quota::EventsPerMinute);
    let row: Option<Used> = db::first(
        Db::Community(env, community_id),
        &format!(
            "SELECT COALESCE((SELECT count FROM event_windows WHERE community_id = ?1 AND window = ?2), 0) AS used,
                    {EVENTS_LIMIT} AS cap"
        ),
        &crate::args![community_id, window, fallback],
    )
    .await?;
    let (used, limit) = row.map_or((0, fallback), |r| (r.used, r.cap));
    Ok((quota::room(limit, used), limit))
}

async fn limit_of(env: &Env, db: &D1Database, community_id: &str, quota: Quota) -> ApiResult<i64> {
    Ok(limit(env, &overrides(db, community_id).await?, quota))
}

/// Whether a counted INSERT wrote its row; when not, the community is at its `quota`.
pub fn check_inserted(changes: usize, quota: Quota, limit: i64) -> ApiResult<()> {
    if changes == 0 {
        Err(exceeded(quota, limit))
    } else {
        Ok(())
    }
}
