//! The hookmap Cloudflare Workers: thin glue between HTTP, D1/KV and hookmap-core.
//!
//! One crate builds the two deployed workers, chosen by cargo feature:
//! - `edge` (wrangler.toml, worker `hookmap`): `POST /hooks/{token}`, the URL external systems
//!   call (see `edge`), and the cron's retention (see `retention`). It passes `/v1/...` on to the
//!   API worker over the `API` service binding.
//! - `api` (wrangler.api.toml, worker `hookmap-api`): the management API `/v1/...` (see `api`) and
//!   the OUTBOX queue's consumer, which sends outgoing webhooks (see `outbox`).
//!
//! Two workers because senders wait on the edge: its cold start carries only what a delivery
//! needs (BENCHMARKS.md gives both sizes), and a fault in admin code cannot end deliveries in
//! flight, which run in another isolate. Both features are on by default, so that tests and lints
//! see every line; a build with both serves everything itself. Every error is a JSON answer;
//! nothing here panics on input.

// One worker's build leaves out the other's entry points: what only they use is dead there, and
// is judged on the full build, which the lints and tests use.
#![cfg_attr(
    not(all(feature = "edge", feature = "api")),
    allow(dead_code, unused_imports)
)]
// A match over a closed set (operators, refusals, routes, outcomes...) names every variant, so
// that a new one fails to compile wherever it must be decided; an open foreign enum may keep a
// catch-all, with a local allow that says why.
#![deny(clippy::wildcard_enum_match_arm)]

#[cfg(feature = "api")]
mod api;
mod apply;
mod balances;
mod caller;
mod channels;
pub mod community;
mod db;
mod edge;
mod error;
mod health;
mod hook;
mod hookcache;
mod hooks;
mod http;
#[cfg(feature = "api")]
mod joined;
mod log;
mod outbox;
#[cfg(feature = "api")]
mod overdue;
#[cfg(feature = "api")]
mod queue;
mod quotas;
#[cfg(feature = "api")]
mod replays;
#[cfg(feature = "api")]
mod retention;
mod secrets;
mod stored;

use worker::{event, Context, Env, MessageBatch, Request, Response};

use crate::error::{ApiError, ApiResult};
use crate::http::RequestUrl;
use crate::log::RequestLog;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    // The API worker answers (and logs) its own routes.
    #[cfg(not(feature = "api"))]
    if matches!(RequestUrl::of(&req).segments().first(), Some(&"v1")) {
        return match forward_to_api(req, &env).await {
            Ok(response) => Ok(response),
            Err(error) => error.into_response(),
        };
    }
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
    log.round_trips = db::trips_since(trips);
    log.storage_round_trips = log.round_trips.total();
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

/// The management API's worker, over the service binding: the request as it came, its answer as
/// it goes. A body is read here first, in chunks and under the API's cap (`413` past it), as the
/// edge reads its own: passed on as a stream, a body the API refused part-way would still be
/// pumped to it after the answer, which the runtime reports as an uncaught error that restarts
/// the edge's isolate.
#[cfg(not(feature = "api"))]
async fn forward_to_api(mut req: Request, env: &Env) -> ApiResult<Response> {
    if req.inner().body().is_none() {
        return Ok(env.service("API")?.fetch_request(req).await?);
    }
    let http::Capped::Read(body) = http::read_capped(&mut req, http::MAX_API_BODY).await? else {
        return Err(http::api_body_too_large());
    };
    let headers = req.headers().clone();
    // The body goes whole: the runtime frames it again.
    headers.delete("content-length")?;
    headers.delete("transfer-encoding")?;
    // Built with the method as sent: worker's `Method` reads one it does not know as GET, and
    // the API answers such a method 405.
    let method = req.inner().method();
    let init = worker::web_sys::RequestInit::new();
    init.set_method(&method);
    init.set_headers(&headers.0);
    // A GET or HEAD may arrive with a body, but a request built with one is a TypeError (a 500):
    // it means nothing to the API, which answers the method as it would without it.
    if !body.is_empty() && !matches!(method.as_str(), "GET" | "HEAD") {
        init.set_body(&worker::js_sys::Uint8Array::from(body.as_slice()));
    }
    let forwarded = worker::web_sys::Request::new_with_str_and_init(&req.inner().url(), &init)
        .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    let forwarded = Request::from(forwarded);
    Ok(env.service("API")?.fetch_request(forwarded).await?)
}

/// The OUTBOX queue's consumer: outgoing webhook attempts (see `outbox`).
#[cfg(feature = "api")]
#[event(queue)]
async fn queue(batch: MessageBatch<outbox::Job>, env: Env, _ctx: Context) -> worker::Result<()> {
    queue::consume(batch, &env).await
}

async fn route(req: Request, env: &Env, log: &mut RequestLog) -> ApiResult<Response> {
    let url = RequestUrl::of(&req);
    let path = url.segments();
    #[cfg(feature = "edge")]
    if let ["hooks", _] = path.as_slice() {
        log.route = "/hooks/{token}".into();
    }
    // The method as sent: worker's `Method` reads any method it does not know (QUERY, ...) as GET.
    let method = req.inner().method();
    match (method.as_str(), path.as_slice()) {
        #[cfg(feature = "edge")]
        ("POST", ["hooks", token]) => edge::receive(req, env, token, &url, log).await,
        #[cfg(feature = "edge")]
        (_, ["hooks", _]) => Err(ApiError::method_not_allowed(&["POST"])),
        #[cfg(feature = "api")]
        (_, ["v1", ..]) => api::dispatch(req, env, url.clone(), &path, log).await,
        #[cfg(feature = "bench")]
        ("POST", ["bench", "batch", token]) => {
            log.route = "/bench/batch/{token}".into();
            edge::bench_batch(env, token).await
        }
        _ => Err(ApiError::no_route()),
    }
}

#[cfg(test)]
mod tests {
    /// The settings in the section of a wrangler config that starts at the line `header`, up to
    /// the next one; comments and blank lines left out.
    fn section(config: &str, header: &str) -> Option<Vec<String>> {
        let start = config.find(&format!("\n{header}\n"))? + 1;
        let rest = config.get(start + header.len()..)?;
        let end = rest.find("\n[").map_or(rest.len(), |i| i + 1);
        let lines = rest.get(..end)?.lines().map(str::trim);
        Some(
            lines
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect(),
        )
    }

    /// The two workers share one database, one cache, one queue and one set of settings (quotas,
    /// retention, the log level): their configs must say the same.
    #[test]
    fn both_workers_name_the_same_storage_and_settings() {
        let edge = include_str!("../../../wrangler.toml");
        let api = include_str!("../../../wrangler.api.toml");
        for header in [
            "[[d1_databases]]",
            "[[kv_namespaces]]",
            "[[queues.producers]]",
            "[vars]",
        ] {
            assert!(
                section(edge, header).is_some(),
                "wrangler.toml has no {header}"
            );
            assert_eq!(section(edge, header), section(api, header), "{header}");
        }
        let history = "QUOTA_HISTORY_DAYS = \"90\"".to_owned();
        assert_eq!(
            section(edge, "[vars]").map(|v| v.contains(&history)),
            Some(true)
        );
    }
}
