//! A dry run: what a delivery would do against the member's current balances and the community's
//! channels. Writes nothing but its count in the webhook's rate limit.
//!
//! It tells the sender a member's id and balances, so it is a privileged read (issue 27): only a
//! proved sender (the webhook's API key or signature) may make one, and the webhook's version is
//! read from D1 on every one ([`admit`]), so a credential revoked a moment ago (a rotated key, a
//! signing secret's grace ended, the webhook disabled or deleted) is refused at once even where
//! an isolate still caches the record it was proved against.

use hookmap_core::joining::{self, NewMember, Unknown};
use hookmap_core::ApiCode;
use hookmap_core::{
    simulate, ChannelType, Currency, DeliveryStatus, Effect, HistoryStatus, MemberState, Plan,
    Sender, StorageRefusal,
};
use serde_json::json;

use super::outcome::{Failure, Outcome};
use super::refusal::{refusal_error, webhook_changed};
use crate::apply::{self, Refusal};
use crate::balances::{self, Amounts, Member};
use crate::channels;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;

/// Whether a dry run may go on, for a sender proved (or not) against `hook`: `None` when it may;
/// else the outcome to answer. A proved sender's dry run is counted in the webhook's `rate_limit`
/// in the same statement that checks the record's version against D1's: a record that is not
/// D1's current one is an outcome whose failure proves it stale, so the edge reads the record
/// again and judges the request by it (`edge::receive`).
pub async fn admit(db: Db<'_>, hook: &HookRecord, sender: Sender) -> ApiResult<Option<Outcome>> {
    if sender == Sender::Anonymous {
        let error = ApiError::unauthorized(
            ApiCode::ProofRequired,
            "a dry run tells a member's balances: it needs this webhook's API key or signature, and this webhook checks neither",
        );
        return Ok(Some(Failure::new(error).anonymous(true).into()));
    }
    Ok(match apply::count_dry_run(db, hook).await? {
        apply::DryRunCount::Counted => None,
        apply::DryRunCount::RateLimited => Some(Outcome::RateLimited),
        apply::DryRunCount::Outdated => {
            let mut failure = Failure::new(webhook_changed());
            failure.stale_record = true;
            Some(failure.into())
        }
    })
}

/// What the delivery would do, computed against the member's current balances and the community's
/// channels; writes nothing.
pub async fn outcome(
    db: Db<'_>,
    hook: &HookRecord,
    plan: Plan,
    new_member: Option<Result<NewMember, ApiError>>,
) -> ApiResult<Outcome> {
    if plan.filtered.is_some() {
        return Ok(Outcome::DryRun(json!({
            "dry_run": true, "status": HistoryStatus::Filtered, "filtered": true,
            "idempotency_key": plan.idempotency_key,
        })));
    }
    if let Some(refusal) = channel_refusal(db, hook, &plan).await? {
        return Ok(Failure::new(refusal_error(&refusal, &plan)).into());
    }
    if plan.member.is_none() {
        return Ok(Outcome::DryRun(json!({
            "dry_run": true, "status": DeliveryStatus::Success, "member": null,
            "idempotency_key": plan.idempotency_key, "effects": plan.effects, "message": plan.message,
        })));
    }
    let Some(member) = member(db, hook, &plan).await? else {
        // A dry run has a proved sender (`admit`): what the delivery would get, held, created
        // or failed.
        let verdict = joining::unknown_member(hook.on_unknown_member(), true, false);
        match (verdict, &plan.member, new_member) {
            (Unknown::Hold, Some(m), _) => {
                return Ok(Outcome::DryRun(json!({
                    "dry_run": true, "status": DeliveryStatus::Pending, "held": true,
                    "reason": joining::HELD_REASON, "message": joining::held_message(m.by, &m.value),
                    "idempotency_key": plan.idempotency_key, "effects": plan.effects,
                })));
            }
            (Unknown::Create, Some(_), Some(new)) => {
                let new = match new {
                    Ok(new) => new,
                    Err(e) => return Ok(Failure::new(e).into()),
                };
                // A new member holds nothing yet.
                let after = match simulated(&Amounts::new(), &plan) {
                    Ok(after) => after,
                    Err(currency) => {
                        let refusal = Refusal::Insufficient(Some(currency));
                        return Ok(Failure::new(refusal_error(&refusal, &plan)).into());
                    }
                };
                return Ok(Outcome::DryRun(json!({
                    "dry_run": true, "status": DeliveryStatus::Success, "member": null,
                    "creates": {"email": new.email, "username": new.username},
                    "balances_after": after, "idempotency_key": plan.idempotency_key,
                    "effects": plan.effects, "message": plan.message,
                })));
            }
            // Without a member to hold or create (or the mapping's user part to create it
            // with), and for the other verdicts, the delivery fails as unknown.
            (Unknown::Hold | Unknown::Create | Unknown::Fail | Unknown::StillHeld, _, _) => {}
        }
        return Ok(Failure::new(refusal_error(
            &Refusal::Raised(StorageRefusal::UnknownMember),
            &plan,
        ))
        .into());
    };
    let after = match simulated(&member.balances, &plan) {
        Ok(after) => after,
        Err(currency) => {
            let refusal = Refusal::Insufficient(Some(currency));
            return Ok(Failure::new(refusal_error(&refusal, &plan)).into());
        }
    };
    Ok(Outcome::DryRun(json!({
        "dry_run": true, "status": DeliveryStatus::Success, "member": member,
        "balances_after": after,
        "idempotency_key": plan.idempotency_key, "effects": plan.effects, "message": plan.message,
    })))
}

/// Which balance took a refused batch below zero, read again now that the batch rolled back
/// (the CHECK that refused it names no currency); `None` when the plan alone says it, or when the
/// balances moved since and no longer tell.
pub async fn overdrawn(db: Db<'_>, hook: &HookRecord, plan: &Plan) -> ApiResult<Option<Currency>> {
    let mut debited = plan
        .effects
        .iter()
        .filter_map(|e| e.currency_delta())
        .filter(|(_, delta)| *delta < 0)
        .map(|(currency, _)| currency);
    if let Some(first) = debited.next() {
        if debited.all(|other| other == first) {
            // Only one currency is ever debited: it is the one.
            return Ok(Some(first.clone()));
        }
    }
    Ok(match member(db, hook, plan).await? {
        Some(member) => simulated(&member.balances, plan).err(),
        None => None,
    })
}

/// The plan's member with every currency's balance, or `None` when there is no such member.
async fn member(db: Db<'_>, hook: &HookRecord, plan: &Plan) -> ApiResult<Option<Member>> {
    let Some(member_ref) = &plan.member else {
        return Ok(None);
    };
    let rows: Vec<balances::Row> = db::all(
        db,
        &balances::of_member_by(member_ref.by.as_str()),
        &crate::args![&hook.community_id, member_ref.value.as_str()],
    )
    .await?;
    Ok(Member::from_rows(rows))
}

/// The plan's currency effects applied to `balances` by `hookmap_core::simulate`, in order and as
/// storage applies them: every balance after, or the first currency they take below zero.
fn simulated(balances: &Amounts, plan: &Plan) -> Result<Amounts, Currency> {
    let state = MemberState {
        balances: balances.clone(),
        ..MemberState::default()
    };
    let effects: Vec<Option<Effect>> = plan.effects.iter().cloned().map(Some).collect();
    let mut after = balances.clone();
    for (effect, change) in plan.effects.iter().zip(simulate(&state, &effects)) {
        let (Some((currency, _)), Some(change)) = (effect.currency_delta(), change) else {
            continue;
        };
        if change.error.is_some() {
            return Err(currency.clone());
        }
        if let Some(amount) = change.after.as_i64() {
            after.insert(currency.as_str().to_owned(), amount);
        }
    }
    Ok(after)
}

/// What the message guard would refuse: a channel of another community or none, or a forum post
/// without a topic.
async fn channel_refusal(db: Db<'_>, hook: &HookRecord, plan: &Plan) -> ApiResult<Option<Refusal>> {
    let Some(message) = &plan.message else {
        return Ok(None);
    };
    let channel = channels::find(db, &hook.community_id, message.channel.as_str()).await?;
    Ok(match channel {
        None => Some(Refusal::Raised(StorageRefusal::UnknownChannel)),
        Some(c) if c.kind == ChannelType::Forum.as_str() && message.topic.is_none() => {
            Some(Refusal::Raised(StorageRefusal::TopicRequired))
        }
        Some(_) => None,
    })
}
