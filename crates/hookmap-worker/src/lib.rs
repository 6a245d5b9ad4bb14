//! The hookmap Cloudflare Worker: thin glue between HTTP, D1/KV and hookmap-core.
//!
//! `POST /hooks/{token}` is the edge URL external systems call (see `edge`); `/v1/...` is the
//! management API (see `api`); the OUTBOX queue carries outgoing webhooks (see `outbox`). Every
//! error is a JSON answer; nothing here panics on input.

mod api;
mod apply;
mod caller;
mod db;
mod edge;
mod error;
mod hooks;
mod http;
mod outbox;
mod secrets;

use worker::{event, Context, Env, MessageBatch, Method, Request, Response};

use crate::error::{ApiError, ApiResult};
use crate::http::RequestUrl;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    db::take_trips();
    let response = match route(req, &env).await {
        Ok(response) => Ok(response),
        Err(error) => error.into_response(),
    };
    // The benchmark reads how many storage round trips a request cost (BENCH_ROUTES only).
    let trips = db::take_trips();
    match response {
        Ok(r) if bench_routes(&env) => {
            r.headers()
                .set("x-storage-round-trips", &trips.to_string())?;
            Ok(r)
        }
        other => other,
    }
}

/// The benchmark's extra route and header: on only where the deployment says so (scripts/bench).
fn bench_routes(env: &Env) -> bool {
    env.var("BENCH_ROUTES")
        .is_ok_and(|v| v.to_string() == "true")
}

/// The OUTBOX queue's consumer: outgoing webhook attempts (see `outbox`).
#[event(queue)]
async fn queue(batch: MessageBatch<outbox::Job>, env: Env, _ctx: Context) -> worker::Result<()> {
    outbox::consume(batch, &env).await
}

async fn route(req: Request, env: &Env) -> ApiResult<Response> {
    let url = RequestUrl::of(&req);
    let path = url.segments();
    match (req.method(), path.as_slice()) {
        (Method::Post, ["hooks", token]) => edge::receive(req, env, token, &url).await,
        (_, ["hooks", _]) => Err(ApiError::new(
            405,
            "method_not_allowed",
            "the webhook URL accepts POST only",
        )),
        (_, ["v1", ..]) => api::dispatch(req, env, url.clone(), &path).await,
        (Method::Post, ["bench", "batch", token]) if bench_routes(env) => {
            edge::bench_batch(env, token).await
        }
        _ => Err(api::no_route()),
    }
}
