//! A community's own database: one SQLite-backed Durable Object per community (`Community`, bound
//! as `COMMUNITY` and addressed by the community's id), the single writer of everything its
//! traffic reads and writes (ARCHITECTURE.md, "The data plane"). It lives in the API worker, so
//! that the edge carries only the stub that calls it.
//!
//! An object brings its schema up to date before it takes any request.

pub mod batch;
pub mod copies;
mod schema;

use hookmap_core::community_schema::VERSION_TABLE;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

use crate::error::ApiError;

#[durable_object]
#[derive(Debug)]
pub struct Community {
    state: State,
}

impl DurableObject for Community {
    fn new(state: State, _env: Env) -> Self {
        let storage = state.storage();
        // Not awaited: the runtime holds every event until it is done, and runs it again (with
        // the object) if it fails.
        drop(state.block_concurrency_while(async move {
            schema::migrate(&storage)
                .await
                .map_err(|e| worker::Error::RustError(e.message))
        }));
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        // Errors are answered here: one passed up reaches the caller as a bare 500.
        match self.serve(&mut req).await {
            Ok(response) => Ok(response),
            Err(error) => error.into_response(),
        }
    }
}

/// What the object holds, as `GET /usage` answers it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stored {
    pub schema_version: u32,
    pub bytes: usize,
    /// Rows in the community's tables.
    pub rows: u64,
}

#[derive(Deserialize)]
struct Table {
    name: String,
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
            (worker::Method::Get, "/usage") => Ok(Response::from_json(&Stored {
                schema_version: schema::version(&sql)?,
                bytes: sql.database_size(),
                rows: rows(&sql)?,
            })?),
            (worker::Method::Post, "/batch") => {
                let statements: Vec<batch::Statement> = req.json().await?;
                match batch::run(&self.state.storage(), statements).await {
                    Ok(outcomes) => Ok(Response::from_json(&outcomes)?),
                    // Refused: the text names the constraint or the `hookmap:` refusal, as
                    // D1's would; nothing was written.
                    Err(e) => Ok(Response::from_json(&Refused {
                        error: e.to_string(),
                    })?
                    .with_status(409)),
                }
            }
            _ => Err(ApiError::internal(format!(
                "the community object has no {} {path}",
                req.method()
            ))),
        }
    }
}

/// Rows in every table of the community's: not the schema's version, nor the runtime's own tables
/// (`_cf_...` deployed, `__miniflare_...` under wrangler dev; no table of ours starts with `_`).
fn rows(sql: &SqlStorage) -> Result<u64, ApiError> {
    let tables: Vec<Table> = sql
        .exec(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> ?1
               AND substr(name, 1, 1) <> '_' AND substr(name, 1, 7) <> 'sqlite_'",
            vec![VERSION_TABLE.into()],
        )?
        .to_array()?;
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

/// The stub of community `cid`'s object.
pub fn stub(env: &Env, cid: &str) -> worker::Result<worker::Stub> {
    env.durable_object("COMMUNITY")?
        .id_from_name(cid)?
        .get_stub()
}

/// A batch the object refused, and why.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refused {
    pub error: String,
}

/// Runs `statements` in community `cid`'s object as one transaction: their outcomes, or the
/// refusal that wrote nothing.
pub async fn batch(
    env: &Env,
    cid: &str,
    statements: &[batch::Statement],
) -> Result<Result<Vec<batch::Outcome>, Refused>, ApiError> {
    let init = worker::RequestInit {
        method: worker::Method::Post,
        body: Some(
            serde_json::to_string(statements)
                .map_err(ApiError::internal)?
                .into(),
        ),
        ..worker::RequestInit::default()
    };
    let request = Request::new_with_init("https://community/batch", &init)?;
    crate::db::trip(crate::db::Store::Object);
    let mut answer = stub(env, cid)?.fetch_with_request(request).await?;
    match answer.status_code() {
        200 => Ok(Ok(answer.json().await?)),
        409 => Ok(Err(answer.json().await?)),
        status => Err(ApiError::internal(format!(
            "the community object answered {status} to a batch"
        ))),
    }
}

/// Sets up community `cid`'s object: the built-in currencies it holds from its creation on.
/// Idempotent: a retried setup adds nothing.
pub async fn setup(env: &Env, cid: &str, created_at: &str) -> Result<(), ApiError> {
    let statement = batch::Statement {
        sql: "INSERT OR IGNORE INTO currencies (community_id, key, name, built_in, created_at)
              VALUES (?1, 'xp', 'XP', 1, ?2), (?1, 'coins', 'Coins', 1, ?2)"
            .into(),
        args: vec![cid.into(), created_at.into()],
    };
    batch(env, cid, &[statement])
        .await?
        .map(drop)
        .map_err(|refused| ApiError::internal(format!("the setup was refused: {}", refused.error)))
}

/// What community `cid`'s object holds.
pub async fn usage(env: &Env, cid: &str) -> Result<Stored, ApiError> {
    let mut answer = stub(env, cid)?
        .fetch_with_str("https://community/usage")
        .await?;
    if answer.status_code() != 200 {
        return Err(ApiError::internal(format!(
            "the community object answered {}",
            answer.status_code()
        )));
    }
    Ok(answer.json().await?)
}
