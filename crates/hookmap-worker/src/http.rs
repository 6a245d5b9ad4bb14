//! Request and response plumbing shared by the routes.

use serde::Serialize;
use serde_json::{json, Map, Value};
use worker::{Request, Response};

use crate::error::{ApiError, ApiResult};

/// Largest JSON body the management API reads.
const MAX_API_BODY: usize = 256 * 1024;

pub fn json<T: Serialize>(status: u16, body: &T) -> ApiResult<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

pub fn no_content() -> ApiResult<Response> {
    Ok(Response::empty()?.with_status(204))
}

/// Reads a JSON object body, refusing anything else with a message saying why.
pub async fn object_body(req: &mut Request) -> ApiResult<Map<String, Value>> {
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_API_BODY {
        return Err(ApiError::too_large(format!(
            "the body is over {MAX_API_BODY} bytes"
        )));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(
            "invalid_body",
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

/// A required string member, trimmed, 1..=max characters.
pub fn required_str<'a>(
    body: &'a Map<String, Value>,
    name: &str,
    max: usize,
) -> ApiResult<&'a str> {
    match body.get(name) {
        None | Some(Value::Null) => Err(ApiError::invalid_field(name, "is required")),
        Some(v) => checked_str(v, name, max),
    }
}

pub fn optional_str<'a>(
    body: &'a Map<String, Value>,
    name: &str,
    max: usize,
) -> ApiResult<Option<&'a str>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => checked_str(v, name, max).map(Some),
    }
}

fn checked_str<'a>(v: &'a Value, name: &str, max: usize) -> ApiResult<&'a str> {
    let s = v
        .as_str()
        .ok_or_else(|| ApiError::invalid_field(name, "must be a string"))?
        .trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(ApiError::invalid_field(
            name,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(s)
}

pub fn optional_bool(body: &Map<String, Value>, name: &str) -> ApiResult<Option<bool>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid_field(name, "must be true or false")),
    }
}

/// Refuses members the endpoint does not know, so typos are not silently ignored.
pub fn only_known(body: &Map<String, Value>, known: &[&str]) -> ApiResult<()> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ApiError::invalid_field(
            k,
            format!("unknown member; expected one of: {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// The parts of the request's URL that routes read. The runtime hands over a URL it has already
/// parsed and normalised, so this only splits it (no URL parser: see `hookmap_core::weburl`).
#[derive(Debug, Clone)]
pub struct RequestUrl {
    /// `scheme://host[:port]`.
    pub origin: String,
    /// The path, percent-encoded as received.
    pub path: String,
    query: String,
}

impl RequestUrl {
    pub fn of(req: &Request) -> Self {
        let full = req.inner().url();
        let before_query = full.split(['?', '#']).next().unwrap_or_default();
        let origin = match before_query.find("://") {
            Some(i) => before_query
                .get(i + 3..)
                .and_then(|rest| rest.find('/'))
                .and_then(|j| before_query.get(..i + 3 + j))
                .unwrap_or(before_query),
            None => "",
        };
        let query = full
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or_default())
            .unwrap_or_default();
        Self {
            origin: origin.to_owned(),
            path: req.path(),
            query: query.to_owned(),
        }
    }

    /// The text after `?`, as sent (no `#fragment`).
    pub fn query_text(&self) -> &str {
        &self.query
    }

    /// The path's segments: `/v1/me` is `["v1", "me"]`.
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').skip(1).collect()
    }
}

pub fn query(url: &RequestUrl, name: &str) -> Option<String> {
    hookmap_core::query::param(&url.query, name)
}

/// `?page=&per_page=` of the contract: page from 1, per_page 1..=50, default 20.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub const MAX_PER_PAGE: i64 = 50;

    pub fn from_url(url: &RequestUrl) -> ApiResult<Self> {
        let number = |name: &str, default: i64, max: i64| -> ApiResult<i64> {
            match query(url, name) {
                None => Ok(default),
                Some(text) => text
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "invalid_query",
                            format!("{name} must be a whole number from 1 to {max}, not {text:?}"),
                        )
                    }),
            }
        };
        Ok(Self {
            page: number("page", 1, 1_000_000)?,
            per_page: number("per_page", 20, Self::MAX_PER_PAGE)?,
        })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    /// The contract's list envelope.
    pub fn wrap(&self, data: Vec<Value>, total: i64) -> Value {
        json!({"data": data, "page": self.page, "per_page": self.per_page, "total": total})
    }
}
