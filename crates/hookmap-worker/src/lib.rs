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

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    match route(req, &env).await {
        Ok(response) => Ok(response),
        Err(error) => error.into_response(),
    }
}

/// The OUTBOX queue's consumer: outgoing webhook attempts (see `outbox`).
#[event(queue)]
async fn queue(batch: MessageBatch<outbox::Job>, env: Env, _ctx: Context) -> worker::Result<()> {
    outbox::consume(batch, &env).await
}

async fn route(req: Request, env: &Env) -> ApiResult<Response> {
    let url = req.url()?;
    let path: Vec<String> = url
        .path_segments()
        .map(|s| s.map(str::to_owned).collect())
        .unwrap_or_default();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match (req.method(), path.as_slice()) {
        (Method::Post, ["hooks", token]) => edge::receive(req, env, token, &url).await,
        (_, ["hooks", _]) => Err(ApiError::new(
            405,
            "method_not_allowed",
            "the webhook URL accepts POST only",
        )),
        (_, ["v1", ..]) => api::dispatch(req, env, url.clone(), &path).await,
        _ => Err(api::no_route()),
    }
}
