//! What an attempt's log keeps of its exchange: the request as sent, and the subscriber's answer
//! cut to a bound, so that no subscriber can fill storage with what it answers.

use std::time::Duration;

use futures_util::future::select;
use futures_util::StreamExt;
use serde_json::{Map, Value};
use worker::{Delay, Headers, Response};

/// Bytes of an answer's body the log keeps.
pub const BODY_BYTES: usize = 4096;
/// Headers the log keeps of an answer, and characters of each value.
const HEADERS: usize = 64;
const VALUE_CHARS: usize = 1024;

/// The subscriber's answer as logged.
pub struct Answer {
    /// A JSON object of the headers (names in lowercase, as the runtime gives them).
    pub headers: String,
    /// The first [`BODY_BYTES`] of the body as text (bytes that are not UTF-8 replaced).
    pub body: String,
    /// The body went on past what is kept, or did not end in time.
    pub truncated: bool,
}

/// `headers` as a JSON object: at most [`HEADERS`] of them, each value cut to [`VALUE_CHARS`].
pub fn headers_json(headers: &Headers) -> String {
    let mut map = Map::new();
    for (name, value) in headers.entries().take(HEADERS) {
        map.insert(
            name,
            Value::String(value.chars().take(VALUE_CHARS).collect()),
        );
    }
    Value::Object(map).to_string()
}

/// The answer's headers and the first [`BODY_BYTES`] of its body, read for at most `within`: the
/// status has come already, so a body slower than that is logged as far as it came.
pub async fn answer(response: &mut Response, within: Duration) -> Answer {
    let headers = headers_json(response.headers());
    let mut body = Vec::new();
    let mut ended = false;
    match response.stream() {
        // No stream is no body: it has ended.
        Err(_) => ended = true,
        Ok(mut stream) => {
            let reading = async {
                while body.len() <= BODY_BYTES {
                    match stream.next().await {
                        Some(Ok(chunk)) => body.extend_from_slice(&chunk),
                        Some(Err(_)) => return,
                        None => {
                            ended = true;
                            return;
                        }
                    }
                }
            };
            // The loser is dropped at the end of the statement: an unread rest of the body is
            // cancelled with the stream.
            let _ = select(Box::pin(reading), Box::pin(Delay::from(within))).await;
        }
    }
    let truncated = !ended || body.len() > BODY_BYTES;
    body.truncate(BODY_BYTES);
    Answer {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        truncated,
    }
}
