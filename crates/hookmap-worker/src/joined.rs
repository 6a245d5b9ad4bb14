//! Held deliveries applied when their member joins (issue 28, `hookmap_core::joining`).
//!
//! A member's creation applies every delivery held for its email or username, oldest first,
//! each through the replay path (`edge::replay_recorded`) with the webhook's current mapping:
//! the replay's batch frees the key the held delivery owned and claims it, so two creations (or a
//! creation and an admin's replay) racing apply each delivery once, and the second finds a
//! duplicate. The cron catches up on any delivery held for a member who exists (a creation whose
//! worker stopped half-way), a bounded number a run. The API worker does this work: the edge (a
//! delivery that created a member, the cron) queues it (`queued`).

use std::collections::BTreeMap;

use serde::Deserialize;
use worker::{D1Database, Env};

use crate::api::users;
use crate::apply::HELD_WHERE;
use crate::db::{self, Db};
use crate::edge::{self, Recorded, ReplayOutcome};
use crate::error::ApiResult;
use crate::hook::HookRecord;
use crate::hooks;
use crate::outbox::Job;

/// Held deliveries one creation (or one cron run) applies at most; the cron takes the rest.
pub const MOST_AT_ONCE: i64 = 100;

#[derive(Deserialize)]
struct HeldRow {
    id: String,
    webhook_id: String,
    payload: Option<String>,
    idempotency_key: Option<String>,
    signed_guard: Option<String>,
    headers: Option<String>,
    created_at: String,
}

/// What applying held deliveries came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// Applied now (or found applied by a concurrent replay).
    pub applied: usize,
    /// Replayed and failed (the mapping changed, a balance would go below zero, ...).
    pub failed: usize,
}

/// Applies the deliveries held in `community_id` for `email` or `username`, oldest first.
pub async fn member_joined(
    env: &Env,
    d1: &D1Database,
    community_id: &str,
    email: &str,
    username: &str,
) -> ApiResult<Applied> {
    let db = Db::Community(env, community_id);
    let rows: Vec<HeldRow> = db::all(
        db,
        &format!(
            "SELECT d.id, d.webhook_id, d.payload, d.idempotency_key, d.signed_guard, d.headers, d.created_at
               FROM deliveries d
              WHERE d.community_id = ?1 AND {HELD_WHERE}
                AND ((d.member_by = 'email' AND d.member = ?2) OR (d.member_by = 'username' AND d.member = ?3))
              ORDER BY d.seq LIMIT ?4"
        ),
        &crate::args![community_id, email, username, MOST_AT_ONCE],
    )
    .await?;
    apply_rows(env, d1, db, rows).await
}

/// A queued job (`outbox::enqueue_held`): a member a delivery created (`member_id`): what was held
/// for them applies, then `member.joined`; or with an empty id the cron's catch-up. Queued by the
/// edge, so that the edge links no replay.
pub async fn queued(env: &Env, d1: &D1Database, job: &Job) -> ApiResult<()> {
    let cid = job.community_id.as_str();
    let done = match job.delivery_id.as_str() {
        "" => catch_up(env, d1, cid).await?,
        id => match users::created(Db::Community(env, cid), id).await? {
            // What was held applies first; then member.joined, whose failure is only logged, so
            // that a retried message announces the member once.
            Some(user) => {
                let done = member_joined(env, d1, cid, &user.email, &user.username).await?;
                users::announce(env, cid, &user).await?;
                done
            }
            None => Applied::default(),
        },
    };
    if done != Applied::default() {
        crate::log::line(env, crate::log::Level::Info, "held_applied", &done);
    }
    Ok(())
}

/// The cron's catch-up: deliveries still held for a member who exists, oldest first.
async fn catch_up(env: &Env, d1: &D1Database, community_id: &str) -> ApiResult<Applied> {
    let db = Db::Community(env, community_id);
    let rows: Vec<HeldRow> = db::all(
        db,
        &format!(
            "SELECT d.id, d.webhook_id, d.payload, d.idempotency_key, d.signed_guard, d.headers, d.created_at
               FROM deliveries d
              WHERE {HELD_WHERE}
                AND EXISTS (SELECT 1 FROM users u WHERE u.community_id = d.community_id
                              AND ((d.member_by = 'email' AND u.email = d.member)
                                OR (d.member_by = 'username' AND u.username = d.member)))
              ORDER BY d.seq LIMIT ?1"
        ),
        &crate::args![MOST_AT_ONCE],
    )
    .await?;
    apply_rows(env, d1, db, rows).await
}

async fn apply_rows(
    env: &Env,
    d1: &D1Database,
    db: Db<'_>,
    rows: Vec<HeldRow>,
) -> ApiResult<Applied> {
    let mut records: BTreeMap<String, Option<HookRecord>> = BTreeMap::new();
    let mut done = Applied::default();
    for row in rows {
        if !records.contains_key(&row.webhook_id) {
            let record = hooks::by_id(env, d1, &row.webhook_id).await?;
            records.insert(row.webhook_id.clone(), record);
        }
        let Some(Some(hook)) = records.get(&row.webhook_id) else {
            continue;
        };
        let context = edge::Context::stored(row.headers.as_deref(), row.created_at);
        let keys = (row.idempotency_key, row.signed_guard);
        let Some(stored) = edge::Decoded::stored(hook, row.payload, context, keys, &row.id, true)
        else {
            continue;
        };
        // One delivery's trouble does not keep the others held; the cron tries it again.
        match edge::replay_recorded(env, db, stored).await {
            Ok(Recorded::Unwritten(outcome))
                if matches!(
                    *outcome,
                    ReplayOutcome::Applied { .. } | ReplayOutcome::Duplicate { .. }
                ) =>
            {
                done.applied += 1
            }
            Ok(_) => done.failed += 1,
            Err(e) => {
                worker::console_error!("held delivery {} was not applied: {}", row.id, e.message)
            }
        }
    }
    Ok(done)
}
