//! Bulk replay, the queue's side: each message replays one incoming delivery of a run with the
//! webhook's current mapping, exactly as a replay by hand does (`edge::replay_recorded`), and
//! counts what it came to on the run, which is how its progress is read.
//!
//! A delivery is replayed at most once however often it is queued: a replay carries the
//! original's idempotency key, or `replay:{id}` for one without (`edge::run`), so a second replay
//! is a duplicate that applies nothing.

use hookmap_core::joining;
use hookmap_core::DeliveryStatus;
use serde::Deserialize;
use worker::{D1Database, Env};

use crate::db::{self, Db};
use crate::edge::{self, Recorded, ReplayOutcome};
use crate::error::ApiResult;
use crate::hooks;
use crate::outbox::Job;

#[derive(Deserialize)]
struct Original {
    webhook_id: String,
    status: String,
    payload: Option<String>,
    #[serde(deserialize_with = "db::flag")]
    payload_truncated: bool,
    idempotency_key: Option<String>,
    signed_guard: Option<String>,
    replayed_as: Option<String>,
    error_code: Option<String>,
    headers: Option<String>,
    created_at: String,
}

/// What one replay of a run came to: the run's counter it adds to.
fn counter(recorded: &Recorded) -> &'static str {
    match recorded {
        // Turned away by the mapping's filter: applied nothing, and there is nothing to retry.
        Recorded::Unwritten(outcome) => match outcome.as_ref() {
            ReplayOutcome::Applied { plan, .. } if plan.filtered.is_some() => "skipped",
            ReplayOutcome::Applied { .. } | ReplayOutcome::Duplicate { .. } => "succeeded",
            ReplayOutcome::DryRun(_)
            | ReplayOutcome::RateLimited
            | ReplayOutcome::Pending { .. }
            | ReplayOutcome::Held(_)
            | ReplayOutcome::Failed(_) => "failed",
        },
        Recorded::Pending { .. } | Recorded::Held { .. } => "pending",
        Recorded::MemberJoined
        | Recorded::Failed { .. }
        | Recorded::Refused(_)
        | Recorded::Outdated => "failed",
    }
}

/// Replays delivery `delivery_id` for run `run_id` and counts it there. A delivery replayed,
/// succeeded or gone meanwhile, or with nothing left to replay, is counted as skipped.
pub async fn replay_one(env: &Env, d1: &D1Database, job: &Job, run_id: &str) -> ApiResult<()> {
    let delivery_id = job.delivery_id.as_str();
    let db = Db::Community(env, &job.community_id);
    let original: Option<Original> = db::first(
        db,
        "SELECT webhook_id, status, payload, payload_truncated, idempotency_key, signed_guard, replayed_as,
                error_code, headers, created_at
           FROM deliveries WHERE id = ?1",
        &crate::args![delivery_id],
    )
    .await?;
    let replayable = original.filter(|o| {
        o.replayed_as.is_none()
            && DeliveryStatus::REPLAYABLE
                .iter()
                .any(|s| s.as_str() == o.status)
            && !o.payload_truncated
    });
    let mut count = "skipped";
    if let Some(original) = replayable {
        if let Some(hook) = hooks::by_id(env, d1, &original.webhook_id).await? {
            let keys = (original.idempotency_key, original.signed_guard);
            let held = original.status == DeliveryStatus::Pending.as_str()
                && original.error_code.as_deref() == Some(joining::HELD_REASON);
            let context = edge::Context::stored(original.headers.as_deref(), original.created_at);
            if let Some(stored) =
                edge::Decoded::stored(&hook, original.payload, context, keys, delivery_id, held)
            {
                count = counter(&edge::replay_recorded(env, db, stored).await?);
            }
        }
    }
    let (_, now) = db::now();
    db::run(
        db,
        &format!("UPDATE replay_runs SET {count} = {count} + 1, updated_at = ?2 WHERE id = ?1"),
        &crate::args![run_id, &now],
    )
    .await
}
