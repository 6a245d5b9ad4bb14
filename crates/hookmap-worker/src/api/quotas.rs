//! `GET/PATCH /v1/communities/{cid}/quotas`: a community's limits, their overrides and its usage.
//! A community key may read its own; only the admin token changes them.

use hookmap_core::quota::Quota;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::{Request, Response};

use super::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;
use crate::quotas::{self, Overrides};

pub async fn get(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    http::json(200, &render(ctx, cid).await?)
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

async fn render(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Value> {
    #[derive(Deserialize)]
    struct Usage {
        hooks: i64,
        subscriptions: i64,
        events: i64,
    }
    let (ms, _) = db::now();
    let window = i64::try_from(ms / 60_000).unwrap_or(i64::MAX);
    let overrides: Overrides = quotas::overrides(&ctx.db, cid).await?;
    let usage: Option<Usage> = db::first(
        &ctx.db,
        "SELECT (SELECT COUNT(*) FROM incoming_webhooks WHERE community_id = ?1) AS hooks,
                (SELECT COUNT(*) FROM webhook_subscriptions WHERE community_id = ?1) AS subscriptions,
                COALESCE((SELECT count FROM event_windows WHERE community_id = ?1 AND window = ?2), 0) AS events",
        &crate::args![cid, window],
    )
    .await?;
    let usage = usage.ok_or_else(|| ApiError::internal("the usage query returned no row"))?;
    let mut out = Map::new();
    out.insert("community_id".into(), Value::from(cid));
    let mut set = Map::new();
    for q in Quota::ALL {
        out.insert(
            q.as_str().into(),
            Value::from(quotas::limit(ctx.env, &overrides, q)),
        );
        set.insert(q.as_str().into(), json!(overrides.get(q)));
    }
    out.insert("overrides".into(), Value::Object(set));
    out.insert(
        "usage".into(),
        json!({"incoming_webhooks": usage.hooks, "subscriptions": usage.subscriptions, "events_this_minute": usage.events}),
    );
    Ok(Value::Object(out))
}
