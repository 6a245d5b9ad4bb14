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
//!    anywhere goes on from there and copies nothing twice;
//! 4. every table's row count and every currency's balance sum are compared, directory against
//!    object; a difference stops the move (it stays `moving`, and says where);
//! 5. the object goes `live`, outgoing deliveries still owed are queued again (their queue
//!    messages may have been lost meanwhile), and the directory's rows are deleted, page by page.
//!
//! A call answers where the move stands; the operator calls again until it is `live` and nothing
//! is left in the directory. A community created on the data plane is `live` from its creation,
//! and its move does nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

#[cfg(feature = "api")]
pub use api_side::{copy, step, Report};

#[cfg(feature = "api")]
mod api_side {
    use std::collections::BTreeMap;

    use hookmap_core::community_schema::{MoveState as State, Placement};
    use hookmap_core::DeliveryStatus;
    use serde::{Deserialize, Serialize};
    use serde_json::{Map, Value};
    use worker::{D1Database, Env, SqlStorageValue, Storage};

    use super::{Moved, Page, TABLES};
    use crate::community::{batch, copies, place};
    use crate::db::{self, Statement};
    use crate::error::{ApiError, ApiResult};
    use crate::outbox;

    /// Rows a page carries: payloads are kept up to the body limit, so pages stay small.
    const PAGE_ROWS: i64 = 50;
    /// Pages one call copies, or deletes, at most: two round trips each, far within a request's
    /// subrequests.
    const PAGES_PER_CALL: usize = 100;
    /// Directory rows one delete removes.
    const DELETE_ROWS: i64 = 500;

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

    #[derive(Deserialize)]
    struct Progress {
        name: String,
        after: i64,
    }

    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }

    #[derive(Deserialize)]
    struct Sum {
        currency: String,
        total: i64,
    }

    #[derive(Deserialize)]
    struct Owed {
        id: String,
        attempts: i64,
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
            if !copy_pages(env, d1, cid, &mut report).await? {
                return Ok(report);
            }
            verify(env, d1, cid, &mut report).await?;
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
            report.requeued = requeue(env, cid).await?;
        }
        report.state = State::Live;
        delete_from_directory(d1, cid, &mut report).await?;
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

    /// Copies pages of rows until every table is copied (`true`) or this call's pages are spent.
    async fn copy_pages(
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
        let mut answer =
            crate::community::post_text(env, cid, "https://community/move", &body).await?;
        match answer.status_code() {
            200 => Ok(()),
            status => Err(ApiError::internal(format!(
                "the community object refused a page of {} ({status}): {}",
                page.table,
                answer.text().await.unwrap_or_default()
            ))),
        }
    }

    /// Compares row counts and balance sums, directory against object.
    async fn verify(env: &Env, d1: &D1Database, cid: &str, report: &mut Report) -> ApiResult<()> {
        let counted: Vec<Statement> = TABLES
            .iter()
            .map(|t| db::stmt(&format!("SELECT COUNT(*) AS n FROM {}", t.name), &[]))
            .chain(std::iter::once(db::stmt(
                "SELECT currency, SUM(amount) AS total FROM balances GROUP BY currency",
                &[],
            )))
            .collect();
        let object = place(env, cid, &counted).await?;
        for (table, outcome) in TABLES.iter().zip(&object) {
            let directory = in_directory(d1, cid, *table).await?;
            let here = outcome
                .rows::<Count>()?
                .into_iter()
                .next()
                .map_or(0, |c| c.n);
            if directory != here {
                report.mismatches.push(format!(
                    "{}: {directory} rows in the directory, {here} in the object",
                    table.name
                ));
            }
            report.counts.insert(table.name, [directory, here]);
        }
        let directory: Vec<Sum> = db::all(
            d1,
            "SELECT currency, SUM(amount) AS total FROM balances WHERE community_id = ?1 GROUP BY currency",
            &crate::args![cid],
        )
        .await?;
        let here: Vec<Sum> = match object.last() {
            Some(outcome) => outcome.rows()?,
            None => Vec::new(),
        };
        for sum in &directory {
            report
                .balances
                .entry(sum.currency.clone())
                .or_insert([0, 0])[0] = sum.total;
        }
        for sum in &here {
            report
                .balances
                .entry(sum.currency.clone())
                .or_insert([0, 0])[1] = sum.total;
        }
        for (currency, [directory, here]) in &report.balances {
            if directory != here {
                report.mismatches.push(format!(
                    "{currency}: balances sum to {directory} in the directory, {here} in the object"
                ));
            }
        }
        Ok(())
    }

    /// How many of community `cid`'s rows of `table` the directory holds.
    async fn in_directory(d1: &D1Database, cid: &str, table: Moved) -> ApiResult<i64> {
        let count: Option<Count> = db::first(
            d1,
            &format!(
                "SELECT COUNT(*) AS n FROM {} WHERE {}",
                table.name,
                table.filter()
            ),
            &crate::args![cid],
        )
        .await?;
        Ok(count.map_or(0, |c| c.n))
    }

    /// Queues again every outgoing delivery still owed: its queue message may have been lost
    /// while the community moved (a second message for an attempt sends nothing: `outbox`).
    async fn requeue(env: &Env, cid: &str) -> ApiResult<usize> {
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
    async fn delete_from_directory(
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
}
