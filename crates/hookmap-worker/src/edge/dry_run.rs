//! A dry run: what a delivery would do against the member's current balances and the community's
//! channels. Writes nothing.

use hookmap_core::{Currency, Plan};
use serde_json::json;
use worker::D1Database;

use super::outcome::{Failure, Outcome};
use super::refusal::refusal_error;
use crate::apply::{self, Refusal};
use crate::channels;
use crate::db;
use crate::error::ApiResult;
use crate::hooks::HookRecord;

/// What the delivery would do, computed against the member's current balances and the community's
/// channels; writes nothing.
pub async fn outcome(db: &D1Database, hook: &HookRecord, plan: Plan) -> ApiResult<Outcome> {
    if let Some(refusal) = channel_refusal(db, hook, &plan).await? {
        return Ok(Failure::new(refusal_error(&refusal, &plan)).into());
    }
    let Some(member_ref) = &plan.member else {
        return Ok(Outcome::DryRun(json!({
            "dry_run": true, "status": "success", "member": null,
            "idempotency_key": plan.idempotency_key, "effects": plan.effects, "message": plan.message,
        })));
    };
    let column = member_ref.by.as_str();
    let member: Option<apply::Balances> = db::first(
        db,
        &format!("SELECT id, xp, coins FROM users WHERE community_id = ?1 AND {column} = ?2"),
        &crate::args![&hook.community_id, member_ref.value.as_str()],
    )
    .await?;
    let Some(member) = member else {
        return Ok(Failure::new(refusal_error(&Refusal::UnknownMember, &plan)).into());
    };
    let (mut xp, mut coins) = (member.xp, member.coins);
    for (currency, delta) in plan.effects.iter().filter_map(|e| e.currency_delta()) {
        let balance = match currency {
            Currency::Xp => &mut xp,
            Currency::Coins => &mut coins,
        };
        *balance += delta;
        if *balance < 0 {
            return Ok(Failure::new(refusal_error(&Refusal::Insufficient(currency), &plan)).into());
        }
    }
    Ok(Outcome::DryRun(json!({
        "dry_run": true, "status": "success", "member": member,
        "balances_after": {"xp": xp, "coins": coins},
        "idempotency_key": plan.idempotency_key, "effects": plan.effects, "message": plan.message,
    })))
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
        Some(c) if c.kind == "forum" && message.topic.is_none() => Some(Refusal::TopicRequired),
        Some(_) => None,
    })
}
