//! The OUTBOX queue's consumer (the API worker's): a message is an outgoing webhook's attempt
//! (`outbox`), one delivery of a bulk replay (`replays`), the deliveries held for a member who
//! joined (`joined`), or an incoming webhook that started failing or recovered (`health`). Here, beside both rather than in
//! either, so that neither imports the other.

use worker::{console_error, Env, Message, MessageBatch, MessageExt};

use crate::health;
use crate::joined;
use crate::outbox::{self, Job};
use crate::replays;

/// One job per message. A message is retried by the queue only when storage failed; a
/// subscriber's failures are scheduled as new attempts, a replay's are recorded in the history.
pub async fn consume(batch: MessageBatch<Job>, env: &Env) -> worker::Result<()> {
    let db = env.d1("DB")?;
    let schedule = outbox::schedule(env);
    for message in batch.messages()? {
        let job: &Message<Job> = &message;
        let body = job.body();
        let done = match &body.replay_run {
            _ if body.held_for => joined::queued(env, &db, body).await,
            _ if body.alert.is_some() => health::queued(env, &db, body).await,
            Some(run_id) => replays::replay_one(env, &db, body, run_id).await,
            None => outbox::run(env, &db, body, &schedule).await.map(drop),
        };
        match done {
            Ok(_) => message.ack(),
            Err(e) => {
                console_error!("queue: a job failed to run: {}", e.message);
                message.retry();
            }
        }
    }
    Ok(())
}
