//! A dry run: what a delivery would do against the member's current balances and the community's
//! channels. Writes nothing.

use hookmap_core::{ChannelType, Currency, DeliveryStatus, HistoryStatus, Plan};
use serde_json::json;
use worker::D1Database;

use super::outcome::{Failure, Outcome};
use super::refusal::refusal_error;
use crate::apply::Refusal;
use crate::balances::{self, Member};
use crate::channels;
use crate::db;
use crate::error::ApiResult;
use crate::hook::HookRecord;

/// What the delivery would do, computed against the member's current balances and the community's
/// channels; writes nothing.
pub async fn outcome(db: &D1Database, hook: &HookRecord, plan: Plan) -> ApiResult<Outcome> {
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
        return Ok(Failure::new(refusal_error(&Refusal::UnknownMember, &plan)).into());
    };
    let mut after = member.balances.clone();
    if let Some(currency) = first_overdrawn(&mut after, &plan) {
        let refusal = Refusal::Insufficient(Some(currency));
        return Ok(Failure::new(refusal_error(&refusal, &plan)).into());
    }
    Ok(Outcome::DryRun(json!({
        "dry_run": true, "status": DeliveryStatus::Success, "member": member,
        "balances_after": after,
        "idempotency_key": plan.idempotency_key, "effects": plan.effects, "message": plan.message,
    })))
}

/// Which balance took a refused batch below zero, read again now that the batch rolled back
/// (the CHECK that refused it names no currency); `None` when the plan alone says it, or when the
/// balances moved since and no longer tell.
pub async fn overdrawn(
    db: &D1Database,
    hook: &HookRecord,
    plan: &Plan,
) -> ApiResult<Option<Currency>> {
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
        Some(mut member) => first_overdrawn(&mut member.balances, plan),
        None => None,
    })
}

/// The plan's member with every currency's balance, or `None` when there is no such member.
async fn member(db: &D1Database, hook: &HookRecord, plan: &Plan) -> ApiResult<Option<Member>> {
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

/// Applies the plan's currency effects to `balances` in order, as storage would; the first
/// currency to go below zero, if any.
fn first_overdrawn(balances: &mut balances::Amounts, plan: &Plan) -> Option<Currency> {
    for (currency, delta) in plan.effects.iter().filter_map(|e| e.currency_delta()) {
        let balance = balances.entry(currency.as_str().to_owned()).or_insert(0);
        *balance += delta;
        if *balance < 0 {
            return Some(currency.clone());
        }
    }
    None
}

/// What the message guard would refuse: a channel of another community or none, or a forum post
/// without a topic.
async fn channel_refusal(
    db: &D1Database,
    hook: &HookRecord,
    plan: &Plan,
) -> ApiResult<Option<Refusal>> {
    let Some(message) = &plan.message else {
        return Ok(None);
    };
    let channel = channels::find(db, &hook.community_id, message.channel.as_str()).await?;
    Ok(match channel {
        None => Some(Refusal::UnknownChannel),
        Some(c) if c.kind == ChannelType::Forum.as_str() && message.topic.is_none() => {
            Some(Refusal::TopicRequired)
        }
        Some(_) => None,
    })
}
