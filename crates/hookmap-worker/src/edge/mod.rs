//! The edge URL `POST /hooks/{token}`, as a pipeline whose stages can only be built in order:
//!
//! `Arrived` (token well-formed and known, body read under its cap) -> `Authenticated` (API key or
//! signature) -> `Decoded` (decrypted and parsed; or a stored delivery, for a replay) -> `run`
//! (planned and keyed here, then applied in the community's object) -> `record` (what did not
//! apply goes to the history, in its sender's budget) -> `answer` (writes nothing). The edge runs
//! the stages up to planning, near the sender; the community's object runs the rest, in one call
//! (`settle`).
//!
//! An outcome other than success that was reached with a cached webhook record is tried once more
//! with the record read from D1, so a change made a moment ago (a rotated key, a new mapping) is
//! never blamed on the sender.

mod answer;
mod arrive;
mod authenticate;
#[cfg(feature = "bench")]
mod bench;
mod decode;
mod dry_run;
mod outcome;
mod record;
mod refusal;
mod run;
mod settle;

use hookmap_core::ApiCode;
use hookmap_core::{form, Sender};
use serde_json::Value;
use worker::{Env, Request, Response};

use self::arrive::Arrived;
use self::authenticate::Authenticated;
use self::outcome::Outcome;
use self::run::Prepared;
use self::settle::Settled;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::http::{query, RequestUrl};
use crate::log::RequestLog;

pub use self::answer::DELIVERY_ID_HEADER;
#[cfg(feature = "bench")]
pub use self::bench::bench_batch;
pub use self::decode::{Context, Decoded};
pub use self::outcome::Outcome as ReplayOutcome;
pub use self::record::Recorded;
#[cfg(feature = "api")]
pub use self::settle::settle;
pub use self::settle::Delivery;

pub async fn receive(
    mut req: Request,
    env: &Env,
    token: &str,
    url: &RequestUrl,
    log: &mut RequestLog,
) -> ApiResult<Response> {
    let db = env.d1("DB")?;
    // Anything else is refused, not read as false: a sender who meant a dry run must not apply.
    let dry_run = match query(url, form::DRY_RUN_PARAM).as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                ApiCode::InvalidQuery,
                format!("dry_run is true, 1, false or 0, not {other:?}"),
            ))
        }
    };
    let Some(mut arrived) = Arrived::read(&mut req, env, &db, token, url).await? else {
        return Err(ApiError::not_found("this webhook URL"));
    };
    loop {
        let community = arrived.hook().community_id.clone();
        log.community_id = Some(community.clone());
        let (admit, prepared) = prepare(env, &arrived)?;
        let delivery = Delivery {
            hook: arrived.hook(),
            dry_run,
            admit: admit.filter(|_| dry_run),
            prepared,
            refreshable: arrived.refreshable(),
        };
        match settle::send(env, &community, &delivery).await? {
            Settled::Answer(response, code) => {
                log.error = code;
                return Ok(response);
            }
            // Judged again by the record D1 holds now; a refresh refused meanwhile (another
            // request of this isolate's took it) is judged by the record it has.
            Settled::Refresh(stale) => {
                if !arrived.refresh(env, &db, token, stale).await? {
                    arrived.refuse_refresh();
                }
            }
        }
    }
}

/// Authenticates, decodes and plans the request: the sender a dry run admits (`None` when it
/// failed its authentication), and the delivery prepared for the community's object.
fn prepare(env: &Env, arrived: &Arrived) -> ApiResult<(Option<Sender>, Prepared)> {
    let auth = match Authenticated::check(arrived, env)? {
        Ok(auth) => auth,
        Err(failure) => return Ok((None, failure.into())),
    };
    let sender = auth.sender();
    Ok(match Decoded::arrived(auth, env)? {
        Ok(decoded) => (Some(sender), run::prepare(decoded)),
        Err(failure) => (Some(sender), failure.into()),
    })
}

/// Runs a stored delivery again (an admin's replay) through the same stages as the edge, from
/// `Decoded` on.
#[cfg(feature = "api")]
pub async fn replay(env: &Env, db: Db<'_>, stored: Decoded<'_>) -> ApiResult<Response> {
    // An admin asked: told everything.
    answer::answer(
        replay_recorded(env, db, stored).await?,
        answer::Told::Everything,
    )
}

/// A replay as recorded, for a caller that answers no sender (bulk replay's queue consumer).
#[cfg(feature = "api")]
pub async fn replay_recorded(env: &Env, db: Db<'_>, stored: Decoded<'_>) -> ApiResult<Recorded> {
    let (hook, replay_of) = (stored.hook(), stored.replay_of());
    let outcome = run::run(db, stored, false).await?;
    settle::announce(env, hook, &outcome).await;
    // A replay's record names it on the original (`apply`); one whose key applied meanwhile
    // writes nothing, so the original names the delivery that applied it.
    if let (Outcome::Duplicate { first }, Some(original)) = (&outcome, replay_of) {
        if let Some(applied) = first.get("delivery_id").and_then(Value::as_str) {
            db::run(
                db,
                "UPDATE deliveries SET replayed_as = ?2 WHERE id = ?1",
                &crate::args![original, applied],
            )
            .await?;
        }
    }
    record::record(db, hook, outcome, false, replay_of).await
}
