//! Retention, run in each community's database by its object's alarm (`community::chores`): each
//! delivery's payload, and what each outgoing attempt sent and got back, is dropped after the
//! community's `payload_days`, and delivery rows (with their idempotency keys), outgoing
//! deliveries, attempts, events and adjustments (with theirs) after its `history_days`
//! (`hookmap_core::quota`). Without it nothing was ever deleted, and one sender could fill its
//! community's database.
//!
//! The work of one run is bounded: each sweep takes at most `BATCH` rows, oldest first, and runs
//! again only while it keeps finding a full batch, at most `ROUNDS` times; the next alarm takes
//! the rest.

use hookmap_core::joining;
use hookmap_core::quota::Quota;
use hookmap_core::DeliveryStatus;
use serde::Serialize;
use worker::Env;

use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::quotas;

/// Rows one statement of a sweep touches at most.
const BATCH: i64 = 1_000;
/// Batches a sweep runs in one run at most.
const ROUNDS: usize = 5;

/// What one run did, for its log line.
#[derive(Debug, Default, Serialize)]
pub struct Swept {
    /// Held deliveries whose member never joined before their payload was due to go: failed.
    pub held_given_up: usize,
    pub payloads_dropped: usize,
    /// Outgoing attempts whose request and answer were dropped.
    pub exchanges_dropped: usize,
    pub deliveries_deleted: usize,
    pub keys_deleted: usize,
    pub outgoing_deleted: usize,
    pub replay_runs_deleted: usize,
    /// Members' adjustments by hand, their `Idempotency-Key`s with them.
    pub adjustments_deleted: usize,
}

/// The cutoff for rows of the community `{alias}.community_id`: `?1` (the run's time, in seconds)
/// less the community's `column` days, or the deployment default bound to `default`.
fn cutoff(alias: &str, column: &str, default: &str) -> String {
    format!(
        "strftime('%Y-%m-%dT%H:%M:%fZ', ?1, 'unixepoch', '-' || COALESCE(
            (SELECT q.{column} FROM community_quotas q WHERE q.community_id = {alias}.community_id),
            {default}) || ' days')"
    )
}

/// One retention run at `now_ms` in one community's database.
pub async fn sweep(db: Db<'_>, env: &Env, now_ms: u64) -> ApiResult<Swept> {
    let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let payload_days = quotas::default(env, Quota::PayloadDays);
    let history_days = quotas::default(env, Quota::HistoryDays);
    let kept = cutoff("d", "history_days", "?2");
    let payload = (
        payload_days,
        // Payloads first: the largest part of a row, and the first to go.
        format!(
            "UPDATE deliveries SET payload = NULL, payload_expired = 1 WHERE id IN (
               SELECT d.id FROM deliveries d
                WHERE d.payload IS NOT NULL AND d.created_at < {}
                ORDER BY d.created_at LIMIT ?3)",
            cutoff("d", "payload_days", "?2")
        ),
    );
    // What outgoing attempts sent and got back goes with the payloads.
    let exchanges = (
        payload_days,
        format!(
            "UPDATE outgoing_attempts SET request_headers = NULL, request_body = NULL,
                    response_headers = NULL, response_body = NULL, exchange_expired = 1
              WHERE id IN (
               SELECT d.id FROM outgoing_attempts d
                WHERE d.exchange_expired = 0 AND d.request_body IS NOT NULL AND d.created_at < {}
                ORDER BY d.created_at LIMIT ?3)",
            cutoff("d", "payload_days", "?2")
        ),
    );
    // Keys go with their deliveries, never before: a repeat inside the window stays a repeat.
    let keys = format!(
        "DELETE FROM idempotency_keys WHERE rowid IN (
           SELECT k.rowid FROM idempotency_keys k JOIN deliveries d ON d.id = k.delivery_id
            WHERE d.created_at < {kept} ORDER BY d.created_at LIMIT ?3)"
    );
    let rows = |table: &str, unless: &str| {
        format!(
            "DELETE FROM {table} WHERE id IN (
               SELECT d.id FROM {table} d WHERE d.created_at < {kept} {unless}
                ORDER BY d.created_at LIMIT ?3)"
        )
    };
    let sweeps = [
        payload,
        exchanges,
        (history_days, keys),
        (history_days, rows("deliveries", "")),
        (history_days, rows("outgoing_attempts", "")),
        (history_days, rows("outgoing_deliveries", "")),
        (history_days, rows("replay_runs", "")),
        // An adjustment's key lives in its row: a retry inside history_days stays a repeat.
        (history_days, rows("adjustments", "")),
        // An event goes once no delivery of it is left.
        (
            history_days,
            rows(
                "events",
                "AND NOT EXISTS (SELECT 1 FROM outgoing_deliveries o WHERE o.event_id = d.id)",
            ),
        ),
    ];
    let held_given_up = give_up_held(db, now, payload_days).await?;
    let mut counts = [0usize; 9];
    for ((days, sweep), count) in sweeps.iter().zip(counts.iter_mut()) {
        *count = rounds(db, sweep, now, *days).await?;
    }
    let [payloads_dropped, exchanges_dropped, keys_deleted, deliveries_deleted, attempts, outgoing, runs, adjustments, events] =
        counts;
    let swept = Swept {
        held_given_up,
        payloads_dropped,
        exchanges_dropped,
        deliveries_deleted,
        keys_deleted,
        outgoing_deleted: attempts + outgoing + events,
        replay_runs_deleted: runs,
        adjustments_deleted: adjustments,
    };
    Ok(swept)
}

/// Runs `sweep` until it finds less than a full batch, at most `ROUNDS` times; rows touched.
async fn rounds(db: Db<'_>, sweep: &str, now: i64, days: i64) -> ApiResult<usize> {
    let mut total = 0;
    for _ in 0..ROUNDS {
        let changed = db::run_changes(db, sweep, &crate::args![now, days, BATCH]).await?;
        total += changed;
        if i64::try_from(changed).unwrap_or(i64::MAX) < BATCH {
            break;
        }
    }
    Ok(total)
}

/// Held deliveries (`hookmap_core::joining`) whose payload is due to go: without it they could
/// never apply, so they fail with `member_never_joined` and give up the idempotency key they
/// owned (the sender may send again), in one batch per round, before the payload sweep.
async fn give_up_held(db: Db<'_>, now: i64, days: i64) -> ApiResult<usize> {
    let due = format!(
        "SELECT d.id FROM deliveries d
          WHERE {} AND d.payload IS NOT NULL AND d.created_at < {}
          ORDER BY d.created_at, d.id LIMIT ?3",
        crate::apply::HELD_WHERE,
        cutoff("d", "payload_days", "?2")
    );
    let mut total = 0;
    for _ in 0..ROUNDS {
        let args = crate::args![
            now,
            days,
            BATCH,
            DeliveryStatus::Failed.as_str(),
            joining::NEVER_JOINED,
            joining::never_joined_message()
        ];
        let results = db::batch(
            db,
            vec![
                db::stmt(
                    &format!("DELETE FROM idempotency_keys WHERE delivery_id IN ({due}) AND ?4 = ?4 AND ?5 = ?5 AND ?6 = ?6"),
                    &args,
                ),
                db::stmt(
                    &format!(
                        "UPDATE deliveries SET status = ?4, http_status = 422, error_code = ?5, error_message = ?6
                          WHERE id IN ({due})"
                    ),
                    &args,
                ),
            ],
        )
        .await?;
        let changed = results.get(1).map(|r| r.changes).unwrap_or(0);
        total += changed;
        if i64::try_from(changed).unwrap_or(i64::MAX) < BATCH {
            break;
        }
    }
    Ok(total)
}
