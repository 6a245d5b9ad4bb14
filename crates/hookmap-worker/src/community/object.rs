//! The `Community` class: the object that owns one community's database.

use std::cell::Cell;

use hookmap_core::community_schema::{Placement, BOOKKEEPING_TABLES};
use hookmap_core::quota::Quota;
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State, Storage};

use super::{batch, chores, copies, schema, Refused, Stored};
use crate::db::{self, Db};
use crate::edge::Delivery;
use crate::error::ApiError;
use crate::hook::HookRecord;
use crate::quotas;

#[durable_object]
#[derive(Debug)]
pub struct Community {
    state: State,
    env: Env,
    /// Its community's data lives here (`placement`), and its chores' alarm is set: once it
    /// does, it always will.
    live: Cell<bool>,
}

impl DurableObject for Community {
    fn new(state: State, env: Env) -> Self {
        let (storage, directory) = (state.storage(), env.clone());
        // Not awaited: the runtime holds every event until it is done, and runs it again (with
        // the object) if it fails.
        drop(state.block_concurrency_while(async move {
            open(&storage, &directory)
                .await
                .map_err(|e| worker::Error::RustError(e.message))
        }));
        Self {
            state,
            env,
            live: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        // Errors are answered here: one passed up reaches the caller as a bare 500.
        match self.serve(&mut req).await {
            Ok(response) => Ok(response),
            Err(error) => error.into_response(),
        }
    }

    /// The community's chores (`chores`), then the next alarm. A database whose data is not
    /// live here has none to run, and sets none: going live sets it.
    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        if let Some(PlacementRow {
            community_id,
            state: Placement::Live,
            ..
        }) = placement(&storage.sql())?
        {
            chores::run(&self.env, &storage, &community_id, db::now().0).await;
            storage.set_alarm(chores::every_ms(&self.env)).await?;
        }
        Response::empty()
    }
}

/// Brings the database to this code's schema, then fills the copies a step marked as missing.
async fn open(storage: &Storage, env: &Env) -> Result<(), ApiError> {
    schema::migrate(storage).await?;
    copies::refill_marked(env, storage).await
}

#[derive(Deserialize)]
struct Table {
    name: String,
}

#[derive(Deserialize)]
struct PlacementRow {
    community_id: String,
    state: Placement,
    chores_at: Option<String>,
}

/// The database's placement: `None` for a community from before the data plane, not moved yet.
fn placement(sql: &SqlStorage) -> worker::Result<Option<PlacementRow>> {
    Ok(sql
        .exec("SELECT community_id, state, chores_at FROM placement", None)?
        .to_array::<PlacementRow>()?
        .into_iter()
        .next())
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

impl Community {
    async fn serve(&self, req: &mut Request) -> Result<Response, ApiError> {
        let path = req.path();
        let sql = self.state.storage().sql();
        match (req.method(), path.as_str()) {
            // Read without setting the chores' alarm: a test sees the alarm the runtime kept.
            (worker::Method::Get, "/usage") => Ok(Response::from_json(&Stored {
                schema_version: schema::version(&sql)?,
                bytes: sql.database_size(),
                rows: rows(&sql)?,
                chores_at: placement(&sql)?.and_then(|p| p.chores_at),
            })?),
            // A delivery the edge planned: applied, recorded and answered here, in one call.
            (worker::Method::Post, "/deliver") => {
                self.require_live(&sql).await?;
                let delivery: Delivery<HookRecord> = req.json().await?;
                if !delivery.dry_run {
                    self.require_room(&sql)?;
                }
                let storage = self.state.storage();
                crate::edge::settle(&self.env, Db::Local(&storage), delivery).await
            }
            (worker::Method::Post, "/batch") => {
                self.require_live(&sql).await?;
                self.run(req).await
            }
            // What places the community's data here: run whatever the placement says.
            (worker::Method::Post, "/place") => self.run(req).await,
            // A page of the community's rows, moved in from the directory.
            (worker::Method::Post, "/move") => {
                super::moving::copy(&self.state.storage(), req.json().await?).await?;
                Ok(Response::empty()?)
            }
            _ => Err(ApiError::internal(format!(
                "the community object has no {} {path}",
                req.method()
            ))),
        }
    }

    /// Answers 503 until the community's data lives here: created here, or moved in and checked.
    /// The first time it finds it live, it sets the chores' alarm if none is set.
    async fn require_live(&self, sql: &SqlStorage) -> Result<(), ApiError> {
        if self.live.get() {
            return Ok(());
        }
        match placement(sql)? {
            Some(PlacementRow {
                state: Placement::Live,
                ..
            }) => {
                let storage = self.state.storage();
                if storage.get_alarm().await?.is_none() {
                    storage.set_alarm(chores::every_ms(&self.env)).await?;
                }
                self.live.set(true);
                Ok(())
            }
            Some(PlacementRow {
                state: Placement::Moving,
                ..
            })
            | None => Err(ApiError::moving(super::MOVING_RETRY_AFTER)),
        }
    }

    /// Refuses a delivery once the database holds its community's storage quota (`stored_bytes`),
    /// well before a Durable Object's 10 GB: this community alone is refused.
    fn require_room(&self, sql: &SqlStorage) -> Result<(), ApiError> {
        #[derive(Deserialize)]
        struct Limit {
            stored_bytes: Option<i64>,
        }
        let limit = sql
            .exec("SELECT stored_bytes FROM community_quotas", None)?
            .to_array::<Limit>()?
            .into_iter()
            .next()
            .and_then(|l| l.stored_bytes)
            .unwrap_or_else(|| quotas::default(&self.env, Quota::StoredBytes));
        let stored = i64::try_from(sql.database_size()).unwrap_or(i64::MAX);
        match stored >= limit {
            true => Err(quotas::storage_full(stored, limit)),
            false => Ok(()),
        }
    }

    /// Runs the request's statements as one transaction.
    async fn run(&self, req: &mut Request) -> Result<Response, ApiError> {
        let statements: Vec<crate::db::Statement> = req.json().await?;
        match batch::run(&self.state.storage(), statements).await {
            Ok(outcomes) => Ok(Response::from_json(&outcomes)?),
            // Refused: the text names the constraint or the `hookmap:` refusal, as D1's would;
            // nothing was written.
            Err(e) => Ok(Response::from_json(&Refused {
                error: e.to_string(),
            })?
            .with_status(409)),
        }
    }
}

/// Rows in every table of the community's: not the database's bookkeeping, nor the runtime's own
/// tables (`_cf_...` deployed, `__miniflare_...` under wrangler dev; no table of ours starts with
/// `_`).
fn rows(sql: &SqlStorage) -> Result<u64, ApiError> {
    let tables: Vec<Table> = sql
        .exec(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND substr(name, 1, 1) <> '_' AND substr(name, 1, 7) <> 'sqlite_'",
            None,
        )?
        .to_array::<Table>()?
        .into_iter()
        .filter(|t| !BOOKKEEPING_TABLES.contains(&t.name.as_str()))
        .collect();
    let mut total = 0;
    for table in tables {
        // Names come from the schema itself, never from a request.
        let count: Count = sql
            .exec(
                &format!("SELECT COUNT(*) AS n FROM \"{}\"", table.name),
                None,
            )?
            .one()?;
        total += count.n;
    }
    Ok(total)
}
