//! A move's pages: read from the directory by the API worker, written in the object as they are.

use serde::Deserialize;
use serde_json::{Map, Value};
use worker::{D1Database, Env, SqlStorageValue, Storage};

use super::{Moved, Page, Report, PAGES_PER_CALL, TABLES};
use crate::community::{batch, place};
use crate::db;
use crate::error::{ApiError, ApiResult};

/// Rows a page carries: payloads are kept up to the body limit, so pages stay small.
const PAGE_ROWS: i64 = 50;

#[derive(Deserialize)]
struct Progress {
    name: String,
    after: i64,
}

/// Copies pages of rows until every table is copied (`true`) or this call's pages are spent.
pub(super) async fn copy_pages(
    env: &Env,
    d1: &D1Database,
    cid: &str,
    report: &mut Report,
) -> ApiResult<bool> {
    let progress = placed_progress(env, cid).await?;
    let mut pages = 0;
    for table in TABLES {
        let mut after = progress
            .iter()
            .find(|p| p.name == table.name)
            .map_or(0, |p| p.after);
        loop {
            if pages == PAGES_PER_CALL {
                return Ok(false);
            }
            let mut rows: Vec<Map<String, Value>> = db::all(
                d1,
                &format!(
                    "SELECT rowid AS hookmap_rowid, * FROM {} WHERE {} AND rowid > ?2
                      ORDER BY rowid LIMIT ?3",
                    table.name,
                    table.filter()
                ),
                &crate::args![cid, after, PAGE_ROWS],
            )
            .await?;
            let Some(last) = rows
                .last()
                .and_then(|r| r.get("hookmap_rowid"))
                .and_then(Value::as_i64)
            else {
                break;
            };
            after = last;
            for row in &mut rows {
                row.remove("hookmap_rowid");
            }
            report.copied += rows.len() as u64;
            let page = Page {
                table: table.name.to_owned(),
                rows,
                after,
            };
            send_page(env, cid, &page).await?;
            pages += 1;
        }
    }
    Ok(true)
}

/// How far each table was copied, read through `place` (the object is not live yet).
async fn placed_progress(env: &Env, cid: &str) -> ApiResult<Vec<Progress>> {
    let outcomes = place(
        env,
        cid,
        &[db::stmt("SELECT name, after FROM move_progress", &[])],
    )
    .await?;
    match outcomes.first() {
        Some(outcome) => outcome.rows(),
        None => Ok(Vec::new()),
    }
}

async fn send_page(env: &Env, cid: &str, page: &Page) -> ApiResult<()> {
    let body = serde_json::to_string(page).map_err(ApiError::internal)?;
    let mut answer = crate::community::post_text(env, cid, "https://community/move", &body).await?;
    match answer.status_code() {
        200 => Ok(()),
        status => Err(ApiError::internal(format!(
            "the community object refused a page of {} ({status}): {}",
            page.table,
            answer.text().await.unwrap_or_default()
        ))),
    }
}

/// In the object: writes a page of a table's rows as they are, and how far the table got, in
/// one transaction. The table's triggers are set aside meanwhile, as they check what a new
/// row may do (a delivery's webhook version, a window's cap) and these rows are history that
/// passed those checks when written; they are restored from their own text before the
/// transaction ends.
pub async fn copy(storage: &Storage, page: Page) -> ApiResult<()> {
    let table = Moved::named(&page.table)
        .ok_or_else(|| ApiError::internal(format!("no table {:?} moves", page.table)))?;
    let sql = storage.sql();
    storage
        .transaction(move |_| async move {
            #[derive(Deserialize)]
            struct Trigger {
                name: String,
                sql: String,
            }
            #[derive(Deserialize)]
            struct Column {
                name: String,
            }
            let known: Vec<Column> = sql
                .exec(
                    "SELECT name FROM pragma_table_info(?1)",
                    vec![table.name.into()],
                )?
                .to_array()?;
            let unknown = page
                .rows
                .iter()
                .flat_map(|row| row.keys())
                .find(|key| !known.iter().any(|c| &c.name == *key));
            if let Some(column) = unknown {
                return Err(worker::Error::RustError(format!(
                    "{} has no column {column:?}",
                    table.name
                )));
            }
            let triggers: Vec<Trigger> = sql
                .exec(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
                    vec![table.name.into()],
                )?
                .to_array()?;
            for trigger in &triggers {
                sql.exec(&format!("DROP TRIGGER \"{}\"", trigger.name), None)?;
            }
            for row in &page.rows {
                // Every column name is one of the table's (checked above).
                let columns: Vec<&str> = row.keys().map(String::as_str).collect();
                let marks = vec!["?"; columns.len()].join(", ");
                let values: Vec<SqlStorageValue> = row.values().map(batch::bound).collect();
                sql.exec(
                    &format!(
                        "INSERT OR IGNORE INTO {} ({}) VALUES ({marks})",
                        table.name,
                        columns.join(", ")
                    ),
                    values,
                )?;
            }
            for trigger in &triggers {
                sql.exec(&trigger.sql, None)?;
            }
            sql.exec(
                "INSERT INTO move_progress (name, after) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET after = excluded.after",
                vec![table.name.into(), page.after.into()],
            )?;
            Ok(())
        })
        .await?;
    Ok(())
}
