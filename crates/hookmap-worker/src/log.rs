//! One structured log line per request, as JSON on the console: `wrangler dev` prints it and
//! `wrangler tail` (or Workers Logs) collects it in production.
//!
//! The line names the route by its pattern (`POST /hooks/{token}`), never the path as sent: a
//! webhook URL's path is its secret. Payloads, headers and error messages are left out too; the
//! error's code is enough to find the delivery, whose log holds the rest.

use serde::Serialize;
use worker::Env;

/// What one request came to. Handlers fill in the ids they learn.
#[derive(Debug, Default, Serialize)]
pub struct RequestLog {
    pub method: String,
    /// The matched route's pattern, or `(no route)`.
    pub route: String,
    pub status: u16,
    pub duration_ms: u64,
    /// Storage round trips the isolate made while the request ran (`db::trips_since`): exact for
    /// a request that ran alone, an upper bound otherwise, and 0 only when it made none; in all,
    /// and by store (D1, KV, a community's object).
    pub storage_round_trips: u32,
    pub round_trips: crate::db::Trips,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    /// The error code of a failed request (`invalid_signature`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

impl RequestLog {
    pub fn new(method: String) -> Self {
        Self {
            method,
            route: "(no route)".into(),
            ..Self::default()
        }
    }

    /// Writes the line: 5xx as errors, 4xx as warnings, the rest as info.
    pub fn emit(&self, env: &Env) {
        let level = match self.status {
            500.. => Level::Error,
            400.. => Level::Warn,
            _ => Level::Info,
        };
        line(env, level, "request", self);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The lowest level written, from the `LOG_LEVEL` var: `info` (the default), `warn`, `error` or
/// `off`. Under `wrangler dev` every console line crosses the inspector to the terminal, which
/// costs more than the request itself; production collects them off the request path.
fn threshold(env: &Env) -> Option<Level> {
    match env.var("LOG_LEVEL").map(|v| v.to_string()).as_deref() {
        Ok("off") => None,
        Ok("error") => Some(Level::Error),
        Ok("warn") => Some(Level::Warn),
        _ => Some(Level::Info),
    }
}

/// Writes `fields` (an object) with `level` and `msg` added, as one JSON line.
pub fn line(env: &Env, level: Level, msg: &str, fields: &impl Serialize) {
    if threshold(env).is_none_or(|lowest| level < lowest) {
        return;
    }
    let (name, write): (&str, fn(&str)) = match level {
        Level::Info => ("info", |l| worker::console_log!("{l}")),
        Level::Warn => ("warn", |l| worker::console_warn!("{l}")),
        Level::Error => ("error", |l| worker::console_error!("{l}")),
    };
    match serde_json::to_value(fields) {
        Ok(mut value) => {
            if let Some(obj) = value.as_object_mut() {
                obj.insert("level".into(), name.into());
                obj.insert("msg".into(), msg.into());
            }
            write(&value.to_string());
        }
        Err(e) => worker::console_error!("log line not written: {e}"),
    }
}
