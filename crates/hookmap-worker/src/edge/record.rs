//! The last stage for a delivery that did not apply: it is recorded in the history, in the budget
//! its sender spends. An applied delivery recorded itself in its batch; a dry run records nothing.

use std::cell::RefCell;

use hookmap_core::event::EventType;
use hookmap_core::expiring::Expiring;
use hookmap_core::joining;
use hookmap_core::quota::Quota;
use hookmap_core::DeliveryStatus;

use super::outcome::{self, Failure, Outcome};
use super::refusal::{rate_limited, too_many_failures};
use super::run;
use crate::apply::{self, Budget, DeliveryMeta, HeldWritten};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;
use crate::quotas;

/// What the answer is made from.
pub enum Recorded {
    /// Nothing was written here: applied, duplicate, rate limited, or a dry run.
    /// Boxed: an outcome carries a whole plan, and the other variants are small.
    Unwritten(Box<Outcome>),
    Pending {
        delivery_id: String,
    },
    /// Held for a member who has not joined (or, for a replay of a held delivery, left held).
    Held {
        delivery_id: String,
        message: String,
    },
    /// The member was created while the delivery was being held, so nothing was written: the
    /// delivery is to be run again, and now applies.
    MemberJoined,
    Failed {
        delivery_id: String,
        told: ApiError,
        /// The webhook is failing since this delivery (`health`): the alert to send.
        alert: Option<EventType>,
    },
    /// A budget refused the record, which wrote nothing: answered with this 429.
    Refused(ApiError),
    /// The webhook changed since the record the delivery was judged by, so nothing was written:
    /// the edge judges it again by the current record (`edge::receive`), or answers
    /// `409 webhook_changed` when it cannot.
    Outdated,
}

thread_local! {
    /// Webhooks whose failure budget is spent, until the minute ends: this isolate refuses their
    /// anonymous failures meanwhile without a round trip.
    static SPENT: RefCell<Expiring> = RefCell::new(Expiring::new(1024));
}

fn spent(webhook_id: &str) -> bool {
    let now = db::now().0;
    SPENT.with(|s| s.borrow().holds(webhook_id, now))
}

fn spend(webhook_id: &str) {
    let now = db::now().0;
    let minute_ends = (now / 60_000 + 1) * 60_000;
    SPENT.with(|s| s.borrow_mut().remember(webhook_id, minute_ends, now));
}

pub async fn record(
    db: Db<'_>,
    hook: &HookRecord,
    outcome: Outcome,
    dry_run: bool,
    replay_of: Option<&str>,
) -> ApiResult<Recorded> {
    if dry_run {
        return Ok(Recorded::Unwritten(Box::new(outcome)));
    }
    let outcome = match outcome {
        Outcome::Held(held) => match hold(db, hook, held, replay_of).await? {
            Held::Recorded(recorded) => return Ok(recorded),
            // Over the community's quota of held deliveries: a failure like any.
            Held::Failed(failure) => Outcome::Failed(*failure),
        },
        other @ (Outcome::Applied { .. }
        | Outcome::Duplicate { .. }
        | Outcome::DryRun(_)
        | Outcome::RateLimited
        | Outcome::Pending { .. }
        | Outcome::Failed(_)) => other,
    };
    let (status, failure, payload, headers, (key, guard)) = match outcome {
        Outcome::Pending {
            payload,
            idempotency_key,
            guard,
            headers,
        } => (
            DeliveryStatus::Pending,
            None,
            Some(payload),
            headers,
            (idempotency_key, guard),
        ),
        Outcome::Failed(mut failure) => {
            let payload = failure.payload.take();
            let headers = failure.headers.take();
            let keys = (failure.idempotency_key.take(), failure.guard.take());
            (
                DeliveryStatus::Failed,
                Some(failure),
                payload,
                headers,
                keys,
            )
        }
        // Held became recorded or failed above.
        other @ (Outcome::Applied { .. }
        | Outcome::Duplicate { .. }
        | Outcome::DryRun(_)
        | Outcome::RateLimited
        | Outcome::Held(_)) => return Ok(Recorded::Unwritten(Box::new(other))),
    };
    let budget = match &failure {
        Some(f) if f.anonymous => Budget::Failures,
        _ => Budget::Rate,
    };
    if budget == Budget::Failures && spent(&hook.id) {
        return Ok(Recorded::Refused(too_many_failures()));
    }
    let mut meta = DeliveryMeta::new(hook, payload.as_deref(), replay_of)?;
    meta.headers = headers.as_deref();
    let unapplied = apply::Unapplied {
        status,
        error: failure.as_ref().map(|f| &f.error),
        idempotency_key: key.as_deref(),
        guard: guard.as_deref(),
        effects: failure.as_ref().and_then(|f| f.effects.as_deref()),
        budget,
    };
    let alert = match apply::record_unapplied(db, &meta, &unapplied).await? {
        apply::Written::Recorded(alert) => alert,
        apply::Written::Outdated => return Ok(Recorded::Outdated),
        apply::Written::OverBudget => {
            return Ok(Recorded::Refused(match budget {
                Budget::Rate => rate_limited(),
                Budget::Failures => {
                    spend(&hook.id);
                    too_many_failures()
                }
            }))
        }
    };
    let delivery_id = meta.id;
    Ok(match failure {
        Some(failure) => Recorded::Failed {
            delivery_id,
            told: failure.told,
            alert,
        },
        None => Recorded::Pending { delivery_id },
    })
}

enum Held {
    Recorded(Recorded),
    /// Boxed: a failure carries the payload and its error.
    Failed(Box<Failure>),
}

/// Holds a delivery for a member who has not joined (`apply::record_held`); a replay of one held
/// already writes nothing.
async fn hold(
    db: Db<'_>,
    hook: &HookRecord,
    held: outcome::Held,
    replay_of: Option<&str>,
) -> ApiResult<Held> {
    let message = joining::held_message(held.by, &held.member);
    if let Some(delivery_id) = held.already {
        return Ok(Held::Recorded(Recorded::Held {
            delivery_id,
            message,
        }));
    }
    let mut meta = DeliveryMeta::new(hook, Some(&held.payload), replay_of)?;
    meta.headers = held.headers.as_deref();
    let to_hold = apply::ToHold {
        by: held.by,
        member: &held.member,
        idempotency_key: held.idempotency_key.as_deref(),
        guard: held.guard.as_deref(),
        message: &message,
    };
    Ok(Held::Recorded(
        match apply::record_held(db, &meta, &to_hold).await? {
            HeldWritten::Held => Recorded::Held {
                delivery_id: meta.id,
                message,
            },
            HeldWritten::OverBudget => Recorded::Refused(rate_limited()),
            HeldWritten::Outdated => Recorded::Outdated,
            HeldWritten::MemberJoined => Recorded::MemberJoined,
            HeldWritten::Duplicate => Recorded::Unwritten(Box::new(
                run::duplicate(
                    db,
                    hook,
                    held.idempotency_key.as_deref(),
                    held.guard.as_deref(),
                )
                .await?,
            )),
            HeldWritten::Full => {
                let error = quotas::exceeded(Quota::HeldDeliveries, hook.held_deliveries);
                let error = ApiError {
                    message: format!(
                        "no member of this community has the {} {:?}, and {}",
                        held.by.as_str(),
                        held.member,
                        error.message
                    ),
                    ..error
                };
                return Ok(Held::Failed(Box::new(
                    Failure::new(error)
                        .with_payload(held.payload, held.headers)
                        .with_keys((held.idempotency_key, held.guard)),
                )));
            }
        },
    ))
}
