//! `GET/PATCH /v1/communities/{cid}/quotas`: a community's limits, their overrides and its usage;
//! `GET .../usage`: its usage alone. A community key may read its own; only the admin token
//! changes them.

use std::collections::BTreeMap;

use hookmap_core::quota::Quota;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{Request, Response};

use super::Ctx;
use crate::community;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;
use crate::quotas::{self, Overrides};

pub async fn get(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    http::json(200, &render(ctx, cid).await?)
}

/// `GET .../usage` (OpenAPI `CommunityUsage`): what the community uses now, as the quotas show it,
/// without reading the limits.
pub async fn usage(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    #[derive(Serialize)]
    struct Shown<'a> {
        community_id: &'a str,
        usage: Usage,
    }
    let usage = used(ctx, cid).await?;
    http::json(
        200,
        &Shown {
            community_id: cid,
            usage,
        },
    )
}

/// Any subset of the quotas: an integer within its bounds, or null for the deployment's default.
pub async fn update(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    ctx.caller.require_root()?;
    // The members are the quotas' names, a closed set read as typed (quota, value) pairs.
    let body = http::object_body(req).await?;
    super::body::only_known(&body, &Quota::NAMES)?;
    let changes = parsed(&body)?;
    if !changes.is_empty() {
        let columns: Vec<&str> = changes.iter().map(|(q, _)| q.as_str()).collect();
        let placeholders: Vec<String> = (0..columns.len()).map(|n| format!("?{}", n + 3)).collect();
        let updates: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let (_, now) = db::now();
        let mut args = crate::args![cid, &now].to_vec();
        args.extend(changes.iter().map(|(_, v)| db::Arg::from(*v)));
        db::run(
            &ctx.db,
            &format!(
                "INSERT INTO community_quotas (community_id, updated_at, {}) VALUES (?1, ?2, {})
                 ON CONFLICT (community_id) DO UPDATE SET updated_at = excluded.updated_at, {}",
                columns.join(", "),
                placeholders.join(", "),
                updates.join(", ")
            ),
            &args,
        )
        .await?;
        // Webhook records carry the failed-payload cap: drop the cached ones so it applies now.
        hooks::community_changed(ctx.env, &ctx.db, cid).await?;
    }
    http::json(200, &render(ctx, cid).await?)
}

/// The members sent, each checked (all before anything is written).
fn parsed(body: &Map<String, Value>) -> ApiResult<Vec<(Quota, Option<i64>)>> {
    Quota::ALL
        .into_iter()
        .filter_map(|q| body.get(q.as_str()).map(|v| (q, v)))
        .map(|(q, v)| {
            q.parse_override(v)
                .map(|n| (q, n))
                .map_err(|why| ApiError::invalid_field(q.as_str(), why))
        })
        .collect()
}

/// A community's quotas as the API shows them (OpenAPI `Quotas`): each limit in force by its
/// name, the overrides set (null: the deployment's default), and what is used.
#[derive(Serialize)]
struct Shown<'a> {
    community_id: &'a str,
    #[serde(flatten)]
    limits: BTreeMap<&'static str, i64>,
    overrides: BTreeMap<&'static str, Option<i64>>,
    usage: Usage,
}

#[derive(Deserialize, Serialize)]
struct Usage {
    incoming_webhooks: i64,
    subscriptions: i64,
    /// Counted in the community's own database.
    #[serde(default)]
    events_this_minute: i64,
    /// The size of the community's own database (its Durable Object, `crate::community`), and
    /// the rows it holds.
    #[serde(default)]
    stored_bytes: usize,
    #[serde(default)]
    stored_rows: u64,
    /// When the community's chores (retention, overdue and held deliveries) last ran.
    #[serde(default)]
    chores_at: Option<String>,
}

async fn render<'a>(ctx: &Ctx<'_>, cid: &'a str) -> ApiResult<Shown<'a>> {
    let overrides: Overrides = quotas::overrides(&ctx.db, cid).await?;
    let usage = used(ctx, cid).await?;
    Ok(Shown {
        community_id: cid,
        limits: Quota::ALL
            .into_iter()
            .map(|q| (q.as_str(), quotas::limit(ctx.env, &overrides, q)))
            .collect(),
        overrides: Quota::ALL
            .into_iter()
            .map(|q| (q.as_str(), overrides.get(q)))
            .collect(),
        usage,
    })
}

/// What community `cid` uses now: its counts in the directory, its events this minute and its
/// storage in its own database.
async fn used(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Usage> {
    let (ms, _) = db::now();
    let window = i64::try_from(ms / 60_000).unwrap_or(i64::MAX);
    let usage: Option<Usage> = db::first(
        &ctx.db,
        "SELECT (SELECT COUNT(*) FROM incoming_webhooks WHERE community_id = ?1) AS incoming_webhooks,
                (SELECT COUNT(*) FROM webhook_subscriptions WHERE community_id = ?1) AS subscriptions",
        &crate::args![cid],
    )
    .await?;
    let mut usage = usage.ok_or_else(|| ApiError::internal("the usage query returned no row"))?;
    let events: Option<db::Count> = db::first(
        ctx.data(cid),
        "SELECT COALESCE((SELECT count FROM event_windows WHERE community_id = ?1 AND window = ?2), 0) AS n",
        &crate::args![cid, window],
    )
    .await?;
    usage.events_this_minute = events.map_or(0, |c| c.n);
    let stored = community::usage(ctx.env, cid).await?;
    (usage.stored_bytes, usage.stored_rows) = (stored.bytes, stored.rows);
    usage.chores_at = stored.chores_at;
    Ok(usage)
}
