//! The stages after planning, run in the community's object: the edge sends it one call with the
//! prepared delivery ([`Delivery`]); the object applies it, records what did not apply, queues
//! what the delivery announces, and answers the sender's answer, which the edge passes on.
//!
//! The object cannot read the webhook's record again (the edge's token lookup and caches do):
//! where the edge would have judged the delivery again by a fresh record, the object writes
//! nothing and answers [`REFRESH_HEADER`] instead, and the edge reads the record and sends the
//! delivery again.

use hookmap_core::Sender;
use serde::{Deserialize, Serialize};
use worker::{Env, Response};

use super::run::Prepared;
use crate::error::{ApiError, ApiResult};

/// Set on the object's answer when the edge is to read the webhook's record again and send the
/// delivery again, which wrote nothing: `stale` when storage proved the record out of date (read
/// whatever the refresh interval), `due` otherwise.
pub const REFRESH_HEADER: &str = "hookmap-refresh";
/// The error code of the answer, for the edge's request log.
pub const ERROR_HEADER: &str = "hookmap-error-code";

/// One delivery for a community's object to settle. `H` is the webhook's record: borrowed where
/// it is sent, owned where it is read.
#[derive(Serialize, Deserialize)]
pub struct Delivery<H> {
    pub hook: H,
    pub dry_run: bool,
    /// A dry run's sender, checked (`dry_run::admit`) before anything else; `None` when the
    /// request failed its authentication, which is answered as it is.
    pub admit: Option<Sender>,
    pub prepared: Prepared,
    pub refreshable: Refreshable,
}

/// Whether the edge would read the webhook's record again before it blames the sender for an
/// outcome other than success (`edge::receive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refreshable {
    /// The record was read from D1 for this request: it is current.
    No,
    /// Cached, and read again recently: only when storage proves it out of date.
    WhenStale,
    /// Cached, and not read again for a while.
    Yes,
}

impl Refreshable {
    fn allows(self, stale: bool) -> bool {
        match self {
            Self::No => false,
            Self::WhenStale => stale,
            Self::Yes => true,
        }
    }
}

/// What the object answered.
pub enum Settled {
    /// The sender's answer, and its error code for the log.
    Answer(Response, Option<&'static str>),
    /// Read the record again (`true`: storage proved it stale) and send the delivery again.
    Refresh(bool),
}

/// Sends `delivery` to community `cid`'s object: one round trip.
pub async fn send(
    env: &Env,
    cid: &str,
    delivery: &Delivery<&crate::hook::HookRecord>,
) -> ApiResult<Settled> {
    let body = serde_json::to_string(delivery).map_err(ApiError::internal)?;
    let mut answer =
        crate::community::post_text(env, cid, "https://community/deliver", &body).await?;
    let headers = answer.headers().clone();
    if let Some(refresh) = headers.get(REFRESH_HEADER)? {
        return Ok(Settled::Refresh(refresh == "stale"));
    }
    let code = headers
        .get(ERROR_HEADER)?
        .as_deref()
        .and_then(crate::error::code_named);
    headers.delete(ERROR_HEADER)?;
    // A response of the object's has headers that cannot change: the sender's is made anew.
    let response = Response::from_bytes(answer.bytes().await?)?
        .with_status(answer.status_code())
        .with_headers(headers);
    Ok(Settled::Answer(response, code))
}

#[cfg(feature = "api")]
pub use object_side::{announce, settle};

#[cfg(feature = "api")]
mod object_side {
    use worker::{Env, Response};

    use super::super::answer::{self, Told};
    use super::super::outcome::Outcome;
    use super::super::record::{self, Recorded};
    use super::super::{dry_run, run};
    use super::{Delivery, ERROR_HEADER, REFRESH_HEADER};
    use crate::db::Db;
    use crate::error::ApiResult;
    use crate::hook::HookRecord;
    use crate::outbox;

    /// Settles `delivery` in the object's own database: the sender's answer (or the edge's
    /// [`REFRESH_HEADER`]).
    pub async fn settle(
        env: &Env,
        db: Db<'_>,
        delivery: Delivery<HookRecord>,
    ) -> ApiResult<Response> {
        let Delivery {
            hook,
            dry_run,
            admit,
            prepared,
            refreshable,
        } = delivery;
        // A member created while this delivery was being held: it is run once more, and applies.
        let mut joined_meanwhile = false;
        loop {
            let refused = match (dry_run, admit) {
                (true, Some(sender)) => dry_run::admit(db, &hook, sender).await?,
                _ => None,
            };
            let outcome = match refused {
                Some(refused) => refused,
                None => run::settle(db, &hook, prepared.clone(), dry_run, None).await?,
            };
            if !outcome.settled() && refreshable.allows(outcome.proves_stale()) {
                return refresh(outcome.proves_stale());
            }
            announce(env, &hook, &outcome).await;
            let recorded = record::record(db, &hook, outcome, dry_run, None).await?;
            if let Recorded::Failed {
                alert: Some(kind), ..
            } = &recorded
            {
                outbox::enqueue_alert(env, &hook.community_id, &hook.id, *kind).await;
            }
            // Changed since the record was read: judged again by the current one, once.
            if matches!(recorded, Recorded::Outdated) && refreshable.allows(true) {
                return refresh(true);
            }
            if matches!(recorded, Recorded::MemberJoined) && !joined_meanwhile {
                joined_meanwhile = true;
                continue;
            }
            let code = answer::error_code(&recorded);
            let mut response = answer::answer(recorded, Told::to(&hook))?;
            if let Some(code) = code {
                response.headers_mut().set(ERROR_HEADER, code)?;
            }
            return Ok(response);
        }
    }

    fn refresh(stale: bool) -> ApiResult<Response> {
        let mut response = Response::empty()?.with_status(409);
        let value = if stale { "stale" } else { "due" };
        response.headers_mut().set(REFRESH_HEADER, value)?;
        Ok(response)
    }

    /// What an applied delivery queues once its batch committed: the outgoing deliveries of the
    /// `message.posted` it wrote; a member it created, for `joined`; the alert of a failing
    /// webhook it ended (`incoming_webhook.recovered`; a failure that starts one is announced
    /// once recorded). A queue send that fails is logged and does not undo the delivery: the
    /// cron queues an owed outgoing delivery again once it is overdue (src/overdue.rs).
    pub async fn announce(env: &Env, hook: &HookRecord, outcome: &Outcome) {
        let Outcome::Applied {
            created,
            alert,
            posted,
            ..
        } = outcome
        else {
            return;
        };
        // The API worker applies what other webhooks held for the new member (a replay each),
        // then publishes `member.joined` (`joined::queued`).
        if let Some(created) = created {
            outbox::enqueue_held(env, &hook.community_id, Some(created)).await;
        }
        if let Some(kind) = alert {
            outbox::enqueue_alert(env, &hook.community_id, &hook.id, *kind).await;
        }
        for id in posted {
            outbox::enqueue(env, &hook.community_id, id, 1, 0).await;
        }
    }
}
