//! A community's own database: one SQLite-backed Durable Object per community (`Community`, bound
//! as `COMMUNITY` and addressed by the community's id), the single writer of everything its
//! traffic reads and writes (ARCHITECTURE.md, "The data plane"). The class (`object`) lives in the
//! API worker; either worker calls it through its stub (`batch`).
//!
//! An object brings its schema up to date before it takes any request.

#[cfg(feature = "api")]
pub mod batch;
#[cfg(feature = "api")]
mod chores;
pub mod copies;
#[cfg(feature = "api")]
pub mod moving;
#[cfg(feature = "api")]
mod object;
#[cfg(feature = "api")]
mod schema;

use hookmap_core::community_schema::Placement;
#[cfg(feature = "api")]
pub use object::Community;
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

use crate::db::{self, Failed, Outcome, Statement};
use crate::error::ApiError;

/// What the object holds, as `GET /usage` answers it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stored {
    pub schema_version: u32,
    pub bytes: usize,
    /// Rows in the community's tables.
    pub rows: u64,
    /// When its chores last ran (`chores`).
    pub chores_at: Option<String>,
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
/// failure that wrote nothing (a refusal's text names the constraint, as D1's does).
pub async fn batch(env: &Env, cid: &str, statements: &[Statement]) -> Result<Vec<Outcome>, Failed> {
    post(env, cid, "https://community/batch", statements).await
}

/// Runs `statements` as [`batch`] does, in any state of the object: what places the community's
/// data in it (its creation's setup, a move's copies).
#[cfg(feature = "api")]
pub async fn place(env: &Env, cid: &str, statements: &[Statement]) -> Result<Vec<Outcome>, Failed> {
    post(env, cid, "https://community/place", statements).await
}

/// POSTs `body` (JSON text) to `url` of community `cid`'s object, counted as a round trip: its
/// answer, whatever the status. A POST with a text body is all the object reads: built as the
/// runtime's own, which is much smaller in the edge than worker's RequestInit (every option it
/// can carry).
pub async fn post_text(env: &Env, cid: &str, url: &str, body: &str) -> worker::Result<Response> {
    let init = worker::web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&worker::wasm_bindgen::JsValue::from_str(body));
    let request = worker::web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| {
        worker::Error::RustError("the request to the community object could not be made".into())
    })?;
    db::trip(db::Store::Object);
    stub(env, cid)?
        .fetch_with_request(Request::from(request))
        .await
}

async fn post(
    env: &Env,
    cid: &str,
    url: &str,
    statements: &[Statement],
) -> Result<Vec<Outcome>, Failed> {
    let body = serde_json::to_string(statements).map_err(Failed::new)?;
    let mut answer = post_text(env, cid, url, &body).await?;
    match answer.status_code() {
        // Parsed by JavaScript, so that the rows are read as D1's are (`Outcome::rows`).
        200 => {
            let parsed = worker::js_sys::JSON::parse(&answer.text().await?)
                .map_err(|_| Failed::new("the community object's answer is not JSON"))?;
            worker::js_sys::Array::from(&parsed)
                .iter()
                .map(|answer| Outcome::of_parsed(&answer).map_err(Failed::from))
                .collect()
        }
        409 => Err(Failed::new(answer.json::<Refused>().await?.error)),
        503 => Err(unavailable(&answer)?),
        status => Err(Failed::new(format!(
            "the community object answered {status} to a batch"
        ))),
    }
}

/// The object's 503 while its community's data moves, passed on with its `Retry-After`.
pub fn unavailable(answer: &worker::Response) -> worker::Result<Failed> {
    let seconds = answer
        .headers()
        .get("retry-after")?
        .and_then(|s| s.parse().ok())
        .unwrap_or(MOVING_RETRY_AFTER);
    Ok(Failed {
        text: "the community's data is moving".into(),
        answer: Some(Box::new(ApiError::moving(seconds))),
    })
}

/// How long a caller waits before it sends again to a community whose data is moving, in seconds.
pub const MOVING_RETRY_AFTER: u64 = 5;

/// Sets up community `cid`'s object: the built-in currencies it holds from its creation on, and
/// its data live there. Idempotent: a retried setup adds nothing.
#[cfg(feature = "api")]
pub async fn setup(env: &Env, cid: &str, created_at: &str) -> Result<(), ApiError> {
    let statements = [
        db::stmt(
            "INSERT OR IGNORE INTO currencies (community_id, key, name, built_in, created_at)
             VALUES (?1, 'xp', 'XP', 1, ?2), (?1, 'coins', 'Coins', 1, ?2)",
            &crate::args![cid, created_at],
        ),
        db::stmt(
            "INSERT OR IGNORE INTO placement (id, community_id, state, updated_at)
             VALUES (1, ?1, ?2, ?3)",
            &crate::args![cid, Placement::Live.as_str(), created_at],
        ),
    ];
    place(env, cid, &statements).await?;
    Ok(())
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
