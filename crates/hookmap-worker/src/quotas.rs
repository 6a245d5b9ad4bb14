//! Per-community quotas as the worker enforces them (`hookmap_core::quota` holds the names and
//! bounds). A limit is the community's override if the admin set one, else the deployment's
//! `QUOTA_*` var, else the built-in default.
//!
//! Counts are checked inside the statement that would exceed them (`INSERT ... SELECT ... WHERE
//! (SELECT COUNT(*) ...) < limit`), never read first and written after, so concurrent requests
//! cannot overshoot.

use hookmap_core::quota::Quota;
use serde_json::{Map, Value};
use worker::{D1Database, Env};

use crate::db;
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
    };
    ApiError::unprocessable(
        "quota_exceeded",
        format!("this community may have {what}; the platform operator can raise its quota"),
    )
    .quota(quota.as_str(), limit)
}

/// Counts one published event in the community's current minute, in one statement that refuses
/// to count past the limit: over it, the answer is 429 with Retry-After and nothing is counted.
pub async fn count_event(env: &Env, db: &D1Database, community_id: &str) -> ApiResult<()> {
    let (ms, _) = db::now();
    let window = i64::try_from(ms / 60_000).unwrap_or(i64::MAX);
    let fallback = default(env, Quota::EventsPerMinute);
    let limit =
        "COALESCE((SELECT events_per_minute FROM community_quotas WHERE community_id = ?1), ?3)";
    let results = db::batch(
        db,
        vec![
            db::stmt(
                db,
                "DELETE FROM event_windows WHERE community_id = ?1 AND window < ?2",
                &crate::args![community_id, window],
            )?,
            db::stmt(
                db,
                &format!(
                    "INSERT INTO event_windows (community_id, window, count) SELECT ?1, ?2, 1 WHERE {limit} > 0
                     ON CONFLICT (community_id, window) DO UPDATE SET count = count + 1 WHERE count < {limit}"
                ),
                &crate::args![community_id, window, fallback],
            )?,
        ],
    )
    .await?;
    let counted = results
        .get(1)
        .map(|r| r.meta())
        .transpose()?
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0);
    if counted > 0 {
        return Ok(());
    }
    let limit = limit_of(env, db, community_id, Quota::EventsPerMinute).await?;
    Err(ApiError::until_next_minute(
        "quota_exceeded",
        &format!("this community may publish at most {limit} events a minute"),
        ms,
    )
    .quota(Quota::EventsPerMinute.as_str(), limit))
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
