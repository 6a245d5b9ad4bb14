//! The hookmap Cloudflare Worker: thin glue between HTTP, D1/KV and hookmap-core.
//!
//! `POST /hooks/{token}` is the edge URL external systems call (see `edge`); `/v1/...` is the
//! management API (see `api`); the OUTBOX queue carries outgoing webhooks (see `outbox`). Every
//! error is a JSON answer; nothing here panics on input.

mod api;
mod apply;
mod balances;
mod caller;
mod channels;
mod db;
mod edge;
mod error;
mod hook;
mod hookcache;
mod hooks;
mod http;
mod log;
mod outbox;
mod quotas;
mod retention;
mod secrets;
mod stored;

use worker::{
    event, Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent,
};

use crate::error::{ApiError, ApiResult};
use crate::http::RequestUrl;
use crate::log::RequestLog;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let trips = db::trips();
    let started = worker::Date::now().as_millis();
    let mut log = RequestLog::new(req.inner().method());
    let response = match route(req, &env, &mut log).await {
        Ok(response) => Ok(response),
        Err(error) => {
            log.error = Some(error.code);
            error.into_response()
        }
    };
    log.duration_ms = worker::Date::now().as_millis().saturating_sub(started);
    log.storage_round_trips = db::trips_since(trips);
    if let Ok(r) = &response {
        log.status = r.status_code();
        if let Ok(Some(id)) = r.headers().get(edge::DELIVERY_ID_HEADER) {
            log.delivery_id = Some(id);
        }
        // The edge benchmark reads each answer's count without turning the request log on:
        // under wrangler dev the log costs more than the request (scripts/bench/edge.sh).
        #[cfg(feature = "bench")]
        r.headers().set(
            "x-storage-round-trips",
            &log.storage_round_trips.to_string(),
        )?;
    }
    log.emit(&env);
    response
}

/// The OUTBOX queue's consumer: outgoing webhook attempts (see `outbox`).
#[event(queue)]
async fn queue(batch: MessageBatch<outbox::Job>, env: Env, _ctx: Context) -> worker::Result<()> {
    outbox::consume(batch, &env).await
}

/// The cron (wrangler.toml `[triggers]`): retention, at the scheduled time (see `retention`).
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now_ms = event.schedule().max(0.0) as u64;
    if let Err(e) = retention::run(&env, now_ms).await {
        worker::console_error!("retention did not finish: {}", e.message);
    }
}

async fn route(req: Request, env: &Env, log: &mut RequestLog) -> ApiResult<Response> {
    let url = RequestUrl::of(&req);
    let path = url.segments();
    if let ["hooks", _] = path.as_slice() {
        log.route = "/hooks/{token}".into();
    }
    // The method as sent: worker's `Method` reads any method it does not know (QUERY, ...) as GET.
    let method = req.inner().method();
    match (method.as_str(), path.as_slice()) {
        ("POST", ["hooks", token]) => edge::receive(req, env, token, &url, log).await,
        (_, ["hooks", _]) => Err(ApiError::method_not_allowed(&["POST"])),
        (_, ["v1", ..]) => api::dispatch(req, env, url.clone(), &path, log).await,
        #[cfg(feature = "bench")]
        ("POST", ["bench", "batch", token]) => {
            log.route = "/bench/batch/{token}".into();
            edge::bench_batch(env, token).await
        }
        _ => Err(api::no_route()),
    }
}
