//! One attempt at a delivery: claimed in D1 first (so a redelivered queue message sends once),
//! sent with a deadline, recorded, and followed by the next attempt's message when the outcome is
//! worth retrying.

use std::time::Duration;

use futures_util::future::{select, Either};
use hookmap_core::event::EventType;
use hookmap_core::retry::{self, Attempt};
use hookmap_core::target;
use hookmap_core::DeliveryStatus;
use serde::Serialize;
use serde_json::json;
use worker::{AbortController, D1Database, Delay, Env, Fetch};

use super::exchange::{self, Answer};
use super::failing;
use super::request::{signed_request, Owed, Row, Signed, Target};
use super::{allow_http_loopback, enqueue, Job};
use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::log;
use crate::secrets;

/// How long a subscriber has to answer.
const TIMEOUT: Duration = Duration::from_secs(15);

/// What one attempt came to, as the logs and the test endpoint show it.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub log_id: String,
    pub status_code: Option<u16>,
    pub response_time_ms: u64,
    pub error: Option<String>,
    pub delivery_status: &'static str,
}

/// Makes attempt `job.attempt` of its delivery and records it; schedules the next one when the
/// failure is worth retrying and `schedule` has one left. `None`: nothing to do (the delivery is
/// gone, settled, or this attempt was already made).
pub async fn run(
    env: &Env,
    d1: &D1Database,
    job: &Job,
    schedule: &[u32],
) -> ApiResult<Option<Sent>> {
    let db = Db::Community(env, &job.community_id);
    let owed: Option<Owed> = db::first(
        db,
        "SELECT d.community_id, d.subscription_id, d.event_id, d.status, e.type, e.data, e.created_at
           FROM outgoing_deliveries d JOIN events e ON e.id = d.event_id
          WHERE d.id = ?1",
        &crate::args![&job.delivery_id],
    )
    .await?;
    let Some(owed) = owed.filter(Owed::pending) else {
        return Ok(None);
    };
    let target: Option<Target> = db::first(
        d1,
        "SELECT url, is_active, secret, previous_secret, previous_secret_until, encryption
           FROM webhook_subscriptions WHERE id = ?1",
        &crate::args![owed.subscription_id()],
    )
    .await?;
    // Gone from the directory: the community's copy goes with it, and so does the delivery.
    let Some(target) = target else {
        return Ok(None);
    };
    let row = Row::of(owed, target);
    let (ms, now) = db::now();
    // While the attempt runs, its delivery's next attempt is not due: the cron's sweep of overdue
    // deliveries (src/overdue.rs) leaves it alone until well after the attempt's deadline.
    let running_until = db::iso(ms + 2 * TIMEOUT.as_millis() as u64);
    let claimed = db::run_changes(
        db,
        "UPDATE outgoing_deliveries SET attempts = ?2, updated_at = ?3, next_attempt_at = ?5
          WHERE id = ?1 AND attempts = ?2 - 1 AND status = ?4",
        &crate::args![
            &job.delivery_id,
            i64::from(job.attempt),
            &now,
            DeliveryStatus::Pending.as_str(),
            &running_until
        ],
    )
    .await?;
    if claimed == 0 {
        return Ok(None);
    }
    let made = attempt(env, &row).await;
    let outcome = made.outcome;
    // `None` (not sent: inactive, or the URL is no longer allowed) is final, like a 4xx.
    let next = match outcome {
        Some(a) if a.retryable() => retry::delay_before(schedule, job.attempt + 1, jitter()?),
        _ => None,
    };
    let delivery_status = match (outcome, next) {
        (Some(a), _) if a.succeeded() => DeliveryStatus::Success,
        (_, Some(_)) => DeliveryStatus::Pending,
        _ => DeliveryStatus::Failed,
    };
    let status = delivery_status.as_str();
    let log_id = db::new_id("olog")?;
    let (ms, now) = db::now();
    let status_code = match outcome {
        Some(Attempt::Status(code)) => Some(code),
        Some(Attempt::NoAnswer) | None => None,
    };
    let next_at = next.map(|d| db::iso(ms + u64::from(d) * 1000));
    let (request_headers, request_body) = made.sent.unzip();
    let answer = made.answer.as_ref();
    let statements = vec![
        db::stmt(
            "INSERT INTO outgoing_attempts (id, seq, community_id, subscription_id, delivery_id, event_id, event, attempt,
                status_code, response_time_ms, error, created_at, request_headers, request_body, response_headers,
                response_body, response_truncated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            &crate::args![
                &log_id,
                db::sequence(ms)?,
                &row.community_id,
                &row.subscription_id,
                &job.delivery_id,
                &row.event_id,
                row.kind.as_str(),
                i64::from(job.attempt),
                status_code.map(i64::from),
                i64::try_from(made.response_time_ms).unwrap_or(i64::MAX),
                made.error.as_deref(),
                &now,
                request_headers.as_ref(),
                request_body.as_ref(),
                answer.map(|a| a.headers.as_str()),
                answer.map(|a| a.body.as_str()),
                answer.is_some_and(|a| a.truncated)
            ],
        ),
        db::stmt(
            "UPDATE outgoing_deliveries SET status = ?2, next_attempt_at = ?3, updated_at = ?4 WHERE id = ?1",
            &crate::args![&job.delivery_id, status, next_at.as_deref(), &now],
        ),
    ];
    // A test ping and a request never sent (the subscription is off, or its URL no longer
    // allowed) say nothing about whether the subscriber is failing.
    let counts = made.outcome.is_some() && row.kind != EventType::TestPing.as_str();
    db::batch(db, statements).await?;
    // The streak is the subscription's, kept with its settings in the directory.
    let streak = match counts {
        true => failing::streak(env, &row.subscription_id, delivery_status, ms),
        false => Vec::new(),
    };
    let streaked = match streak.is_empty() {
        true => Vec::new(),
        false => db::batch(d1, streak).await?,
    };
    let turned_off = match delivery_status {
        DeliveryStatus::Failed => failing::disabled(streaked.last())?,
        // Only a failure that counts can turn the subscription off.
        DeliveryStatus::Success | DeliveryStatus::Pending => None,
    };
    if let Some(subscription) = &turned_off {
        failing::announce(env, d1, subscription).await;
    }
    if let Some(delay) = next {
        enqueue(
            env,
            &job.community_id,
            &job.delivery_id,
            job.attempt + 1,
            delay,
        )
        .await;
    }
    let level = if status == DeliveryStatus::Failed.as_str() {
        log::Level::Warn
    } else {
        log::Level::Info
    };
    log::line(
        env,
        level,
        "outgoing attempt",
        &json!({
            "community_id": row.community_id, "subscription_id": row.subscription_id,
            "outgoing_delivery_id": job.delivery_id, "event": row.kind, "attempt": job.attempt,
            "status_code": status_code, "duration_ms": made.response_time_ms, "delivery_status": status,
        }),
    );
    Ok(Some(Sent {
        log_id,
        status_code,
        response_time_ms: made.response_time_ms,
        error: made.error,
        delivery_status: status,
    }))
}

fn jitter() -> ApiResult<f64> {
    let mut buf = [0u8; 4];
    secrets::fill_random(&mut buf)?;
    Ok(f64::from(u32::from_le_bytes(buf)) / (f64::from(u32::MAX) + 1.0))
}

/// One attempt as made: what it came to, and what its log keeps.
struct Made {
    /// `None` when nothing was sent: the subscription is inactive or its URL no longer allowed.
    outcome: Option<Attempt>,
    /// Until the answer's status came (or the deadline).
    response_time_ms: u64,
    error: Option<String>,
    /// The request's headers (a JSON object) and body as sent, when one was.
    sent: Option<(String, String)>,
    answer: Option<Answer>,
}

impl Made {
    fn not_sent(error: String) -> Self {
        Self {
            outcome: None,
            response_time_ms: 0,
            error: Some(error),
            sent: None,
            answer: None,
        }
    }
}

/// Sends the delivery once, with a deadline for the answer's status and what is left of it for
/// the first bytes of its body.
async fn attempt(env: &Env, row: &Row) -> Made {
    if !row.is_active {
        return Made::not_sent("the subscription is inactive".into());
    }
    if let Err(e) = target::check(&row.url, allow_http_loopback(env)) {
        return Made::not_sent(e.message().to_owned());
    }
    let Signed {
        request,
        headers,
        body,
    } = match signed_request(env, row) {
        Ok(signed) => signed,
        Err(e) => return Made::not_sent(e.message),
    };
    let sent = Some((headers, body));
    let (started, _) = db::now();
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sending = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(TIMEOUT));
    let result = select(sending, timeout).await;
    let (ended, _) = db::now();
    let response_time_ms = ended.saturating_sub(started);
    let no_answer = |error: String, sent| Made {
        outcome: Some(Attempt::NoAnswer),
        response_time_ms,
        error: Some(error),
        sent,
        answer: None,
    };
    let mut response = match result {
        Either::Left((Ok(response), _)) => response,
        Either::Left((Err(e), _)) => return no_answer(format!("no answer: {e}"), sent),
        Either::Right(_) => {
            controller.abort();
            let error = format!("no answer within {} s", TIMEOUT.as_secs());
            return no_answer(error, sent);
        }
    };
    let outcome = Attempt::Status(response.status_code());
    let left = TIMEOUT.saturating_sub(Duration::from_millis(response_time_ms));
    let answer = exchange::answer(&mut response, left).await;
    let error = match outcome {
        Attempt::Status(code) if outcome.redirected() => Some(format!(
            "the subscriber answered {code} (a redirect; redirects are not followed)"
        )),
        Attempt::Status(code) if !outcome.succeeded() => {
            Some(format!("the subscriber answered {code}"))
        }
        Attempt::Status(_) | Attempt::NoAnswer => None,
    };
    Made {
        outcome: Some(outcome),
        response_time_ms,
        error,
        sent,
        answer: Some(answer),
    }
}
