//! A community's housekeeping, run in its own database by its object's alarm (not a cron over
//! every community): deliveries still held for a member who joined are applied (through the
//! queue), retention sweeps (`retention`), and outgoing deliveries whose queue message was lost
//! are queued again (`overdue`). The alarm is set when the community's data goes live in the
//! object and again after every run; an alarm survives the runtime's restart, and one that
//! fails is tried again by the runtime.

use serde::Serialize;
use worker::{Env, Storage};

use crate::db::{self, Db};
use crate::log::{self, Level};
use crate::{outbox, overdue, retention};

/// How often the chores run when `CHORES_EVERY_SECONDS` does not say: as the cron did.
const DEFAULT_EVERY_SECONDS: i64 = 300;

/// The time between two runs, in milliseconds (`CHORES_EVERY_SECONDS`, at least 1 s).
pub fn every_ms(env: &Env) -> i64 {
    let seconds = env
        .var("CHORES_EVERY_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<i64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_EVERY_SECONDS);
    seconds.saturating_mul(1000)
}

#[derive(Serialize)]
struct Ran<'a> {
    community_id: &'a str,
    #[serde(flatten)]
    swept: Option<retention::Swept>,
    requeued: Option<usize>,
}

/// Runs community `cid`'s chores at `now_ms` in its database. Each chore's failure is logged and
/// keeps no other from running.
pub async fn run(env: &Env, storage: &Storage, cid: &str, now_ms: u64) {
    let db = Db::Local(storage);
    outbox::enqueue_held(env, cid, None).await;
    let swept = match retention::sweep(db, env, now_ms).await {
        Ok(swept) => Some(swept),
        Err(e) => {
            worker::console_error!("retention of {cid} did not finish: {}", e.message);
            None
        }
    };
    let requeued = match overdue::requeue(db, env, cid, now_ms).await {
        Ok(n) => Some(n),
        Err(e) => {
            worker::console_error!("overdue deliveries of {cid} not queued: {}", e.message);
            None
        }
    };
    let level = match requeued {
        Some(n) if n > 0 => Level::Warn,
        _ => Level::Info,
    };
    log::line(
        env,
        level,
        "chores",
        &Ran {
            community_id: cid,
            swept,
            requeued,
        },
    );
    let (_, now) = db::now();
    if let Err(e) = db::run(
        db,
        "UPDATE placement SET chores_at = ?1",
        &crate::args![&now],
    )
    .await
    {
        worker::console_error!("the chores of {cid} were not noted: {}", e.message);
    }
}
