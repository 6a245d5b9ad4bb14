//! The cron's second chore: outgoing deliveries whose next attempt is overdue are queued again.
//!
//! A queue message can be lost: its send failed (`outbox::enqueue` logs and goes on), or its
//! consumer failed until the queue gave up and moved it to the dead-letter queue (wrangler.api.toml).
//! Its delivery would then stay pending with no one the wiser. Queueing again is always safe: an
//! attempt is claimed in D1 before it is made (`outbox::attempt`), so a second message for the
//! same attempt sends nothing, and an attempt in flight holds its delivery's next due time ahead.

use hookmap_core::DeliveryStatus;
use serde::{Deserialize, Serialize};
use worker::Env;

use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::log::{self, Level};
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

#[derive(Debug, Serialize)]
struct Requeued {
    requeued: usize,
}

/// Queues again, at `now_ms`, the oldest overdue deliveries of every community; how many.
pub async fn run(env: &Env, now_ms: u64) -> ApiResult<usize> {
    let d1 = env.d1("DB")?;
    let mut requeued = 0;
    // One community that fails (its data moving, say) keeps no other from its turn.
    for cid in crate::community::all(&d1).await? {
        match run_one(env, &cid, now_ms).await {
            Ok(n) => requeued += n,
            Err(e) => {
                worker::console_error!("overdue deliveries of {cid} not queued: {}", e.message)
            }
        }
    }
    if requeued > 0 {
        log::line(
            env,
            Level::Warn,
            "overdue outgoing deliveries queued again",
            &Requeued { requeued },
        );
    }
    Ok(requeued)
}

/// Community `cid`'s oldest overdue deliveries, queued again.
async fn run_one(env: &Env, cid: &str, now_ms: u64) -> ApiResult<usize> {
    let before = db::iso(now_ms.saturating_sub(GRACE_MS));
    // The status is spelled in the statement, not bound: only then can SQLite use the partial
    // index of pending deliveries (migrations/0015).
    let due = "COALESCE(next_attempt_at, created_at)";
    let overdue: Vec<Overdue> = db::all(
        Db::Community(env, cid),
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
