//! Request and response plumbing shared by the routes.

use std::collections::BTreeMap;

use futures_util::{Stream, StreamExt};
use hookmap_core::ApiCode;
use serde::Serialize;
use serde_json::{Map, Value};
use worker::{Request, Response};

use crate::error::{ApiError, ApiResult};

/// Largest JSON body the management API reads.
pub const MAX_API_BODY: usize = 256 * 1024;

pub fn json<T: Serialize>(status: u16, body: &T) -> ApiResult<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

pub fn no_content() -> ApiResult<Response> {
    Ok(Response::empty()?.with_status(204))
}

/// A request body as far as it was read under a cap.
#[derive(Debug, PartialEq, Eq)]
pub enum Capped {
    Read(Vec<u8>),
    /// Over the cap: reading stopped at the chunk that crossed it.
    TooLarge,
}

/// Reads `req`'s body in the chunks it arrives in, stopping at `cap` bytes: a body without
/// Content-Length (chunked) can be any size, and an isolate has 128 MB. A declared length over the
/// cap is refused before a byte is read.
pub async fn read_capped(req: &mut Request, cap: usize) -> ApiResult<Capped> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|n| n.parse::<usize>().ok());
    if declared.is_some_and(|n| n > cap) {
        return Ok(Capped::TooLarge);
    }
    if req.inner().body().is_none() {
        return Ok(Capped::Read(Vec::new()));
    }
    Ok(capped(req.stream()?, declared, cap).await?)
}

/// The body of a stream of chunks, read until it ends or passes `cap`: at most `cap` bytes plus
/// the one chunk that crosses it are ever pulled from the stream.
pub async fn capped<S, E>(mut chunks: S, declared: Option<usize>, cap: usize) -> Result<Capped, E>
where
    S: Stream<Item = Result<Vec<u8>, E>> + Unpin,
{
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(cap));
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > cap {
            return Ok(Capped::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Capped::Read(body))
}

/// `413`: an API body over [`MAX_API_BODY`].
pub fn api_body_too_large() -> ApiError {
    ApiError::too_large(format!("the body is over {MAX_API_BODY} bytes"))
}

/// Reads a JSON object body, refusing anything else with a message saying why. The body is
/// streamed and reading stops at [`MAX_API_BODY`] (`413`).
pub async fn object_body(req: &mut Request) -> ApiResult<Map<String, Value>> {
    let Capped::Read(bytes) = read_capped(req, MAX_API_BODY).await? else {
        return Err(api_body_too_large());
    };
    parse_object(&bytes)
}

/// As [`object_body`], for a route whose body may be left out: no body, or one of whitespace
/// only, is the empty object.
pub async fn optional_object_body(req: &mut Request) -> ApiResult<Map<String, Value>> {
    let Capped::Read(bytes) = read_capped(req, MAX_API_BODY).await? else {
        return Err(api_body_too_large());
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    parse_object(&bytes)
}

fn parse_object(bytes: &[u8]) -> ApiResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            ApiCode::InvalidBody,
            "the body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(
            ApiCode::InvalidBody,
            format!("the body is not valid JSON: {e}"),
        )),
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
                            ApiCode::InvalidQuery,
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

    /// The contract's list envelope around `data`, one page of `total`.
    pub fn wrap<T: Serialize>(&self, data: Vec<T>, total: i64) -> Paged<T> {
        Paged {
            data,
            page: self.page,
            per_page: self.per_page,
            total,
            totals: None,
        }
    }
}

/// A list answered whole: `{data}`.
#[derive(Debug, Serialize)]
pub struct Data<T> {
    pub data: Vec<T>,
}

/// The contract's list envelope: `{data, page, per_page, total}`, and a history's `totals` (how
/// many rows each status tab holds).
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub data: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<BTreeMap<String, i64>>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::Cell;
    use std::convert::Infallible;

    use futures_util::stream;
    use futures_util::FutureExt;

    use super::*;

    /// `capped` over `chunks` chunks of `size` bytes each, driven to its end (every chunk is ready
    /// at once): what it answered, and how many bytes it pulled from the stream.
    fn read(size: usize, chunks: usize, cap: usize) -> (Capped, usize) {
        let pulled = Cell::new(0);
        let chunk = || {
            pulled.set(pulled.get() + size);
            Ok::<_, Infallible>(vec![7u8; size])
        };
        let body = stream::iter(std::iter::repeat_with(chunk).take(chunks));
        let answer = capped(body, None, cap).now_or_never().unwrap().unwrap();
        (answer, pulled.get())
    }

    #[test]
    fn a_body_longer_than_the_cap_is_read_no_further_than_one_chunk_past_it() {
        let cap = MAX_API_BODY;
        // A body of 16 times the cap (chunked, no Content-Length), in chunks of several sizes.
        for size in [1, 1000, 4096, 65_536, cap, cap + 1] {
            let (answer, pulled) = read(size, (16 * cap).div_ceil(size), cap);
            assert_eq!(answer, Capped::TooLarge, "{size}-byte chunks");
            assert!(
                pulled <= cap + size,
                "{size}-byte chunks: {pulled} bytes pulled"
            );
        }
    }

    #[test]
    fn a_body_up_to_the_cap_is_read_whole() {
        let cap = MAX_API_BODY;
        assert_eq!(read(4096, 64, cap), (Capped::Read(vec![7; cap]), cap));
        assert_eq!(read(1000, 3, cap), (Capped::Read(vec![7; 3000]), 3000));
        assert_eq!(read(1000, 0, cap), (Capped::Read(Vec::new()), 0));
    }

    #[test]
    fn a_failing_chunk_is_the_error() {
        let chunks = stream::iter([Ok(vec![1u8; 10]), Err("reset"), Ok(vec![2u8; 10])]);
        let answer = capped(chunks, Some(30), 100).now_or_never().unwrap();
        assert_eq!(answer, Err("reset"));
    }
}
