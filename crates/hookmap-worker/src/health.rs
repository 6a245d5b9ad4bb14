//! An incoming webhook's health in D1 (`hookmap_core::health` holds the rule): each counted
//! delivery updates its webhook's streak and recent outcomes in the batch that records it, and the
//! statement after judges them there, so concurrent deliveries lose no outcome and a change of
//! state happens once. A change is the alert: `incoming_webhook.failing` or
//! `incoming_webhook.recovered`, queued by the edge and published by the API worker's consumer
//! like `subscription.disabled` (`outbox/failing.rs`), so the edge carries only the counting. A
//! delivery that changes nothing costs no round trip: its two statements ride in its batch.

use hookmap_core::event::EventType;
use hookmap_core::health::{FailingReason, FAILED, RECENT_MAX, SUCCEEDED};

use crate::apply::DeliveryMeta;
use crate::db;
use crate::error::ApiResult;

/// The rule in SQL over the row just counted (`?3` in a row, `?4` the window), as
/// `Rule::reason` reads it: a window not yet full is not judged.
const RULE: &str = "((?3 > 0 AND failures_in_a_row >= ?3)
     OR (?4 > 0 AND length(recent) >= ?4 AND 2 * (?4 - length(replace(substr(recent, -?4), 'f', ''))) > ?4))";

/// The statements that count a delivery of the sender's on its webhook's health, to go in the
/// batch that records it (`failed`: its error code, None for a success or a filtered delivery).
/// The last one changes a row only when the webhook's state changed: [`changed`] reads it.
pub fn counted(meta: &DeliveryMeta<'_>, failed: Option<&str>) -> Vec<db::Statement> {
    let hook = meta.hook;
    let mark = if failed.is_some() { FAILED } else { SUCCEEDED };
    let mark = mark.to_string();
    let count = db::stmt(
        &format!(
            "INSERT INTO incoming_webhook_health (webhook_id, community_id, failures_in_a_row, recent, last_error, updated_at)
             SELECT ?1, ?2, ?3 = '{FAILED}', ?3, ?5, ?4 WHERE EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = ?1)
             ON CONFLICT (webhook_id) DO UPDATE SET
                failures_in_a_row = CASE excluded.recent WHEN '{FAILED}' THEN failures_in_a_row + 1 ELSE 0 END,
                recent = substr(recent || excluded.recent, -{RECENT_MAX}),
                last_error = COALESCE(excluded.last_error, last_error),
                updated_at = excluded.updated_at"
        ),
        &crate::args![&hook.id, &hook.community_id, mark.as_str(), &meta.now, failed],
    );
    let judged = match failed {
        // Only a failure starts it.
        Some(_) => format!(
            "UPDATE incoming_webhook_health SET failing = 1, failing_since = ?2, recovered_at = NULL,
                    failing_reason = CASE WHEN ?3 > 0 AND failures_in_a_row >= ?3 THEN '{}' ELSE '{}' END
              WHERE webhook_id = ?1 AND failing = 0 AND {RULE}",
            FailingReason::FailuresInARow.as_str(),
            FailingReason::FailureRate.as_str(),
        ),
        // Only a success ends it, once neither part of the rule holds.
        None => format!(
            "UPDATE incoming_webhook_health SET failing = 0, recovered_at = ?2
              WHERE webhook_id = ?1 AND failing = 1 AND NOT {RULE}"
        ),
    };
    let judged = db::stmt(
        &judged,
        &crate::args![
            &hook.id,
            &meta.now,
            hook.failing_in_a_row,
            hook.failing_window
        ],
    );
    vec![count, judged]
}

/// What the last of [`counted`]'s statements (`last`, its result) did: the event that
/// announces the change of state, when there was one. `failed` as given to [`counted`].
pub fn changed(last: &db::Outcome, failed: bool) -> ApiResult<Option<EventType>> {
    let changes = last.changes;
    Ok((changes > 0).then_some(if failed {
        EventType::IncomingWebhookFailing
    } else {
        EventType::IncomingWebhookRecovered
    }))
}

#[cfg(feature = "api")]
pub use self::announce::queued;

/// The API worker's half: a queued change of state, read back and published.
#[cfg(feature = "api")]
mod announce {
    use hookmap_core::event::EventType;
    use hookmap_core::health::{self, Rule};
    use hookmap_core::quota::Quota;
    use serde::{Deserialize, Serialize};
    use worker::{D1Database, Env};

    use crate::db::{self, Db};
    use crate::error::{ApiError, ApiResult};
    use crate::outbox::{self, Job};
    use crate::quotas;

    /// The webhook's state as its health row (the community's database) holds it.
    #[derive(Deserialize)]
    struct State {
        failing_since: Option<String>,
        failing_reason: Option<String>,
        failures_in_a_row: i64,
        recent: String,
        last_error: Option<String>,
        recovered_at: Option<String>,
    }

    /// The webhook's name and its community's thresholds, as the directory holds them.
    #[derive(Deserialize)]
    struct Settings {
        name: String,
        failing_in_a_row: Option<i64>,
        failing_window: Option<i64>,
    }

    #[derive(Serialize)]
    struct Data<'a> {
        incoming_webhook: Shown<'a>,
    }

    /// The event's `data.incoming_webhook` (core `event_types`: `incoming_webhook.failing`).
    #[derive(Serialize)]
    struct Shown<'a> {
        id: &'a str,
        name: &'a str,
        reason: Option<&'a str>,
        failing_since: Option<&'a str>,
        failures_in_a_row: i64,
        recent_failures: usize,
        recent_deliveries: usize,
        last_error: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        recovered_at: Option<&'a str>,
    }

    /// Publishes the change `job` names (`alert`, for webhook `delivery_id`) to the community's
    /// subscriptions that list it, with the webhook's streak and counts as they stand now. Each
    /// change was queued once, so each is told once, even one overtaken by the next.
    pub async fn queued(env: &Env, db: &D1Database, job: &Job) -> ApiResult<()> {
        let Some(kind) = job.alert.as_deref().and_then(EventType::parse) else {
            return Err(ApiError::internal("an alert job names no event type"));
        };
        let id = job.delivery_id.as_str();
        let settings: Option<Settings> = db::first(
            db,
            "SELECT w.name, q.failing_in_a_row, q.failing_window
               FROM incoming_webhooks w LEFT JOIN community_quotas q ON q.community_id = w.community_id
              WHERE w.id = ?1",
            &crate::args![id],
        )
        .await?;
        let cid = job.community_id.as_str();
        let state: Option<State> = db::first(
            Db::Community(env, cid),
            "SELECT failing, failing_since, failing_reason, failures_in_a_row, recent, last_error, recovered_at
               FROM incoming_webhook_health WHERE webhook_id = ?1",
            &crate::args![id],
        )
        .await?;
        // A webhook deleted meanwhile has nobody to tell about.
        let (Some(settings), Some(state)) = (settings, state) else {
            return Ok(());
        };
        let limit = |set: Option<i64>, quota| set.unwrap_or_else(|| quotas::default(env, quota));
        let rule = Rule::of(
            limit(settings.failing_in_a_row, Quota::FailingInARow),
            limit(settings.failing_window, Quota::FailingWindow),
        );
        let (recent_failures, recent_deliveries) = health::tally(&state.recent, rule.window);
        let data = Data {
            incoming_webhook: Shown {
                id,
                name: &settings.name,
                reason: state.failing_reason.as_deref(),
                failing_since: state.failing_since.as_deref(),
                failures_in_a_row: state.failures_in_a_row,
                recent_failures,
                recent_deliveries,
                last_error: state.last_error.as_deref(),
                recovered_at: state
                    .recovered_at
                    .as_deref()
                    .filter(|_| kind == EventType::IncomingWebhookRecovered),
            },
        };
        let data = serde_json::to_value(&data).map_err(ApiError::internal)?;
        outbox::publish(env, cid, &kind.into(), &data, None).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_spells_the_cores_marks() {
        assert_eq!(RULE.matches(&format!("'{FAILED}'")).count(), 1);
        assert_eq!(
            (FAILED.len_utf8(), SUCCEEDED.len_utf8()),
            (1, 1),
            "length() counts them"
        );
    }
}
