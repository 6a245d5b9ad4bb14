//! The OUTBOX queue's consumer (the API worker's): a message is an outgoing webhook's attempt
//! (`outbox`) or one delivery of a bulk replay (`replays`). Here, beside both rather than in
//! either, so that neither imports the other.

use worker::{console_error, Env, Message, MessageBatch, MessageExt};

use crate::outbox::{self, Job};
use crate::replays;

/// One job per message. A message is retried by the queue only when storage failed; a
/// subscriber's failures are scheduled as new attempts, a replay's are recorded in the history.
pub async fn consume(batch: MessageBatch<Job>, env: &Env) -> worker::Result<()> {
    let db = env.d1("DB")?;
    let schedule = outbox::schedule(env);
    for message in batch.messages()? {
        let job: &Message<Job> = &message;
        let done = match &job.body().replay_run {
            Some(run_id) => replays::replay_one(env, &db, run_id, &job.body().delivery_id).await,
            None => outbox::run(env, &db, job.body(), &schedule).await.map(drop),
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
