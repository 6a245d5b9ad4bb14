//! The copies a community's object keeps of its webhooks' and subscriptions' settings: the columns
//! a delivery checks (a webhook's version, enabled flag and rate limit) and an event fans out by
//! (a subscription's events, channel and active flag). The directory (D1) holds the settings; the
//! API writes the copy in the request that changes them, before it answers.

use serde::Deserialize;
use worker::{D1Database, Env};

use crate::db::{self, Db, Statement};
use crate::error::ApiResult;

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
    for r in &rows {
        statements.push(db::stmt(
            "INSERT INTO incoming_webhooks (id, community_id, version, enabled, rate_limit)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version,
               enabled = excluded.enabled, rate_limit = excluded.rate_limit",
            &crate::args![&r.id, cid, r.version, r.enabled, r.rate_limit],
        ));
    }
    db::batch(Db::Community(env, cid), statements).await?;
    Ok(())
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
    for r in &rows {
        statements.push(db::stmt(
            "INSERT INTO webhook_subscriptions (id, community_id, events, channel_id, is_active)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET events = excluded.events,
               channel_id = excluded.channel_id, is_active = excluded.is_active",
            &crate::args![&r.id, cid, &r.events, r.channel_id.as_deref(), r.is_active],
        ));
    }
    db::batch(Db::Community(env, cid), statements).await?;
    Ok(())
}

/// Deletes the copies of `table` whose ids are not in `ids`.
fn pruned(table: &str, cid: &str, ids: &[&str]) -> ApiResult<Statement> {
    let ids = serde_json::to_string(ids).map_err(crate::error::ApiError::internal)?;
    Ok(db::stmt(
        &format!(
            "DELETE FROM {table} WHERE community_id = ?1 AND id NOT IN (SELECT value FROM json_each(?2))"
        ),
        &crate::args![cid, &ids],
    ))
}
