//! One structured log line per request, as JSON on the console: `wrangler dev` prints it and
//! `wrangler tail` (or Workers Logs) collects it in production.
//!
//! The line names the route by its pattern (`POST /hooks/{token}`), never the path as sent: a
//! webhook URL's path is its secret. Payloads, headers and error messages are left out too; the
//! error's code is enough to find the delivery, whose log holds the rest.

use serde::Serialize;

/// What one request came to. Handlers fill in the ids they learn.
#[derive(Debug, Default, Serialize)]
pub struct RequestLog {
    pub method: String,
    /// The matched route's pattern, or `(no route)`.
    pub route: String,
    pub status: u16,
    pub duration_ms: u64,
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
    pub fn emit(&self) {
        let level = match self.status {
            500.. => Level::Error,
            400.. => Level::Warn,
            _ => Level::Info,
        };
        line(level, "request", self);
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Writes `fields` (an object) with `level` and `msg` added, as one JSON line.
pub fn line(level: Level, msg: &str, fields: &impl Serialize) {
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
