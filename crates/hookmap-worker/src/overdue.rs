//! A community's second chore (`community::chores`): outgoing deliveries whose next attempt is
//! overdue are queued again.
//!
//! A queue message can be lost: its send failed (`outbox::enqueue` logs and goes on), or its
//! consumer failed until the queue gave up and moved it to the dead-letter queue (wrangler.api.toml).
//! Its delivery would then stay pending with no one the wiser. Queueing again is always safe: an
//! attempt is claimed in D1 before it is made (`outbox::attempt`), so a second message for the
//! same attempt sends nothing, and an attempt in flight holds its delivery's next due time ahead.

use hookmap_core::DeliveryStatus;
use serde::Deserialize;
use worker::Env;

use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::outbox;

/// How late an attempt must be before it is queued again: the queue's own delays and retries
/// take well under this.
const GRACE_MS: u64 = 10 * 60 * 1000;
/// Deliveries queued again in one run at most; the next run takes the rest.
const BATCH: i64 = 100;

#[derive(Deserialize)]
struct Overdue {
    id: String,
    attempts: i64,
}

/// Community `cid`'s oldest overdue deliveries (in its database `db`), queued again: how many.
pub async fn requeue(db: Db<'_>, env: &Env, cid: &str, now_ms: u64) -> ApiResult<usize> {
    let before = db::iso(now_ms.saturating_sub(GRACE_MS));
    // The status is spelled in the statement, not bound: only then can SQLite use the partial
    // index of pending deliveries (migrations/0015).
    let due = "COALESCE(next_attempt_at, created_at)";
    let overdue: Vec<Overdue> = db::all(
        db,
        &format!(
            "SELECT id, attempts FROM outgoing_deliveries
              WHERE status = '{}' AND {due} < ?1 ORDER BY {due} LIMIT ?2",
            DeliveryStatus::Pending.as_str()
        ),
        &crate::args![before.as_str(), BATCH],
    )
    .await?;
    for delivery in &overdue {
        let next = u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        outbox::enqueue(env, cid, &delivery.id, next, 0).await;
    }
    Ok(overdue.len())
}
