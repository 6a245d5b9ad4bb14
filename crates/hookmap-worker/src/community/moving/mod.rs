//! Moving a community's data from the directory (D1), where it lived before the data plane, into
//! its own object (README, "Moving an existing deployment").
//!
//! A move is a series of calls (`POST /v1/communities/{cid}/move`), each doing a bounded amount of
//! work, so that no call runs into a request's limits however large the community:
//! 1. the object is marked `moving` (`placement`): from then on it answers deliveries and reads
//!    `503 community_moving` with `Retry-After` until the move ends. A community from before the
//!    data plane has no placement and answers so already;
//! 2. the settings' copies are written (webhooks, subscriptions, quotas: `copies`);
//! 3. each table's rows are copied page by page, oldest rowid first, with `INSERT OR IGNORE`:
//!    a page and how far its table got (`move_progress`) commit together, so a move stopped
//!    anywhere goes on from there and copies nothing twice (`pages`);
//! 4. every table's row count and every currency's balance sum are compared, directory against
//!    object; a difference stops the move (it stays `moving`, and says where: `verify`);
//! 5. the object goes `live`, outgoing deliveries still owed are queued again (their queue
//!    messages may have been lost meanwhile), and the directory's rows are deleted, page by page
//!    (`finish`).
//!
//! A call answers where the move stands; the operator calls again until it is `live` and nothing
//! is left in the directory. A community created on the data plane is `live` from its creation,
//! and its move does nothing.

mod finish;
mod pages;
mod verify;

use std::collections::BTreeMap;

use hookmap_core::community_schema::{MoveState as State, Placement};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{D1Database, Env};

pub use pages::copy;

use crate::community::{copies, place};
use crate::db;
use crate::error::{ApiError, ApiResult};

/// A table a move copies, in an order that puts every row after the rows it refers to.
#[derive(Debug, Clone, Copy)]
pub struct Moved {
    pub name: &'static str,
    /// The directory finds the community's rows by their webhook (the table has no community).
    by_webhook: bool,
}

const fn table(name: &'static str) -> Moved {
    Moved {
        name,
        by_webhook: false,
    }
}

const fn by_webhook(name: &'static str) -> Moved {
    Moved {
        name,
        by_webhook: true,
    }
}

/// Every table whose rows move. The settings' copies (`incoming_webhooks`,
/// `webhook_subscriptions`, `community_quotas`) are written from the directory's settings, which
/// stay there; `event_types` stays in the directory.
pub const TABLES: [Moved; 20] = [
    table("currencies"),
    table("user_fields"),
    table("channels"),
    table("users"),
    table("balances"),
    table("user_field_values"),
    table("user_field_histories"),
    table("gamification_logs"),
    table("messages"),
    table("adjustments"),
    table("deliveries"),
    table("incoming_webhook_health"),
    by_webhook("idempotency_keys"),
    by_webhook("rate_windows"),
    by_webhook("failure_windows"),
    table("replay_runs"),
    table("events"),
    table("event_windows"),
    table("outgoing_deliveries"),
    table("outgoing_attempts"),
];

impl Moved {
    /// The directory's condition that selects community `?1`'s rows.
    fn filter(self) -> &'static str {
        match self.by_webhook {
            true => "webhook_id IN (SELECT id FROM incoming_webhooks WHERE community_id = ?1)",
            false => "community_id = ?1",
        }
    }

    fn named(name: &str) -> Option<Self> {
        TABLES.into_iter().find(|t| t.name == name)
    }
}

/// One page of a table's rows, as the directory holds them, and the rowid of its last.
#[derive(Serialize, Deserialize)]
pub struct Page {
    pub table: String,
    pub rows: Vec<Map<String, Value>>,
    pub after: i64,
}

/// Rows hold payloads and secrets' digests: only their number is shown.
impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Page({}, {} rows, after {})",
            self.table,
            self.rows.len(),
            self.after
        )
    }
}

/// Pages one call copies, or deletes, at most: two round trips each, far within a request's
/// subrequests.
const PAGES_PER_CALL: usize = 100;

/// What a call did and where the move stands.
#[derive(Debug, Serialize)]
pub struct Report {
    pub community_id: String,
    pub state: State,
    /// Rows copied by this call.
    pub copied: u64,
    /// Per table, rows in the directory and in the object, once all were copied.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<&'static str, [i64; 2]>,
    /// Per currency, the balances' sum in the directory and in the object.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub balances: BTreeMap<String, [i64; 2]>,
    /// What differs, when the move stopped for it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<String>,
    /// Owed outgoing deliveries queued again as the community went live.
    pub requeued: usize,
    /// Directory rows deleted by this call, and those still there.
    pub deleted: u64,
    pub left_in_directory: u64,
}

#[derive(Deserialize)]
struct PlacementRow {
    state: Placement,
}

/// One call's worth of community `cid`'s move.
pub async fn step(env: &Env, d1: &D1Database, cid: &str) -> ApiResult<Report> {
    let mut report = Report {
        community_id: cid.to_owned(),
        state: State::Moving,
        copied: 0,
        counts: BTreeMap::new(),
        balances: BTreeMap::new(),
        mismatches: Vec::new(),
        requeued: 0,
        deleted: 0,
        left_in_directory: 0,
    };
    if begin(env, cid).await? != Placement::Live {
        let mut settings = copies::webhook_statements(d1, cid).await?;
        settings.extend(copies::subscription_statements(d1, cid).await?);
        settings.extend(copies::quota_statements(d1, cid).await?);
        place(env, cid, &settings).await?;
        if !pages::copy_pages(env, d1, cid, &mut report).await? {
            return Ok(report);
        }
        verify::verify(env, d1, cid, &mut report).await?;
        if !report.mismatches.is_empty() {
            report.state = State::Mismatched;
            return Ok(report);
        }
        let (_, now) = db::now();
        place(
            env,
            cid,
            &[db::stmt(
                "UPDATE placement SET state = ?1, updated_at = ?2",
                &crate::args![Placement::Live.as_str(), &now],
            )],
        )
        .await?;
        report.requeued = finish::requeue(env, cid).await?;
    }
    report.state = State::Live;
    finish::delete_from_directory(d1, cid, &mut report).await?;
    Ok(report)
}

/// Marks the object `moving` unless it is `live`; the state it is in.
async fn begin(env: &Env, cid: &str) -> ApiResult<Placement> {
    let (_, now) = db::now();
    let outcomes = place(
        env,
        cid,
        &[
            db::stmt(
                "INSERT INTO placement (id, community_id, state, updated_at)
                 VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
                &crate::args![cid, Placement::Moving.as_str(), &now],
            ),
            db::stmt("SELECT state FROM placement", &[]),
        ],
    )
    .await?;
    let placement: Vec<PlacementRow> = match outcomes.last() {
        Some(outcome) => outcome.rows()?,
        None => Vec::new(),
    };
    placement
        .into_iter()
        .next()
        .map(|p| p.state)
        .ok_or_else(|| ApiError::internal("the object has no placement after a move began"))
}
