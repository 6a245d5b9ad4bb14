//! A move's end, once the community is live in its object: owed outgoing deliveries queued
//! again, and the community's rows deleted from the directory.

use hookmap_core::DeliveryStatus;
use serde::Deserialize;
use worker::{D1Database, Env};

use super::verify::in_directory;
use super::{Report, PAGES_PER_CALL, TABLES};
use crate::db;
use crate::error::ApiResult;
use crate::outbox;

/// Directory rows one delete removes.
const DELETE_ROWS: i64 = 500;

#[derive(Deserialize)]
struct Owed {
    id: String,
    attempts: i64,
}

/// Queues again every outgoing delivery still owed: its queue message may have been lost
/// while the community moved (a second message for an attempt sends nothing: `outbox`).
pub(super) async fn requeue(env: &Env, cid: &str) -> ApiResult<usize> {
    let owed: Vec<Owed> = db::all(
        crate::db::Db::Community(env, cid),
        &format!(
            "SELECT id, attempts FROM outgoing_deliveries WHERE status = '{}'",
            DeliveryStatus::Pending.as_str()
        ),
        &[],
    )
    .await?;
    for delivery in &owed {
        let next = u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        outbox::enqueue(env, cid, &delivery.id, next, 0).await;
    }
    Ok(owed.len())
}

/// Deletes the community's moved rows from the directory, newest tables first (a row goes
/// before the rows it refers to), within this call's pages.
pub(super) async fn delete_from_directory(
    d1: &D1Database,
    cid: &str,
    report: &mut Report,
) -> ApiResult<()> {
    let mut pages = 0;
    for table in TABLES.iter().rev() {
        loop {
            if pages == PAGES_PER_CALL {
                break;
            }
            let deleted = db::run_changes(
                d1,
                &format!(
                    "DELETE FROM {0} WHERE rowid IN (SELECT rowid FROM {0} WHERE {1} LIMIT ?2)",
                    table.name,
                    table.filter()
                ),
                &crate::args![cid, DELETE_ROWS],
            )
            .await?;
            pages += 1;
            report.deleted += deleted as u64;
            if deleted == 0 {
                break;
            }
        }
    }
    for table in TABLES {
        let left = in_directory(d1, cid, table).await?;
        report.left_in_directory += u64::try_from(left).unwrap_or(0);
    }
    Ok(())
}
