//! The edge URL `POST /hooks/{token}`, as a pipeline whose stages can only be built in order:
//!
//! `Arrived` (token well-formed and known, body read under its cap) -> `Authenticated` (API key or
//! signature) -> `Decoded` (decrypted and parsed; or a stored delivery, for a replay) -> `run`
//! (planned, keyed, applied) -> `record` (what did not apply goes to the history, in its sender's
//! budget) -> `answer` (writes nothing).
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

use hookmap_core::form;
use hookmap_core::ApiCode;
use serde_json::Value;
use worker::{Env, Request, Response};

use self::arrive::Arrived;
use self::authenticate::Authenticated;
use self::outcome::Outcome;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;
use crate::http::{query, RequestUrl};
use crate::log::RequestLog;
use crate::outbox;

pub use self::answer::DELIVERY_ID_HEADER;
#[cfg(feature = "bench")]
pub use self::bench::bench_batch;
pub use self::decode::{Context, Decoded};
pub use self::outcome::Outcome as ReplayOutcome;
pub use self::record::Recorded;

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
    // A record D1 proves outdated while the outcome is written is read again, once: the next
    // pass then reads D1 itself, and if the webhook changes again meanwhile the answer is 409.
    let mut judged_again = false;
    // A member created while this delivery was being held: it is run once more, and applies.
    let mut joined_meanwhile = false;
    loop {
        log.community_id = Some(arrived.hook().community_id.clone());
        // The community's own database: everything its deliveries read and write.
        let community = arrived.hook().community_id.clone();
        let data = Db::Community(env, &community);
        let outcome = process(env, data, &arrived, dry_run).await?;
        let stale = outcome.proves_stale();
        if !outcome.settled() && arrived.refresh(env, &db, token, stale).await? {
            continue;
        }
        announce(env, arrived.hook(), &outcome).await;
        let recorded = record::record(data, arrived.hook(), outcome, dry_run, None).await?;
        if let Recorded::Failed {
            alert: Some(kind), ..
        } = &recorded
        {
            outbox::enqueue_alert(env, &community, &arrived.hook().id, *kind).await;
        }
        if matches!(recorded, Recorded::Outdated)
            && !judged_again
            && arrived.refresh(env, &db, token, true).await?
        {
            judged_again = true;
            continue;
        }
        if matches!(recorded, Recorded::MemberJoined) && !joined_meanwhile {
            joined_meanwhile = true;
            continue;
        }
        log.error = answer::error_code(&recorded);
        return answer::answer(recorded, answer::Told::to(arrived.hook()));
    }
}

async fn process(env: &Env, db: Db<'_>, arrived: &Arrived, dry_run: bool) -> ApiResult<Outcome> {
    let auth = match Authenticated::check(arrived, env)? {
        Ok(auth) => auth,
        Err(failure) => return Ok(failure.into()),
    };
    if dry_run {
        if let Some(refused) = dry_run::admit(db, arrived.hook(), auth.sender()).await? {
            return Ok(refused);
        }
    }
    let decoded = match Decoded::arrived(auth, env)? {
        Ok(decoded) => decoded,
        Err(failure) => return Ok(failure.into()),
    };
    run::run(db, decoded, dry_run).await
}

/// Runs a stored delivery again (an admin's replay) through the same stages as the edge, from
/// `Decoded` on.
pub async fn replay(env: &Env, db: Db<'_>, stored: Decoded<'_>) -> ApiResult<Response> {
    // An admin asked: told everything.
    answer::answer(
        replay_recorded(env, db, stored).await?,
        answer::Told::Everything,
    )
}

/// A replay as recorded, for a caller that answers no sender (bulk replay's queue consumer).
pub async fn replay_recorded(env: &Env, db: Db<'_>, stored: Decoded<'_>) -> ApiResult<Recorded> {
    let (hook, replay_of) = (stored.hook(), stored.replay_of());
    let outcome = run::run(db, stored, false).await?;
    announce(env, hook, &outcome).await;
    // A replay's record names it on the original (apply.rs); one whose key applied meanwhile
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

/// What an applied delivery queues once its batch committed: the outgoing deliveries of the
/// `message.posted` it wrote; a member it created, for `joined`; the alert of a failing webhook it
/// ended (`incoming_webhook.recovered`; a failure that starts one is announced once recorded).
/// A queue send that fails is logged and does not undo the delivery: the cron queues an owed
/// outgoing delivery again once it is overdue (src/overdue.rs).
async fn announce(env: &Env, hook: &HookRecord, outcome: &Outcome) {
    if let Outcome::Applied {
        created: Some(created),
        ..
    } = outcome
    {
        joined(env, &hook.community_id, created).await;
    }
    if let Outcome::Applied {
        alert: Some(kind), ..
    } = outcome
    {
        outbox::enqueue_alert(env, &hook.community_id, &hook.id, *kind).await;
    }
    // The message.posted the delivery's own batch wrote (an outbox): queued now it committed.
    if let Outcome::Applied { posted, .. } = outcome {
        for id in posted {
            outbox::enqueue(env, &hook.community_id, id, 1, 0).await;
        }
    }
}

/// A member a delivery created: the API worker applies what other webhooks held for them (a
/// replay each), then publishes `member.joined` (`joined::queued`), so that the edge links
/// neither.
async fn joined(env: &Env, community_id: &str, created: &str) {
    outbox::enqueue_held(env, community_id, Some(created)).await;
}
