//! Publishing: an event and its deliveries are written in one batch, then queued. Queueing is
//! best effort because D1, not the queue, is the record of what is owed.

use hookmap_core::event::{EventName, EventType, Filter};
use hookmap_core::resend;
use hookmap_core::DeliveryStatus;
use serde::Deserialize;
use serde_json::Value;
use worker::{console_error, Env, MessageBuilder};

use super::{Job, QUEUE};
use crate::db::{self, Db};
use crate::error::ApiResult;

/// An event as published: its id and how many deliveries it made.
pub struct Published {
    pub id: String,
    pub created_at: String,
    pub deliveries: Vec<String>,
}

#[derive(Deserialize)]
struct Subscriber {
    id: String,
    events: String,
    channel_id: Option<String>,
}

/// Records `kind` with `data` and queues a delivery to every active subscription that wants it.
pub async fn publish(
    env: &Env,
    community_id: &str,
    kind: &EventName,
    data: &Value,
    channel: Option<&str>,
) -> ApiResult<Published> {
    let db = Db::Community(env, community_id);
    let subscribers: Vec<Subscriber> = db::all(
        db,
        "SELECT id, events, channel_id FROM webhook_subscriptions WHERE community_id = ?1 AND is_active = 1",
        &crate::args![community_id],
    )
    .await?;
    let wanted: Vec<String> = subscribers
        .into_iter()
        .filter(|s| {
            serde_json::from_str(&s.events)
                .ok()
                .and_then(|events| Filter::stored(&events, s.channel_id.clone()).ok())
                .is_some_and(|f| f.matches(kind, channel))
        })
        .map(|s| s.id)
        .collect();
    let published = record(db, community_id, kind, data, &wanted).await?;
    for id in &published.deliveries {
        enqueue(env, community_id, id, 1, 0).await;
    }
    Ok(published)
}

/// Records `kind` with one delivery to `subscription_id`, whatever its filter, without queueing
/// it: the caller makes the attempt itself (the test ping).
pub async fn publish_to(
    env: &Env,
    community_id: &str,
    kind: &EventName,
    data: &Value,
    subscription_id: &str,
) -> ApiResult<Published> {
    let db = Db::Community(env, community_id);
    record(db, community_id, kind, data, &[subscription_id.to_owned()]).await
}

/// The event and its deliveries, in one batch.
async fn record(
    db: Db<'_>,
    community_id: &str,
    kind: &EventName,
    data: &Value,
    subscriptions: &[String],
) -> ApiResult<Published> {
    let event_id = db::new_id("evt")?;
    let (_, now) = db::now();
    let mut batch = vec![db::stmt(
        "INSERT INTO events (id, community_id, type, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &crate::args![
            &event_id,
            community_id,
            kind.as_str(),
            data.to_string().as_str(),
            &now
        ],
    )];
    let mut deliveries = Vec::new();
    for subscription in subscriptions {
        let id = db::new_id("odl")?;
        batch.push(new_delivery(
            &id,
            community_id,
            subscription,
            &event_id,
            &now,
        ));
        deliveries.push(id);
    }
    db::batch(db, batch).await?;
    Ok(Published {
        id: event_id,
        created_at: now,
        deliveries,
    })
}

/// A `message.posted` event written in the batch of the delivery that posts the message (an
/// outbox): the event, and a delivery to every active subscription that wants it, as
/// `Filter::matches` decides for this type (listed, and in its channel when it names one). The
/// second statement returns the deliveries' ids, to queue once the batch has committed: an event
/// is never sent for a delivery that rolled back, and never lost for one that committed.
/// A delivery's id is made from the incoming delivery's (random) and the subscription's.
pub fn posted(
    community_id: &str,
    event_id: &str,
    delivery_id: &str,
    data: &Value,
    channel: &str,
    now: &str,
) -> [db::Statement; 2] {
    let kind = EventType::MessagePosted.as_str();
    [
        db::stmt(
            "INSERT INTO events (id, community_id, type, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            &crate::args![event_id, community_id, kind, data.to_string().as_str(), now],
        ),
        db::stmt(
            &format!(
                "{INSERT_DELIVERY}
                 SELECT 'odl_' || substr(?3, 5) || '_' || substr(s.id, 5), ?1, s.id, ?2, ?6, 0, ?4, ?4, ?4
                   FROM webhook_subscriptions s
                  WHERE s.community_id = ?1 AND s.is_active = 1
                    AND EXISTS (SELECT 1 FROM json_each(s.events) e WHERE e.value = ?5)
                    AND (s.channel_id IS NULL OR s.channel_id = ?7)
                 RETURNING id"
            ),
            &crate::args![
                community_id,
                event_id,
                delivery_id,
                now,
                kind,
                DeliveryStatus::Pending.as_str(),
                channel
            ],
        ),
    ]
}

fn new_delivery(
    id: &str,
    community_id: &str,
    subscription_id: &str,
    event_id: &str,
    now: &str,
) -> db::Statement {
    db::stmt(
        &format!("{INSERT_DELIVERY} VALUES (?1, ?2, ?3, ?4, ?6, 0, ?5, ?5, ?5)"),
        &crate::args![
            id,
            community_id,
            subscription_id,
            event_id,
            now,
            DeliveryStatus::Pending.as_str()
        ],
    )
}

const INSERT_DELIVERY: &str = "INSERT INTO outgoing_deliveries
    (id, community_id, subscription_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)";

/// How a resend claims the delivery it resends.
#[derive(Debug, Clone, Copy)]
pub enum Claim<'a> {
    /// Only when it was not resent before, or its resend is no longer stored: the mark is the
    /// claim, so of two concurrent resends (or recovers) one makes the delivery.
    Once,
    /// `force: true`: whatever its earlier resends, while fewer than
    /// [`resend::FORCED_RESENDS`] forced deliveries of its event to its subscription were made at
    /// or after `since` (counted inside the claim, so concurrent forced resends cannot overshoot).
    Forced { since: &'a str },
}

/// Resending delivery `original` (the batch's first two statements): it is marked resent as `id`,
/// and delivery `id` of the same event is made, with a fresh retry schedule, when `claim` allows;
/// the second statement's changes say whether it was made. The caller ends the batch with
/// `quotas::count_made`, which counts it in the community's events quota.
pub fn resend_delivery(
    original: &str,
    id: &str,
    now: &str,
    claim: Claim<'_>,
) -> [db::Statement; 2] {
    let mark = "UPDATE outgoing_deliveries AS o SET resent_as = ?2 WHERE o.id = ?1";
    let claimed = match claim {
        Claim::Once => db::stmt(
            &format!(
                "{mark} AND (o.resent_as IS NULL
                   OR NOT EXISTS (SELECT 1 FROM outgoing_deliveries r WHERE r.id = o.resent_as))"
            ),
            &crate::args![original, id],
        ),
        Claim::Forced { since } => db::stmt(
            &format!(
                "{mark} AND (SELECT COUNT(*) FROM outgoing_deliveries f
                   WHERE f.subscription_id = o.subscription_id AND f.event_id = o.event_id
                     AND f.forced = 1 AND f.created_at >= ?3) < ?4"
            ),
            &crate::args![original, id, since, resend::FORCED_RESENDS],
        ),
    };
    let forced = matches!(claim, Claim::Forced { .. });
    [
        claimed,
        db::stmt(
            "INSERT INTO outgoing_deliveries
               (id, community_id, subscription_id, event_id, status, attempts, next_attempt_at, created_at, updated_at, forced)
             SELECT ?2, community_id, subscription_id, event_id, ?4, 0, ?3, ?3, ?3, ?5
               FROM outgoing_deliveries WHERE id = ?1 AND resent_as = ?2",
            &crate::args![original, id, now, DeliveryStatus::Pending.as_str(), forced],
        ),
    ]
}

/// Queues attempt `attempt` of a delivery of community `community_id`'s. A failure is logged, not
/// returned: the event is recorded and its delivery stays pending, where it can be resent by hand.
pub async fn enqueue(
    env: &Env,
    community_id: &str,
    delivery_id: &str,
    attempt: u32,
    delay_seconds: u32,
) {
    let job = Job {
        community_id: community_id.to_owned(),
        delivery_id: delivery_id.to_owned(),
        attempt,
        replay_run: None,
        held_for: false,
        alert: None,
    };
    send(env, job, delay_seconds).await;
}

/// Queues the application of the deliveries held for member `member_id`, or with `None` of those
/// held for any member who exists (`crate::joined`): the API worker applies them, so that the
/// edge links no replay.
pub async fn enqueue_held(env: &Env, community_id: &str, member_id: Option<&str>) {
    let job = Job {
        community_id: community_id.to_owned(),
        delivery_id: member_id.unwrap_or_default().to_owned(),
        attempt: 0,
        replay_run: None,
        held_for: true,
        alert: None,
    };
    send(env, job, 0).await;
}

/// Queues the announcement that incoming webhook `webhook_id` started failing or recovered
/// (`kind`): the API worker reads its state and publishes it (`crate::health`), so that the
/// edge, which only counts, links neither.
pub async fn enqueue_alert(env: &Env, community_id: &str, webhook_id: &str, kind: EventType) {
    let job = Job {
        community_id: community_id.to_owned(),
        delivery_id: webhook_id.to_owned(),
        attempt: 0,
        replay_run: None,
        held_for: false,
        alert: Some(kind.as_str().to_owned()),
    };
    send(env, job, 0).await;
}

/// Queues the replay of incoming delivery `delivery_id` for bulk replay `run`.
pub async fn enqueue_replay(env: &Env, community_id: &str, delivery_id: &str, run: &str) {
    let job = Job {
        community_id: community_id.to_owned(),
        delivery_id: delivery_id.to_owned(),
        attempt: 0,
        replay_run: Some(run.to_owned()),
        held_for: false,
        alert: None,
    };
    send(env, job, 0).await;
}

async fn send(env: &Env, job: Job, delay_seconds: u32) {
    let delivery_id = job.delivery_id.clone();
    let sent = match env.queue(QUEUE) {
        Ok(queue) => {
            queue
                .send(
                    MessageBuilder::new(job)
                        .delay_seconds(delay_seconds)
                        .build(),
                )
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        console_error!("outbox: could not queue delivery {delivery_id}: {e}");
    }
}
