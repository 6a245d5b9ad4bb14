//! Bulk replay (`POST .../incoming-webhooks/{wid}/deliveries/replay`) and its progress
//! (`GET .../incoming-webhooks/{wid}/replays/{rid}`): the history's failed and pending deliveries,
//! chosen with the history's filters, replayed through the queue (`crate::replays`), at most
//! [`RUN_SIZE`] a call, oldest first.

use hookmap_core::DeliveryStatus;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use worker::{Request, Response};

use super::deliveries::instant_field;
use super::webhooks::row::load;
use super::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http;
use crate::outbox;

/// Deliveries one call queues at most; `remaining` counts the rest.
const RUN_SIZE: i64 = 100;
const FILTERS: &[&str] = &["status", "since", "until", "user_id", "error_code"];

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
    let body = http::object_body(req).await?;
    http::only_known(&body, FILTERS)?;
    http::json(202, &queue_run(ctx, cid, wid, &body).await?)
}

/// The pending deliveries of webhook `wid` that a replay would take: what saving its mapping
/// says wait (`pending_deliveries`).
pub(super) async fn pending(ctx: &Ctx<'_>, wid: &str) -> ApiResult<i64> {
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
        &ctx.db,
        &format!("SELECT COUNT(*) AS n {}", candidates()),
        &args,
    )
    .await?
    .map_or(0, |c| c.n))
}

/// Queues a run of the deliveries `filters` (the request's members, already checked for
/// unknown ones) find; the run as its answer shows it, with `remaining`.
pub(super) async fn queue_run(
    ctx: &Ctx<'_>,
    cid: &str,
    wid: &str,
    body: &Map<String, Value>,
) -> ApiResult<Value> {
    let status = http::optional_str(body, "status", 16)?;
    let replayable = DeliveryStatus::REPLAYABLE.map(DeliveryStatus::as_str);
    if let Some(s) = status.filter(|s| !replayable.contains(s)) {
        return Err(ApiError::invalid_field(
            "status",
            format!("must be \"failed\" or \"pending\", not {s:?}: a success is never replayed"),
        ));
    }
    let since = instant_field(body, "since")?;
    let until = instant_field(body, "until")?;
    let user = http::optional_str(body, "user_id", 100)?;
    let code = http::optional_str(body, "error_code", 100)?;
    let args = crate::args![wid, status, since.as_deref(), until.as_deref(), user, code];
    let mut page = args.to_vec();
    page.push(db::Arg::from(RUN_SIZE));
    let chosen: Vec<Candidate> = db::all(
        &ctx.db,
        &format!("SELECT id {} ORDER BY seq LIMIT ?7", candidates()),
        &page,
    )
    .await?;
    let total = db::first::<db::Count>(
        &ctx.db,
        &format!("SELECT COUNT(*) AS n {}", candidates()),
        &args,
    )
    .await?
    .map_or(0, |c| c.n);
    let filters: Map<String, Value> = FILTERS
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
        &ctx.db,
        "INSERT INTO replay_runs (id, community_id, webhook_id, filters, queued, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        &crate::args![id.as_str(), cid, wid, Value::Object(filters).to_string().as_str(), queued, now.as_str()],
    )
    .await?;
    for delivery in &chosen {
        outbox::enqueue_replay(ctx.env, &delivery.id, &id).await;
    }
    let mut out = render(&load_run(ctx, wid, &id).await?);
    if let Some(obj) = out.as_object_mut() {
        obj.insert("remaining".into(), json!(total.saturating_sub(queued)));
    }
    Ok(out)
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

async fn load_run(ctx: &Ctx<'_>, wid: &str, rid: &str) -> ApiResult<Run> {
    db::first(
        &ctx.db,
        "SELECT id, webhook_id, filters, queued, succeeded, failed, pending, skipped, created_at, updated_at
           FROM replay_runs WHERE id = ?1 AND webhook_id = ?2",
        &crate::args![rid, wid],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("this replay run"))
}

fn render(run: &Run) -> Value {
    let done = run.succeeded + run.failed + run.pending + run.skipped;
    json!({
        "id": run.id, "webhook_id": run.webhook_id,
        "filters": serde_json::from_str::<Value>(&run.filters).unwrap_or(Value::Null),
        "queued": run.queued, "done": done, "finished": done >= run.queued,
        "succeeded": run.succeeded, "failed": run.failed, "pending": run.pending, "skipped": run.skipped,
        "created_at": run.created_at, "updated_at": run.updated_at,
    })
}

/// A run's progress: how many of its deliveries were replayed, and what they came to.
pub async fn get(ctx: &Ctx<'_>, cid: &str, wid: &str, rid: &str) -> ApiResult<Response> {
    load(ctx, cid, wid).await?;
    http::json(200, &render(&load_run(ctx, wid, rid).await?))
}
