//! The copies a community's object keeps of its webhooks' and subscriptions' settings and of its
//! quotas: the columns a delivery checks (a webhook's version, enabled flag and rate limit), a
//! catalog delete checks (its mapping), an event fans out by (a subscription's events, channel and
//! active flag), and the quotas statements read. The directory (D1) holds the settings; the
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
    mapping: Option<String>,
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
    let statements = webhook_statements(db, cid).await?;
    db::batch(Db::Community(env, cid), statements).await?;
    Ok(())
}

/// The statements that bring the copy of the webhooks up to the directory's.
pub async fn webhook_statements(db: &D1Database, cid: &str) -> ApiResult<Vec<Statement>> {
    let rows: Vec<WebhookCopy> = db::all(
        db,
        "SELECT id, version, enabled, rate_limit, mapping FROM incoming_webhooks WHERE community_id = ?1",
        &crate::args![cid],
    )
    .await?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut statements = vec![pruned("incoming_webhooks", cid, &ids)?];
    for r in &rows {
        statements.push(db::stmt(
            "INSERT INTO incoming_webhooks (id, community_id, version, enabled, rate_limit, mapping)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version,
               enabled = excluded.enabled, rate_limit = excluded.rate_limit, mapping = excluded.mapping",
            &crate::args![&r.id, cid, r.version, r.enabled, r.rate_limit, r.mapping.as_deref()],
        ));
    }
    Ok(statements)
}

/// Brings community `cid`'s object's copy of its subscriptions up to the directory's. A
/// subscription gone from the directory takes its outgoing deliveries with it, as there.
pub async fn subscriptions(env: &Env, db: &D1Database, cid: &str) -> ApiResult<()> {
    let statements = subscription_statements(db, cid).await?;
    db::batch(Db::Community(env, cid), statements).await?;
    Ok(())
}

/// The statements that bring the copy of the subscriptions up to the directory's.
pub async fn subscription_statements(db: &D1Database, cid: &str) -> ApiResult<Vec<Statement>> {
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
    Ok(statements)
}

/// A community's quota overrides, as the directory's row holds them.
#[derive(Deserialize)]
struct QuotasCopy {
    incoming_webhooks: Option<i64>,
    subscriptions: Option<i64>,
    events_per_minute: Option<i64>,
    failed_payload_bytes: Option<i64>,
    max_rate_limit: Option<i64>,
    updated_at: String,
    payload_days: Option<i64>,
    history_days: Option<i64>,
    held_deliveries: Option<i64>,
    members_per_hour: Option<i64>,
    failing_in_a_row: Option<i64>,
    failing_window: Option<i64>,
    stored_bytes: Option<i64>,
    total_rate_limit: Option<i64>,
}

/// Brings community `cid`'s object's copy of its quotas up to the directory's row (no row: the
/// deployment's defaults, which statements read where they apply).
pub async fn quotas(env: &Env, db: &D1Database, cid: &str) -> ApiResult<()> {
    let statements = quota_statements(db, cid).await?;
    db::batch(Db::Community(env, cid), statements).await?;
    Ok(())
}

/// The statements that bring the copy of the quotas up to the directory's row.
pub async fn quota_statements(db: &D1Database, cid: &str) -> ApiResult<Vec<Statement>> {
    const COLUMNS: &str =
        "incoming_webhooks, subscriptions, events_per_minute, failed_payload_bytes,
        max_rate_limit, updated_at, payload_days, history_days, held_deliveries, members_per_hour,
        failing_in_a_row, failing_window, stored_bytes, total_rate_limit";
    let row: Option<QuotasCopy> = db::first(
        db,
        &format!("SELECT {COLUMNS} FROM community_quotas WHERE community_id = ?1"),
        &crate::args![cid],
    )
    .await?;
    let mut statements = vec![db::stmt(
        "DELETE FROM community_quotas WHERE community_id = ?1",
        &crate::args![cid],
    )];
    if let Some(q) = row {
        statements.push(db::stmt(
            &format!(
                "INSERT INTO community_quotas (community_id, {COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ),
            &crate::args![
                cid,
                q.incoming_webhooks,
                q.subscriptions,
                q.events_per_minute,
                q.failed_payload_bytes,
                q.max_rate_limit,
                &q.updated_at,
                q.payload_days,
                q.history_days,
                q.held_deliveries,
                q.members_per_hour,
                q.failing_in_a_row,
                q.failing_window,
                q.stored_bytes,
                q.total_rate_limit
            ],
        ));
    }
    Ok(statements)
}

/// Brings every copy of a database that community schema step 4 marked (`copies_pending`: it held
/// data before some of the copies' columns existed) up to the directory's, and clears the mark in
/// the same transaction. Its object runs this when it starts; a failure keeps the mark and fails
/// the start, which the object's next event tries again.
#[cfg(feature = "api")]
pub async fn refill_marked(env: &Env, storage: &worker::Storage) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Marked {
        community_id: String,
    }
    let marked: Vec<Marked> = storage
        .sql()
        .exec("SELECT community_id FROM copies_pending", None)?
        .to_array()?;
    let Some(Marked { community_id: cid }) = marked.into_iter().next() else {
        return Ok(());
    };
    let directory = env.d1("DB")?;
    let mut statements = webhook_statements(&directory, &cid).await?;
    statements.extend(subscription_statements(&directory, &cid).await?);
    statements.extend(quota_statements(&directory, &cid).await?);
    statements.push(db::stmt("DELETE FROM copies_pending", &[]));
    super::batch::run(storage, statements).await?;
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
