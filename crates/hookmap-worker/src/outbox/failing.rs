//! Auto-disable in D1 (`hookmap_core::failing`): each recorded outcome of a real delivery updates
//! its subscription's streak of failures in the same batch, and a failure that makes the streak
//! long enough turns the subscription off there too, so concurrent attempts neither lose a failure
//! nor disable twice. Whoever asks for `subscription.disabled` hears of it.

use hookmap_core::event::EventType;
use hookmap_core::failing::AutoDisable;
use hookmap_core::{DeliveryStatus, DisabledReason};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{D1Database, Env};

use super::publish::publish;
use crate::db;
use crate::error::ApiResult;

fn rule(env: &Env) -> AutoDisable {
    let var = |name| env.var(name).ok().map(|v| v.to_string());
    AutoDisable::from_vars(
        var("AUTO_DISABLE_FAILURES").as_deref(),
        var("AUTO_DISABLE_DAYS").as_deref(),
    )
}

/// The statements that follow a delivery's outcome on its subscription's streak: a success ends
/// it, a final failure extends it and, when it is long enough, turns the subscription off (the
/// last statement, whose RETURNING row [`disabled`] reads). Nothing for a pending outcome.
pub(super) fn streak(
    env: &Env,
    subscription_id: &str,
    status: DeliveryStatus,
    now_ms: u64,
) -> Vec<db::Statement> {
    let now = db::iso(now_ms);
    match status {
        DeliveryStatus::Pending => Vec::new(),
        DeliveryStatus::Success => vec![db::stmt(
            "UPDATE webhook_subscriptions SET failures_in_a_row = 0, failing_since = NULL
              WHERE id = ?1 AND failures_in_a_row > 0",
            &crate::args![subscription_id],
        )],
        DeliveryStatus::Failed => {
            let rule = rule(env);
            let since_at_most = db::iso(rule.failing_since_at_most(now_ms));
            vec![
                db::stmt(
                    "UPDATE webhook_subscriptions
                        SET failures_in_a_row = failures_in_a_row + 1, failing_since = COALESCE(failing_since, ?2)
                      WHERE id = ?1",
                    &crate::args![subscription_id, now.as_str()],
                ),
                db::stmt(
                    "UPDATE webhook_subscriptions SET is_active = 0, disabled_reason = ?2, updated_at = ?3
                      WHERE id = ?1 AND is_active = 1 AND failures_in_a_row >= ?4 AND failing_since <= ?5
                     RETURNING id, community_id, url, failures_in_a_row, failing_since",
                    &crate::args![
                        subscription_id,
                        DisabledReason::Failing.as_str(),
                        now.as_str(),
                        i64::from(rule.failures),
                        since_at_most.as_str()
                    ],
                ),
            ]
        }
    }
}

/// A subscription the last batch turned off.
#[derive(Deserialize, Serialize)]
pub(super) struct Disabled {
    id: String,
    #[serde(skip_serializing)]
    community_id: String,
    url: String,
    failures_in_a_row: i64,
    failing_since: Option<String>,
}

/// The subscription the streak's last statement (`last`, its result) turned off, if it did.
pub(super) fn disabled(last: Option<&db::Outcome>) -> ApiResult<Option<Disabled>> {
    Ok(match last {
        Some(result) => result.rows::<Disabled>()?.into_iter().next(),
        None => None,
    })
}

/// Tells the community's subscriptions that ask for `subscription.disabled`. A failure to publish
/// is logged, not returned: the subscription is off either way.
pub(super) async fn announce(env: &Env, db: &D1Database, disabled: &Disabled) {
    let data = json!({"subscription": {
        "id": disabled.id, "url": disabled.url, "disabled_reason": DisabledReason::Failing,
        "failures_in_a_row": disabled.failures_in_a_row, "failing_since": disabled.failing_since,
    }});
    if let Err(e) = crate::community::copies::subscriptions(env, db, &disabled.community_id).await {
        worker::console_error!(
            "outbox: the community's copy of subscriptions is behind: {}",
            e.message
        );
    }
    let kind = EventType::SubscriptionDisabled.into();
    if let Err(e) = publish(env, &disabled.community_id, &kind, &data, None).await {
        worker::console_error!("outbox: subscription.disabled not published: {}", e.message);
    }
}
