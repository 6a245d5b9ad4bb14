//! The copies a community's object keeps of its webhooks' and subscriptions' settings: the columns
//! a delivery checks (a webhook's version, enabled flag and rate limit) and an event fans out by
//! (a subscription's events, channel and active flag). The directory (D1) holds the settings; the
//! API writes the copy in the request that changes them, before it answers.

use serde::Deserialize;
use serde_json::Value;
use worker::{D1Database, Env};

use super::batch::Statement;
use crate::db;
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize)]
struct WebhookCopy {
    id: String,
    version: i64,
    enabled: i64,
    rate_limit: i64,
}

#[derive(Deserialize)]
struct SubscriptionCopy {
    id: String,
    events: String,
    channel_id: Option<String>,
    is_active: i64,
}

/// Brings community `cid`'s object's copy of its incoming webhooks up to the directory's.
pub async fn webhooks(env: &Env, db: &D1Database, cid: &str) -> ApiResult<()> {
    let rows: Vec<WebhookCopy> = db::all(
        db,
        "SELECT id, version, enabled, rate_limit FROM incoming_webhooks WHERE community_id = ?1",
        &crate::args![cid],
    )
    .await?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut statements = vec![pruned("incoming_webhooks", cid, &ids)?];
    statements.extend(rows.iter().map(|r| {
        Statement {
            sql: "INSERT INTO incoming_webhooks (id, community_id, version, enabled, rate_limit)
              VALUES (?1, ?2, ?3, ?4, ?5)
              ON CONFLICT (id) DO UPDATE SET version = excluded.version,
                enabled = excluded.enabled, rate_limit = excluded.rate_limit"
                .into(),
            args: vec![
                r.id.as_str().into(),
                cid.into(),
                r.version.into(),
                r.enabled.into(),
                r.rate_limit.into(),
            ],
        }
    }));
    write(env, cid, &statements).await
}

/// Brings community `cid`'s object's copy of its subscriptions up to the directory's. A
/// subscription gone from the directory takes its outgoing deliveries with it, as there.
pub async fn subscriptions(env: &Env, db: &D1Database, cid: &str) -> ApiResult<()> {
    let rows: Vec<SubscriptionCopy> = db::all(
        db,
        "SELECT id, events, channel_id, is_active FROM webhook_subscriptions WHERE community_id = ?1",
        &crate::args![cid],
    )
    .await?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut statements = vec![pruned("webhook_subscriptions", cid, &ids)?];
    statements.extend(rows.iter().map(|r| {
        Statement {
            sql:
                "INSERT INTO webhook_subscriptions (id, community_id, events, channel_id, is_active)
              VALUES (?1, ?2, ?3, ?4, ?5)
              ON CONFLICT (id) DO UPDATE SET events = excluded.events,
                channel_id = excluded.channel_id, is_active = excluded.is_active"
                    .into(),
            args: vec![
                r.id.as_str().into(),
                cid.into(),
                r.events.as_str().into(),
                r.channel_id.as_deref().map_or(Value::Null, Value::from),
                r.is_active.into(),
            ],
        }
    }));
    write(env, cid, &statements).await
}

/// Deletes the copies of `table` whose ids are not in `ids`.
fn pruned(table: &str, cid: &str, ids: &[&str]) -> ApiResult<Statement> {
    Ok(Statement {
        sql: format!(
            "DELETE FROM {table} WHERE community_id = ?1 AND id NOT IN (SELECT value FROM json_each(?2))"
        ),
        args: vec![
            cid.into(),
            serde_json::to_string(ids).map_err(ApiError::internal)?.into(),
        ],
    })
}

async fn write(env: &Env, cid: &str, statements: &[Statement]) -> ApiResult<()> {
    super::batch(env, cid, statements)
        .await?
        .map(drop)
        .map_err(|refused| {
            ApiError::internal(format!(
                "the community's copy was refused: {}",
                refused.error
            ))
        })
}
