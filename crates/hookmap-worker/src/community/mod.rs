//! A community's own database: one SQLite-backed Durable Object per community (`Community`, bound
//! as `COMMUNITY` and addressed by the community's id), the single writer of everything its
//! traffic reads and writes (ARCHITECTURE.md, "The data plane"). It lives in the API worker, so
//! that the edge carries only the stub that calls it.
//!
//! An object brings its schema up to date before it takes any request.

mod schema;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

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

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        // Errors are answered here: one passed up reaches the caller as a bare 500.
        match self.serve(&req).await {
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
}

impl Community {
    async fn serve(&self, req: &Request) -> Result<Response, ApiError> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (worker::Method::Get, "/usage") => {
                let sql = self.state.storage().sql();
                let stored = Stored {
                    schema_version: schema::version(&sql)?,
                    bytes: sql.database_size(),
                };
                Ok(Response::from_json(&stored)?)
            }
            _ => Err(ApiError::internal(format!(
                "the community object has no {} {path}",
                req.method()
            ))),
        }
    }
}

/// The stub of community `cid`'s object.
pub fn stub(env: &Env, cid: &str) -> worker::Result<worker::Stub> {
    env.durable_object("COMMUNITY")?
        .id_from_name(cid)?
        .get_stub()
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
