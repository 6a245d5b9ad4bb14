//! Bulk replay (`POST .../incoming-webhooks/{wid}/deliveries/replay`) and its progress
//! (`GET .../incoming-webhooks/{wid}/replays/{rid}`): the history's failed and pending deliveries,
//! chosen with the history's filters, replayed through the queue (`crate::replays`), at most
//! [`RUN_SIZE`] a call, oldest first.

use hookmap_core::DeliveryStatus;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{Request, Response};

use super::body::{Body, Instant, Member, Text};
use super::webhooks::row::load;
use super::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http;
use crate::outbox;

/// Deliveries one call queues at most; `remaining` counts the rest.
const RUN_SIZE: i64 = 100;

request_body! {
    /// The history's filters a run chooses deliveries by, each left out or null for any.
    pub struct Filters<'a> {
        status: Option<Replayable>,
        since: Option<Instant>,
        until: Option<Instant>,
        user_id: Option<Text<'a, 100>>,
        error_code: Option<Text<'a, 100>>,
    }
}

/// A status a replay takes: failed or pending.
pub struct Replayable(DeliveryStatus);

impl<'a> Member<'a> for Replayable {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        let Text(text) = Text::<'a, 16>::read(value, name)?;
        DeliveryStatus::parse(text)
            .filter(|s| DeliveryStatus::REPLAYABLE.contains(s))
            .map(Self)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    name,
                    format!(
                        "must be \"failed\" or \"pending\", not {text:?}: a success is never replayed"
                    ),
                )
            })
    }
}

/// The deliveries a replay may take: failed or pending, not replayed yet, with the whole payload
/// kept (retention and the failed-payload cap drop what a replay needs).
fn candidates() -> String {
    format!(
        "FROM deliveries WHERE webhook_id = ?1 AND replayed_as IS NULL AND status IN ('{}', '{}')
            AND payload IS NOT NULL AND payload_truncated = 0
            AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR created_at >= ?3)
            AND (?4 IS NULL OR created_at < ?4) AND (?5 IS NULL OR user_id = ?5)
            AND (?6 IS NULL OR error_code = ?6)",
        DeliveryStatus::REPLAYABLE[0].as_str(),
        DeliveryStatus::REPLAYABLE[1].as_str()
    )
}

#[derive(Deserialize)]
struct Candidate {
    id: String,
}

/// Starts a run: queues the oldest [`RUN_SIZE`] deliveries the filters find and answers the run
/// with `remaining`, the ones left for another call once this run is done.
pub async fn start(ctx: &Ctx<'_>, cid: &str, wid: &str, req: &mut Request) -> ApiResult<Response> {
    load(ctx, cid, wid).await?;
    let object = http::object_body(req).await?;
    http::json(202, &queue_run(ctx, cid, wid, &object).await?)
}

/// The pending deliveries of webhook `wid` that a replay would take: what saving its mapping
/// says wait (`pending_deliveries`).
pub(super) async fn pending(ctx: &Ctx<'_>, cid: &str, wid: &str) -> ApiResult<i64> {
    let status = Some(DeliveryStatus::Pending.as_str());
    let args = crate::args![
        wid,
        status,
        None::<&str>,
        None::<&str>,
        None::<&str>,
        None::<&str>
    ];
    Ok(db::first::<db::Count>(
        ctx.data(cid),
        &format!("SELECT COUNT(*) AS n {}", candidates()),
        &args,
    )
    .await?
    .map_or(0, |c| c.n))
}

/// Queues a run of the deliveries `filters` (a [`Filters`] body) find; the run as its answer
/// shows it, with `remaining`. The run keeps the filters as they were sent.
pub(super) async fn queue_run(
    ctx: &Ctx<'_>,
    cid: &str,
    wid: &str,
    body: &Map<String, Value>,
) -> ApiResult<ShownRun> {
    let chosen_by = Filters::from_object(body)?;
    let status = chosen_by.status.map(|Replayable(s)| s.as_str());
    let since = chosen_by.since.map(|Instant(since)| since);
    let until = chosen_by.until.map(|Instant(until)| until);
    let user = chosen_by.user_id.map(|Text(user)| user);
    let code = chosen_by.error_code.map(|Text(code)| code);
    let args = crate::args![wid, status, since.as_deref(), until.as_deref(), user, code];
    let mut page = args.to_vec();
    page.push(db::Arg::from(RUN_SIZE));
    let chosen: Vec<Candidate> = db::all(
        ctx.data(cid),
        &format!("SELECT id {} ORDER BY seq LIMIT ?7", candidates()),
        &page,
    )
    .await?;
    let total = db::first::<db::Count>(
        ctx.data(cid),
        &format!("SELECT COUNT(*) AS n {}", candidates()),
        &args,
    )
    .await?
    .map_or(0, |c| c.n);
    let filters: Map<String, Value> = Filters::MEMBERS
        .iter()
        .filter_map(|name| {
            body.get(*name)
                .filter(|v| !v.is_null())
                .map(|v| ((*name).to_owned(), v.clone()))
        })
        .collect();
    let id = db::new_id("rpl")?;
    let (_, now) = db::now();
    let queued = i64::try_from(chosen.len()).unwrap_or(RUN_SIZE);
    db::run(
        ctx.data(cid),
        "INSERT INTO replay_runs (id, community_id, webhook_id, filters, queued, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        &crate::args![id.as_str(), cid, wid, Value::Object(filters).to_string().as_str(), queued, now.as_str()],
    )
    .await?;
    for delivery in &chosen {
        outbox::enqueue_replay(ctx.env, cid, &delivery.id, &id).await;
    }
    let mut shown = ShownRun::from(load_run(ctx, cid, wid, &id).await?);
    shown.remaining = Some(total.saturating_sub(queued));
    Ok(shown)
}

#[derive(Deserialize, Serialize)]
struct Run {
    id: String,
    webhook_id: String,
    filters: String,
    queued: i64,
    succeeded: i64,
    failed: i64,
    pending: i64,
    skipped: i64,
    created_at: String,
    updated_at: String,
}

async fn load_run(ctx: &Ctx<'_>, cid: &str, wid: &str, rid: &str) -> ApiResult<Run> {
    db::one(
        ctx.data(cid),
        "SELECT id, webhook_id, filters, queued, succeeded, failed, pending, skipped, created_at, updated_at
           FROM replay_runs WHERE id = ?1 AND webhook_id = ?2",
        &crate::args![rid, wid],
        "this replay run",
    )
    .await
}

/// A run as the API shows it (OpenAPI `ReplayRun`): how far it got.
#[derive(Serialize)]
pub struct ShownRun {
    id: String,
    webhook_id: String,
    filters: Value,
    queued: i64,
    done: i64,
    finished: bool,
    succeeded: i64,
    failed: i64,
    pending: i64,
    skipped: i64,
    created_at: String,
    updated_at: String,
    /// Starting a run: the deliveries the filters find beyond it, for another call.
    #[serde(skip_serializing_if = "Option::is_none")]
    remaining: Option<i64>,
}

impl From<Run> for ShownRun {
    fn from(run: Run) -> Self {
        let done = run.succeeded + run.failed + run.pending + run.skipped;
        Self {
            filters: serde_json::from_str(&run.filters).unwrap_or(Value::Null),
            finished: done >= run.queued,
            done,
            id: run.id,
            webhook_id: run.webhook_id,
            queued: run.queued,
            succeeded: run.succeeded,
            failed: run.failed,
            pending: run.pending,
            skipped: run.skipped,
            created_at: run.created_at,
            updated_at: run.updated_at,
            remaining: None,
        }
    }
}

/// A run's progress: how many of its deliveries were replayed, and what they came to.
pub async fn get(ctx: &Ctx<'_>, cid: &str, wid: &str, rid: &str) -> ApiResult<Response> {
    load(ctx, cid, wid).await?;
    http::json(200, &ShownRun::from(load_run(ctx, cid, wid, rid).await?))
}
