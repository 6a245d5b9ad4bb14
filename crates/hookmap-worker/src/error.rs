//! The one error type of the worker: an HTTP error answer.
//!
//! Every failure a caller can cause becomes `{"error": {"code", "message", "details"}}` with a 4xx
//! status. Anything else (a storage outage, a bug) becomes a 500 whose body says nothing about the
//! cause; the cause goes to the log only.

use hookmap_core::ErrorKind;
use serde_json::{json, Value};
use worker::Response;

/// An error answer. Kinds by status: 400 malformed request or undecodable body, 401 missing or
/// wrong credentials, 403 a disabled webhook, 404 unknown (or another tenant's) resource, 409 a
/// conflict with stored state, 413 too large, 422 a well-formed request that cannot be applied,
/// 500 internal (no details).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// A 429 that lasts until the current one-minute window ends (every per-minute count here is
    /// kept in calendar minutes): the message, `details.retry_after` and `Retry-After` say how long.
    pub fn until_next_minute(code: &'static str, why: &str, now_ms: u64) -> Self {
        let retry_after = 60 - (now_ms / 1000) % 60;
        Self::new(429, code, format!("{why}; send again in {retry_after} s"))
            .with_details(json!({ "retry_after": retry_after }))
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} does not exist"))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }

    /// 405 for a route that exists under other methods; the answer's `Allow` lists them.
    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        Self::new(
            405,
            "method_not_allowed",
            format!("this route accepts {} only", allowed.join(", ")),
        )
        .with_details(json!({ "allow": allowed }))
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(401, code, message)
    }

    /// Logs the real cause and returns the opaque 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        worker::console_error!("internal error: {cause}");
        Self::new(
            500,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let (Some(details), Some(obj)) = (&self.details, error.as_object_mut()) {
            obj.insert("details".into(), details.clone());
        }
        json!({ "error": error })
    }

    pub fn into_response(self) -> worker::Result<Response> {
        let body = self.body();
        self.response(&body)
    }

    /// `body` with this error's status, its `Retry-After` when it has one (429) and its `Allow`
    /// (405).
    pub fn response(&self, body: &Value) -> worker::Result<Response> {
        let mut response = Response::from_json(body)?.with_status(self.status);
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .set("retry-after", &seconds.to_string())?;
        }
        if let Some(allow) = self.allow() {
            response.headers_mut().set("allow", &allow)?;
        }
        Ok(response)
    }

    fn allow(&self) -> Option<String> {
        let methods = self.details.as_ref()?.get("allow")?.as_array()?;
        let names: Vec<&str> = methods.iter().filter_map(Value::as_str).collect();
        Some(names.join(", "))
    }

    fn retry_after(&self) -> Option<u64> {
        self.details.as_ref()?.get("retry_after")?.as_u64()
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::internal(e)
    }
}

impl From<hookmap_core::Error> for ApiError {
    /// Core errors are caused by the request: decoding failures are 400, mapping failures 422,
    /// a body over the limit 413.
    fn from(e: hookmap_core::Error) -> Self {
        let status = match e.kind() {
            ErrorKind::TooLarge => 413,
            ErrorKind::InvalidSignature => 401,
            ErrorKind::IdempotencyConflict | ErrorKind::InvalidIdempotencyKey => 400,
            kind if kind.is_decoding() => 400,
            _ => 422,
        };
        let details = e.location().map(|at| json!({ "at": at }));
        Self {
            status,
            code: e.code(),
            message: e.message().to_owned(),
            details,
        }
    }
}
