//! Outgoing webhooks: events fan out to the subscriptions that want them, one delivery per
//! (event, subscription), each carried by a message on the OUTBOX queue so that the request that
//! caused the event never waits on a subscriber.
//!
//! The consumer makes one attempt per queue message and schedules the next one itself (a new
//! message with a delay from the retry schedule), so the schedule is ours, not the queue's. An
//! attempt is claimed in D1 before it is made: a queue message delivered twice sends once.

use std::time::Duration;

use futures_util::future::{select, Either};
use hookmap_core::event::{self, EventType, Filter};
use hookmap_core::retry::{self, Attempt};
use hookmap_core::{signature, target, Algorithm, Encryption};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    console_error, AbortController, D1Database, Delay, Env, Fetch, Headers, Message, MessageBatch,
    MessageBuilder, MessageExt, Method, Request, RequestInit, RequestRedirect,
};

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::log;
use crate::secrets;
use crate::stored::StoredEncryption;

const QUEUE: &str = "OUTBOX";
/// How long a subscriber has to answer.
const TIMEOUT: Duration = Duration::from_secs(15);

/// One queue message: make attempt `attempt` of delivery `delivery_id`. A typed body: a
/// `serde_json::Value` arrives as an empty object under workerd.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub delivery_id: String,
    pub attempt: u32,
}

/// The development setting that lets subscriptions use http to loopback.
pub fn allow_http_loopback(env: &Env) -> bool {
    env.var("ALLOW_HTTP_LOOPBACK")
        .is_ok_and(|v| v.to_string() == "true")
}

fn schedule(env: &Env) -> Vec<u32> {
    env.var("OUTBOX_RETRY_SCHEDULE")
        .ok()
        .and_then(|v| retry::parse_schedule(&v.to_string()))
        .unwrap_or_else(|| retry::SCHEDULE.to_vec())
}

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
    db: &D1Database,
    community_id: &str,
    kind: EventType,
    data: &Value,
    channel: Option<&str>,
) -> ApiResult<Published> {
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
                .and_then(|events| Filter::parse(&events, s.channel_id.clone()).ok())
                .is_some_and(|f| f.matches(kind, channel))
        })
        .map(|s| s.id)
        .collect();
    let published = record(db, community_id, kind, data, &wanted).await?;
    for id in &published.deliveries {
        enqueue(env, id, 1, 0).await;
    }
    Ok(published)
}

/// Records `kind` with one delivery to `subscription_id`, whatever its filter, without queueing
/// it: the caller makes the attempt itself (the test ping).
pub async fn publish_to(
    db: &D1Database,
    community_id: &str,
    kind: EventType,
    data: &Value,
    subscription_id: &str,
) -> ApiResult<Published> {
    record(db, community_id, kind, data, &[subscription_id.to_owned()]).await
}

/// The event and its deliveries, in one batch.
async fn record(
    db: &D1Database,
    community_id: &str,
    kind: EventType,
    data: &Value,
    subscriptions: &[String],
) -> ApiResult<Published> {
    let event_id = db::new_id("evt")?;
    let (_, now) = db::now();
    let mut batch =
        vec![db::stmt(
        db,
        "INSERT INTO events (id, community_id, type, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &crate::args![&event_id, community_id, kind.as_str(), data.to_string().as_str(), &now],
    )?];
    let mut deliveries = Vec::new();
    for subscription in subscriptions {
        let id = db::new_id("odl")?;
        batch.push(new_delivery(
            db,
            &id,
            community_id,
            subscription,
            &event_id,
            &now,
        )?);
        deliveries.push(id);
    }
    db::batch(db, batch).await?;
    Ok(Published {
        id: event_id,
        created_at: now,
        deliveries,
    })
}

pub fn new_delivery(
    db: &D1Database,
    id: &str,
    community_id: &str,
    subscription_id: &str,
    event_id: &str,
    now: &str,
) -> ApiResult<worker::D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO outgoing_deliveries (id, community_id, subscription_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5, ?5)",
        &crate::args![id, community_id, subscription_id, event_id, now],
    )
}

/// Queues attempt `attempt` of a delivery. A failure is logged, not returned: the event is
/// recorded and its delivery stays pending in D1, where it can be resent by hand.
pub async fn enqueue(env: &Env, delivery_id: &str, attempt: u32, delay_seconds: u32) {
    let job = Job {
        delivery_id: delivery_id.to_owned(),
        attempt,
    };
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

/// The queue consumer: one attempt per message. A message is retried by the queue only when
/// storage failed; the subscriber's failures are scheduled as new attempts.
pub async fn consume(batch: MessageBatch<Job>, env: &Env) -> worker::Result<()> {
    let db = env.d1("DB")?;
    let schedule = schedule(env);
    for message in batch.messages()? {
        let job: &Message<Job> = &message;
        match run(env, &db, job.body(), &schedule).await {
            Ok(_) => message.ack(),
            Err(e) => {
                console_error!("outbox: attempt failed to run: {}", e.message);
                message.retry();
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    community_id: String,
    subscription_id: String,
    event_id: String,
    status: String,
    url: String,
    is_active: i64,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<String>,
    encryption: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    data: String,
    created_at: String,
}

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
    db: &D1Database,
    job: &Job,
    schedule: &[u32],
) -> ApiResult<Option<Sent>> {
    let row: Option<Row> = db::first(
        db,
        "SELECT d.community_id, d.subscription_id, d.event_id, d.status, s.url, s.is_active, s.secret,
                s.previous_secret, s.previous_secret_until, s.encryption, e.type, e.data, e.created_at
           FROM outgoing_deliveries d
           JOIN webhook_subscriptions s ON s.id = d.subscription_id
           JOIN events e ON e.id = d.event_id
          WHERE d.id = ?1",
        &crate::args![&job.delivery_id],
    )
    .await?;
    let Some(row) = row.filter(|r| r.status == "pending") else {
        return Ok(None);
    };
    let (_, now) = db::now();
    let claimed = db::run_changes(
        db,
        "UPDATE outgoing_deliveries SET attempts = ?2, updated_at = ?3
          WHERE id = ?1 AND attempts = ?2 - 1 AND status = 'pending'",
        &crate::args![&job.delivery_id, i64::from(job.attempt), &now],
    )
    .await?;
    if claimed == 0 {
        return Ok(None);
    }
    let (outcome, response_time_ms, error) = attempt(env, &row).await;
    // `None` (not sent: inactive, or the URL is no longer allowed) is final, like a 4xx.
    let next = match outcome {
        Some(a) if a.retryable() => retry::delay_before(schedule, job.attempt + 1, jitter()?),
        _ => None,
    };
    let status = match (outcome, next) {
        (Some(a), _) if a.succeeded() => "success",
        (_, Some(_)) => "pending",
        _ => "failed",
    };
    let log_id = db::new_id("olog")?;
    let (ms, now) = db::now();
    let status_code = match outcome {
        Some(Attempt::Status(code)) => Some(code),
        _ => None,
    };
    let next_at = next.map(|d| iso(ms + u64::from(d) * 1000));
    db::batch(db, vec![
        db::stmt(
            db,
            "INSERT INTO outgoing_attempts (id, seq, community_id, subscription_id, delivery_id, event_id, event, attempt,
                status_code, response_time_ms, error, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
                i64::try_from(response_time_ms).unwrap_or(i64::MAX),
                error.as_deref(),
                &now
            ],
        )?,
        db::stmt(
            db,
            "UPDATE outgoing_deliveries SET status = ?2, next_attempt_at = ?3, updated_at = ?4 WHERE id = ?1",
            &crate::args![&job.delivery_id, status, next_at.as_deref(), &now],
        )?,
    ])
    .await?;
    if let Some(delay) = next {
        enqueue(env, &job.delivery_id, job.attempt + 1, delay).await;
    }
    let level = if status == "failed" {
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
            "status_code": status_code, "duration_ms": response_time_ms, "delivery_status": status,
        }),
    );
    Ok(Some(Sent {
        log_id,
        status_code,
        response_time_ms,
        error,
        delivery_status: status,
    }))
}

fn jitter() -> ApiResult<f64> {
    let mut buf = [0u8; 4];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(f64::from(u32::from_le_bytes(buf)) / (f64::from(u32::MAX) + 1.0))
}

fn iso(ms: u64) -> String {
    // Milliseconds since the epoch fit an f64 exactly until the year 287396.
    String::from(worker::js_sys::Date::new(&(ms as f64).into()).to_iso_string())
}

/// Sends the delivery once: the outcome (`None` when it was not sent: the subscription is
/// inactive or its URL is no longer allowed), the time taken, and the error if any.
async fn attempt(env: &Env, row: &Row) -> (Option<Attempt>, u64, Option<String>) {
    if row.is_active == 0 {
        return (None, 0, Some("the subscription is inactive".into()));
    }
    if let Err(e) = target::check(&row.url, allow_http_loopback(env)) {
        return (None, 0, Some(e.message().to_owned()));
    }
    let request = match signed_request(env, row) {
        Ok(r) => r,
        Err(e) => return (None, 0, Some(e.message)),
    };
    let (started, _) = db::now();
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sending = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(TIMEOUT));
    let result = match select(sending, timeout).await {
        Either::Left((result, _)) => result.map(|r| Attempt::Status(r.status_code())),
        Either::Right(_) => {
            controller.abort();
            let (ended, _) = db::now();
            return (
                Some(Attempt::NoAnswer),
                ended.saturating_sub(started),
                Some(format!("no answer within {} s", TIMEOUT.as_secs())),
            );
        }
    };
    let (ended, _) = db::now();
    let elapsed = ended.saturating_sub(started);
    match result {
        Ok(outcome @ Attempt::Status(code)) if outcome.redirected() => (
            Some(outcome),
            elapsed,
            Some(format!(
                "the subscriber answered {code} (a redirect; redirects are not followed)"
            )),
        ),
        Ok(outcome @ Attempt::Status(code)) if !outcome.succeeded() => (
            Some(outcome),
            elapsed,
            Some(format!("the subscriber answered {code}")),
        ),
        Ok(outcome) => (Some(outcome), elapsed, None),
        Err(e) => (
            Some(Attempt::NoAnswer),
            elapsed,
            Some(format!("no answer: {e}")),
        ),
    }
}

/// The POST a subscriber receives: the event body (sealed when the subscription encrypts) with
/// Standard Webhooks headers. `webhook-id` is the event id, the same on every attempt.
fn signed_request(env: &Env, row: &Row) -> ApiResult<Request> {
    let kind = EventType::parse(&row.kind)
        .ok_or_else(|| ApiError::internal(format!("unknown stored event type {:?}", row.kind)))?;
    let data: Value = serde_json::from_str(&row.data).map_err(ApiError::internal)?;
    let encryption = row
        .encryption
        .as_deref()
        .map(|e| StoredEncryption::open(env, e))
        .transpose()?;
    let sealer = encryption
        .as_ref()
        .map(|e| -> ApiResult<(Encryption, Option<Vec<u8>>)> {
            let enc = e.to_core()?;
            let iv = match (e.fixed_iv(), enc.algorithm()) {
                (true, _) => None,
                (false, Algorithm::Aes256Gcm) => Some(random_bytes(12)?),
                (false, Algorithm::Aes256Cbc) => Some(random_bytes(16)?),
            };
            Ok((enc, iv))
        })
        .transpose()?;
    let body = event::body(
        &row.event_id,
        kind,
        &row.created_at,
        &data,
        sealer.as_ref().map(|(enc, iv)| (enc, iv.as_deref())),
    )?;
    let (ms, now) = db::now();
    let timestamp = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    let mut signing = vec![secrets::open(env, &row.secret)?];
    if let (Some(previous), Some(until)) = (&row.previous_secret, &row.previous_secret_until) {
        if until.as_str() > now.as_str() {
            signing.push(secrets::open(env, previous)?);
        }
    }
    let signing: Vec<&str> = signing.iter().map(String::as_str).collect();
    let headers = Headers::new();
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    headers.set("content-type", content_type)?;
    headers.set("user-agent", "hookmap-webhooks/1")?;
    headers.set("webhook-id", &row.event_id)?;
    headers.set("webhook-timestamp", &timestamp.to_string())?;
    headers.set(
        "webhook-signature",
        &signature::header(&signing, &row.event_id, timestamp, body.as_bytes())?,
    )?;
    let mut init = RequestInit::new();
    // Following a redirect would send the event (and our signature) to an address the URL guard
    // never saw, a private one included: the 3xx itself is the answer.
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(body.into()));
    Ok(Request::new_with_init(&row.url, &init)?)
}

fn random_bytes(n: usize) -> ApiResult<Vec<u8>> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(buf)
}
