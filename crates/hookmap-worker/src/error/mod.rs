//! The one error type of the worker: an HTTP error answer.
//!
//! Every failure a caller can cause becomes `{"error": {"code", "message", "details"}}` with a 4xx
//! status. Anything else (a storage outage, a bug) becomes a 500 whose body says nothing about the
//! cause; the cause goes to the log only.

mod wire;

pub use wire::code_named;

use hookmap_core::{ApiCode, ErrorKind};
use serde_json::{json, Map, Value};
use worker::Response;

/// An error answer. Its kinds, by status, each with its constructor:
///
/// - 400 [`bad_request`](Self::bad_request): a malformed request, query or undecodable body;
/// - 401 [`unauthorized`](Self::unauthorized): missing or wrong credentials;
/// - 403 [`forbidden`](Self::forbidden): known credentials that may not do this, a disabled
///   webhook;
/// - 404 [`not_found`](Self::not_found) (code `not_found`) or
///   [`not_found_with`](Self::not_found_with) (another code): an unknown resource, or another
///   tenant's, which answers the same;
/// - 405 [`method_not_allowed`](Self::method_not_allowed): `details.allow` and the `Allow` header
///   list the route's methods;
/// - 409 [`conflict`](Self::conflict): a conflict with stored state (`db::insert_unique` turns a
///   refused duplicate into one);
/// - 413 [`too_large`](Self::too_large) (code `payload_too_large`);
/// - 422 [`unprocessable`](Self::unprocessable): a well-formed request that cannot be applied;
///   [`invalid_field`](Self::invalid_field) and [`unprocessable_at`](Self::unprocessable_at) say
///   which member is at fault in `details.at` and in a message that starts with it;
/// - 429 [`until_next_minute`](Self::until_next_minute) or [`retry_in`](Self::retry_in):
///   `details.retry_after` and the `Retry-After` header say when to send again;
/// - 503 [`moving`](Self::moving): the community's data is moving, with `Retry-After` too;
/// - 500 [`internal`](Self::internal): no details.
///
/// Each answer's `code` is an [`ApiCode`] of the worker's, or the [`ErrorKind`] code of a core
/// failure; OpenAPI's `ErrorCode` lists both (the core's `tests/vocabulary.rs` keeps them equal).
/// `details` is built from the typed members `at` and `extra`, and is absent when neither is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// `details.at`: the request member (or mapping path) at fault.
    pub at: Option<String>,
    /// What else the answer says, in `details` and in headers.
    pub extra: Option<Extra>,
}

/// The rest of an error's `details`, one kind per error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    /// 405: `details.allow` and `Allow`, the methods the route accepts.
    Allow(Vec<&'static str>),
    /// 429: `details.retry_after` and `Retry-After`, in seconds; and the quota when a quota's
    /// count refused the request.
    RetryAfter {
        seconds: u64,
        quota: Option<QuotaLimit>,
        /// `details.limit` without a quota: a fixed limit (forced resends).
        limit: Option<i64>,
    },
    /// 422: the quota a request would go past.
    Quota(QuotaLimit),
    /// 422: `details.currency`, the balance a delivery would take below zero.
    Currency(String),
    /// 422: `details.offset`, the character of the expression at `details.at` that is at fault.
    Offset(usize),
}

/// `details.quota` and `details.limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimit {
    pub name: &'static str,
    pub limit: i64,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(status: u16, code: ApiCode, message: impl Into<String>) -> Self {
        Self::with_code(status, code.as_str(), message)
    }

    /// An answer with any code: the worker's own ([`ApiCode`]) or a core failure's ([`ErrorKind`]).
    fn with_code(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            at: None,
            extra: None,
        }
    }

    pub fn bad_request(code: ApiCode, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub fn unauthorized(code: ApiCode, message: impl Into<String>) -> Self {
        Self::new(401, code, message)
    }

    pub fn forbidden(code: ApiCode, message: impl Into<String>) -> Self {
        Self::new(403, code, message)
    }

    /// 404 `not_found`: "`what` does not exist".
    pub fn not_found(what: &str) -> Self {
        Self::new(404, ApiCode::NotFound, format!("{what} does not exist"))
    }

    /// A 404 with its own code (an unknown route, nothing caught yet).
    pub fn not_found_with(code: ApiCode, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }

    /// 404 for a path that names no route (any worker, before or after authentication).
    pub fn no_route() -> Self {
        Self::not_found_with(
            ApiCode::NoRoute,
            "no such route or method; see the API reference at /openapi.json",
        )
    }

    /// 405 for a route that exists under other methods; the answer's `Allow` lists them.
    pub fn method_not_allowed(allowed: &[&'static str]) -> Self {
        let mut error = Self::new(
            405,
            ApiCode::MethodNotAllowed,
            format!("this route accepts {} only", allowed.join(", ")),
        );
        error.extra = Some(Extra::Allow(allowed.to_vec()));
        error
    }

    pub fn conflict(code: ApiCode, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }

    /// 413 `payload_too_large`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, ApiCode::PayloadTooLarge, message)
    }

    /// A 422 that no single member is blamed for.
    pub fn unprocessable(code: ApiCode, message: impl Into<String>) -> Self {
        Self::new(422, code, message)
    }

    /// A 422 blaming the member `at`: the message is `"{at}: {why}"` and `details.at` is `at`.
    pub fn unprocessable_at(at: &str, code: ApiCode, why: impl std::fmt::Display) -> Self {
        Self::new(422, code, format!("{at}: {why}")).at(at)
    }

    /// The 422 `invalid_field` of a request member that is missing, of the wrong type or out of
    /// range: every handler's field check ends here.
    pub fn invalid_field(at: &str, why: impl std::fmt::Display) -> Self {
        Self::unprocessable_at(at, ApiCode::InvalidField, why)
    }

    /// A 429 that lasts until the current one-minute window ends (every per-minute count here is
    /// kept in calendar minutes): the message, `details.retry_after` and `Retry-After` say how long.
    pub fn until_next_minute(code: ApiCode, why: &str, now_ms: u64) -> Self {
        Self::retry_in(code, why, 60 - (now_ms / 1000) % 60)
    }

    /// A 429 that lasts `seconds` (at least 1): the message, `details.retry_after` and
    /// `Retry-After` say so.
    pub fn retry_in(code: ApiCode, why: &str, seconds: u64) -> Self {
        let seconds = seconds.max(1);
        let mut error = Self::new(429, code, format!("{why}; send again in {seconds} s"));
        error.extra = Some(Extra::RetryAfter {
            seconds,
            quota: None,
            limit: None,
        });
        error
    }

    /// A 503 while community data moves (`community::moving`): the message, `details.retry_after`
    /// and `Retry-After` say when to send again.
    pub fn moving(seconds: u64) -> Self {
        Self {
            status: 503,
            ..Self::retry_in(
                ApiCode::CommunityMoving,
                "this community's data is moving into its own database",
                seconds,
            )
        }
    }

    /// `details.limit` of a 429 that no quota sets (a fixed limit of the platform's).
    pub fn limit(mut self, limit: i64) -> Self {
        if let Some(Extra::RetryAfter { limit: l, .. }) = &mut self.extra {
            *l = Some(limit);
        }
        self
    }

    /// Logs the real cause and returns the opaque 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        worker::console_error!("internal error: {cause}");
        Self::opaque()
    }

    fn opaque() -> Self {
        Self::new(
            500,
            ApiCode::Internal,
            "an internal error occurred; it has been logged",
        )
    }

    /// Blames the member (or mapping path) `at`, in `details.at`.
    pub fn at(mut self, at: &str) -> Self {
        self.at = Some(at.to_owned());
        self
    }

    /// Names the quota this request would go past and its limit (beside a 429's retry time).
    pub fn quota(mut self, name: &'static str, limit: i64) -> Self {
        let quota = QuotaLimit { name, limit };
        self.extra = Some(match self.extra {
            Some(Extra::RetryAfter { seconds, limit, .. }) => Extra::RetryAfter {
                seconds,
                quota: Some(quota),
                limit,
            },
            _ => Extra::Quota(quota),
        });
        self
    }

    /// Names the currency a delivery would take below zero.
    pub fn currency(mut self, currency: impl Into<String>) -> Self {
        self.extra = Some(Extra::Currency(currency.into()));
        self
    }

    /// `details`, from the typed members; `None` when none is set.
    fn details(&self) -> Option<Value> {
        let mut details = Map::new();
        if let Some(at) = &self.at {
            details.insert("at".into(), at.as_str().into());
        }
        let quota = |details: &mut Map<String, Value>, q: &QuotaLimit| {
            details.insert("quota".into(), q.name.into());
            details.insert("limit".into(), q.limit.into());
        };
        match &self.extra {
            None => {}
            Some(Extra::Allow(methods)) => {
                details.insert("allow".into(), json!(methods));
            }
            Some(Extra::RetryAfter {
                seconds,
                quota: q,
                limit,
            }) => {
                if let Some(q) = q {
                    quota(&mut details, q);
                } else if let Some(limit) = limit {
                    details.insert("limit".into(), (*limit).into());
                }
                details.insert("retry_after".into(), (*seconds).into());
            }
            Some(Extra::Quota(q)) => quota(&mut details, q),
            Some(Extra::Currency(currency)) => {
                details.insert("currency".into(), currency.as_str().into());
            }
            Some(Extra::Offset(offset)) => {
                details.insert("offset".into(), (*offset).into());
            }
        }
        (!details.is_empty()).then_some(Value::Object(details))
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let (Some(details), Some(obj)) = (self.details(), error.as_object_mut()) {
            obj.insert("details".into(), details);
        }
        json!({ "error": error })
    }

    pub fn into_response(self) -> worker::Result<Response> {
        let body = self.body();
        self.response(&body)
    }

    /// The headers this error's answer carries beside its body: `Retry-After` (429) and `Allow`
    /// (405).
    fn headers(&self) -> Vec<(&'static str, String)> {
        match &self.extra {
            Some(Extra::RetryAfter { seconds, .. }) => vec![("retry-after", seconds.to_string())],
            Some(Extra::Allow(methods)) => vec![("allow", methods.join(", "))],
            _ => Vec::new(),
        }
    }

    /// `body` with this error's status and headers.
    pub fn response(&self, body: &Value) -> worker::Result<Response> {
        let mut response = Response::from_json(body)?.with_status(self.status);
        for (name, value) in self.headers() {
            response.headers_mut().set(name, &value)?;
        }
        Ok(response)
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
    // `ErrorKind` is non-exhaustive outside the core, so a catch-all is required here; which kinds
    // are decoding failures the core decides over every kind (`ErrorKind::is_decoding`), and
    // every other kind is the request's mapping or setting at fault: 422.
    #[allow(clippy::wildcard_enum_match_arm)]
    fn from(e: hookmap_core::Error) -> Self {
        let status = match e.kind() {
            ErrorKind::TooLarge => 413,
            ErrorKind::InvalidSignature => 401,
            ErrorKind::IdempotencyConflict | ErrorKind::InvalidIdempotencyKey => 400,
            kind if kind.is_decoding() => 400,
            _ => 422,
        };
        Self {
            at: e.location().map(str::to_owned),
            extra: e.character().map(Extra::Offset),
            ..Self::with_code(status, e.code(), e.message())
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn wire(e: &ApiError) -> (u16, Value, Vec<(&'static str, String)>) {
        (e.status, e.body(), e.headers())
    }

    #[test]
    fn an_error_without_details_has_no_details_member() {
        for e in [
            ApiError::bad_request(ApiCode::InvalidBody, "the body must be a JSON object"),
            ApiError::unauthorized(ApiCode::InvalidToken, "no"),
            ApiError::forbidden(ApiCode::Forbidden, "only the admin token may do this"),
            ApiError::conflict(ApiCode::Duplicate, "again"),
            ApiError::too_large("the body is over 10 bytes"),
            ApiError::unprocessable(ApiCode::UnknownMember, "nobody"),
            ApiError::opaque(),
        ] {
            let body = e.body();
            assert_eq!(
                body,
                json!({"error": {"code": e.code, "message": e.message}})
            );
            assert!(e.headers().is_empty());
        }
        assert_eq!(ApiError::too_large("x").code, "payload_too_large");
        assert_eq!(ApiError::too_large("x").status, 413);
    }

    #[test]
    fn not_found_says_what_does_not_exist() {
        let e = ApiError::not_found("this channel");
        assert_eq!(
            wire(&e),
            (
                404,
                json!({"error": {"code": "not_found", "message": "this channel does not exist"}}),
                vec![]
            )
        );
        assert_eq!(
            ApiError::not_found_with(ApiCode::NoRoute, "x").code,
            "no_route"
        );
    }

    #[test]
    fn an_invalid_field_names_the_member_in_its_message_and_details() {
        let e = ApiError::invalid_field("email", "\"x\" is not an email address");
        assert_eq!(
            wire(&e),
            (
                422,
                json!({"error": {"code": "invalid_field", "message": "email: \"x\" is not an email address",
                                 "details": {"at": "email"}}}),
                vec![]
            )
        );
        let e = ApiError::unprocessable_at("message", ApiCode::InvalidMapping, "needs a message");
        assert_eq!(e.code, "invalid_mapping");
        assert_eq!(e.message, "message: needs a message");
        assert_eq!(e.body()["error"]["details"], json!({"at": "message"}));
        let e = ApiError::unprocessable(ApiCode::ImmutableType, "no").at("type");
        assert_eq!(e.message, "no");
        assert_eq!(e.body()["error"]["details"], json!({"at": "type"}));
    }

    #[test]
    fn method_not_allowed_lists_the_methods_in_details_and_allow() {
        let e = ApiError::method_not_allowed(&["GET", "POST"]);
        assert_eq!(
            wire(&e),
            (
                405,
                json!({"error": {"code": "method_not_allowed", "message": "this route accepts GET, POST only",
                                 "details": {"allow": ["GET", "POST"]}}}),
                vec![("allow", "GET, POST".to_owned())]
            )
        );
    }

    #[test]
    fn a_429_says_when_to_send_again_in_details_and_retry_after() {
        // 12:00:45.500: the window ends in 15 s.
        let now_ms = 12 * 3_600_000 + 45_500;
        let e = ApiError::until_next_minute(ApiCode::RateLimited, "over", now_ms);
        assert_eq!(
            wire(&e),
            (
                429,
                json!({"error": {"code": "rate_limited", "message": "over; send again in 15 s",
                                 "details": {"retry_after": 15}}}),
                vec![("retry-after", "15".to_owned())]
            )
        );
        let e = ApiError::until_next_minute(ApiCode::QuotaExceeded, "over", 0)
            .quota("events_per_minute", 3);
        assert_eq!(
            e.body()["error"]["details"],
            json!({"retry_after": 60, "quota": "events_per_minute", "limit": 3})
        );
        assert_eq!(e.headers(), vec![("retry-after", "60".to_owned())]);
        let e = ApiError::retry_in(ApiCode::TooManyResends, "over", 3_000).limit(3);
        assert_eq!(
            wire(&e),
            (
                429,
                json!({"error": {"code": "too_many_resends", "message": "over; send again in 3000 s",
                                 "details": {"retry_after": 3000, "limit": 3}}}),
                vec![("retry-after", "3000".to_owned())]
            )
        );
        assert_eq!(
            ApiError::retry_in(ApiCode::RateLimited, "over", 0).headers(),
            vec![("retry-after", "1".to_owned())],
            "never 0"
        );
    }

    #[test]
    fn quota_and_currency_details() {
        let e = ApiError::unprocessable(ApiCode::QuotaExceeded, "no").quota("subscriptions", 1);
        assert_eq!(
            e.body()["error"]["details"],
            json!({"quota": "subscriptions", "limit": 1})
        );
        let e = ApiError::unprocessable(ApiCode::InsufficientBalance, "no").currency("coins");
        assert_eq!(e.body()["error"]["details"], json!({"currency": "coins"}));
    }

    #[test]
    fn a_core_error_keeps_its_code_message_and_location() {
        let core = hookmap_core::Error::new(ErrorKind::InvalidEvent, "type: no").at("type");
        let e = ApiError::from(core);
        assert_eq!(e.status, 422);
        assert_eq!(e.body()["error"]["details"], json!({"at": "type"}));
        assert_eq!(e.body()["error"]["message"], "type: no");
    }
}
