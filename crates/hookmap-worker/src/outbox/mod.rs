//! Outgoing webhooks: events fan out to the subscriptions that want them, one delivery per
//! (event, subscription), each carried by a message on the OUTBOX queue so that the request that
//! caused the event never waits on a subscriber.
//!
//! The consumer makes one attempt per queue message and schedules the next one itself (a new
//! message with a delay from the retry schedule), so the schedule is ours, not the queue's. An
//! attempt is claimed in D1 before it is made: a queue message delivered twice sends once.
//!
//! `publish` records events and their deliveries and queues them, `attempt` makes and records one
//! attempt, `request` builds the signed (and maybe sealed) POST that attempt sends, `exchange`
//! is what the attempt's log keeps of the request and the answer, and `failing` turns off a
//! subscription whose deliveries keep failing.

mod attempt;
mod exchange;
mod failing;
mod publish;
mod request;

use hookmap_core::retry;
use serde::{Deserialize, Serialize};
use worker::Env;

pub use attempt::run;
pub use publish::{
    enqueue, enqueue_alert, enqueue_held, enqueue_replay, posted, publish, publish_to,
    resend_delivery, Claim,
};

const QUEUE: &str = "OUTBOX";

/// One queue message: make attempt `attempt` of outgoing delivery `delivery_id`, or with
/// `replay_run`, replay incoming delivery `delivery_id` for that bulk replay (`crate::replays`),
/// or with `held_for`, apply the deliveries held for member `delivery_id` (empty: those held for
/// any member who exists, the cron's catch-up; `crate::joined`), or with `alert` (an event type's
/// name), announce that incoming webhook `delivery_id` started failing or recovered
/// (`crate::health`).
/// One flat, typed body rather than an enum: a `serde_json::Value` arrives as an empty object
/// under workerd, and messages queued before `replay_run` existed still read as attempts.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    /// The community whose object holds what the job reads: empty in messages queued before
    /// communities had their own (the move queues their owed deliveries again).
    #[serde(default)]
    pub community_id: String,
    pub delivery_id: String,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_run: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held_for: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
}

/// The development setting that lets subscriptions use http to loopback.
pub fn allow_http_loopback(env: &Env) -> bool {
    env.var("ALLOW_HTTP_LOOPBACK")
        .is_ok_and(|v| v.to_string() == "true")
}

pub fn schedule(env: &Env) -> Vec<u32> {
    env.var("OUTBOX_RETRY_SCHEDULE")
        .ok()
        .and_then(|v| retry::parse_schedule(&v.to_string()))
        .unwrap_or_else(|| retry::SCHEDULE.to_vec())
}
