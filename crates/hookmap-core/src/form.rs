//! Bodies and query strings that are not JSON, made JSON so a mapping reads them with the same
//! paths: `application/x-www-form-urlencoded` bodies and the edge URL's query parameters.
//!
//! Keys with brackets nest as PHP reads them, since PHP shops (WooCommerce among them) build
//! their webhooks with `http_build_query`: `customer[email]=a` is `{"customer": {"email": "a"}}`,
//! `tags[]=a&tags[]=b` is `{"tags": ["a", "b"]}`, and an object whose keys are exactly "0".."n-1"
//! is an array, as `json_encode` writes it. Values stay strings: a form cannot say "number", and
//! guessing would turn a zip code like "01234" into 1234 ([`crate::plan`] reads numbers from
//! strings where a number is required instead).
//!
//! Nothing is dropped or picked silently: a repeated key keeps every value, and a key that would
//! overwrite another (a value and nested keys under one name, a query key the body has) is an
//! [`ErrorKind::InvalidForm`] naming it.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::payload::MAX_DEPTH;

/// The form content type (its parameters, like `; charset=utf-8`, aside).
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Query parameters the edge reads itself: never part of a payload.
pub const RESERVED_PARAMS: [&str; 2] = [DRY_RUN_PARAM, API_KEY_PARAM];

/// `?dry_run=true`: compute the effects, change nothing.
pub const DRY_RUN_PARAM: &str = "dry_run";
/// `?api_key=`: the API key, where the webhook takes it in the URL.
pub const API_KEY_PARAM: &str = "api_key";

/// Most `key=value` pairs one form (or one query string) may hold: PHP's own default
/// (`max_input_vars`). Far above any real webhook, and it bounds the work a hostile body costs
/// beyond its size.
pub const MAX_PAIRS: usize = 1000;

/// Whether a `Content-Type` header names a form body, parameters and case aside.
pub fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(CONTENT_TYPE))
}

/// A form body -> a JSON object (see the module's rules).
pub fn parse(body: &[u8]) -> Result<Value> {
    nest(&pairs(body)?).map(Value::Object)
}

/// The parameters of a query string (the text after `?`) that become payload: decoded as strictly
/// as a form body, since they are data too, without [`RESERVED_PARAMS`].
pub fn params(query: &str) -> Result<Vec<(String, String)>> {
    let mut pairs = pairs(query.as_bytes())?;
    pairs.retain(|(key, _)| !RESERVED_PARAMS.contains(&key.as_str()));
    Ok(pairs)
}

/// A form body's `key=value` pairs, decoded strictly: unlike a query string read for a setting
/// (`crate::query`), a body is data, and a malformed escape or non-UTF-8 bytes would otherwise be
/// stored as something the sender never sent.
pub fn pairs(body: &[u8]) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for piece in body.split(|&b| b == b'&').filter(|piece| !piece.is_empty()) {
        if pairs.len() == MAX_PAIRS {
            return Err(too_many());
        }
        let mut halves = piece.splitn(2, |&b| b == b'=');
        let key = halves.next().unwrap_or_default();
        let value = halves.next().unwrap_or_default();
        let Some(key) = decode(key) else {
            // The raw key is ASCII in any form a client builds; shown as it came.
            let raw = std::str::from_utf8(key).unwrap_or_default();
            return Err(invalid(format!(
                "the key {raw:?} has an invalid percent escape or is not UTF-8"
            )));
        };
        let value = decode(value).ok_or_else(|| {
            invalid(format!(
                "the value of the key {key:?} has an invalid percent escape or is not UTF-8"
            ))
        })?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Decoded `key=value` pairs -> a JSON object, keys with brackets nested.
pub fn nest(pairs: &[(String, String)]) -> Result<Map<String, Value>> {
    if pairs.len() > MAX_PAIRS {
        return Err(too_many());
    }
    let mut root = Map::new();
    for (key, value) in pairs {
        let segments = segments(key)?;
        // The top object is one level; each bracket nests one more.
        if segments.len() > MAX_DEPTH {
            return Err(invalid(format!(
                "the key {key:?} nests deeper than {MAX_DEPTH} levels"
            )));
        }
        put(&mut root, &segments, value, key)?;
    }
    // Only now are all of an object's keys known, so only now can it be read as a list. The top
    // stays an object: a payload is one.
    for value in root.values_mut() {
        lists(value);
    }
    Ok(root)
}

/// The payload with the query's parameters (already without [`RESERVED_PARAMS`]) added at its
/// top level. `payload` is `None` for an empty body. A name both carry is an error: taking either
/// silently would let whoever edits the URL override the (perhaps signed) body's value.
pub fn merge_query(payload: Option<Value>, query: &[(String, String)]) -> Result<Value> {
    let mut object = match payload {
        None => Map::new(),
        Some(Value::Object(object)) => object,
        Some(other) if query.is_empty() => return Ok(other),
        Some(_) => {
            return Err(invalid(
                "query parameters can only be added to a body that is a JSON object",
            ))
        }
    };
    for (key, value) in nest(query)? {
        if object.contains_key(&key) {
            return Err(invalid(format!(
                "the key {key:?} is in both the body and the query string"
            )));
        }
        object.insert(key, value);
    }
    Ok(Value::Object(object))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidForm, message)
}

fn too_many() -> Error {
    invalid(format!("at most {MAX_PAIRS} key=value pairs are read"))
}

/// `+` is a space and `%XX` a byte; `None` for a `%` without two hex digits or bytes that are not
/// UTF-8.
fn decode(text: &[u8]) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        bytes.push(match b {
            b'+' => b' ',
            b'%' => {
                let (hex, tail) = (rest.get(..2)?, rest.get(2..)?);
                rest = tail;
                hex.iter().try_fold(0u8, |byte, &h| {
                    let digit = (h as char).to_digit(16)?;
                    Some(byte << 4 | digit as u8)
                })?
            }
            _ => b,
        });
    }
    String::from_utf8(bytes).ok()
}

/// A key's parts: `items[0][name]` -> `[Some("items"), Some("0"), Some("name")]`, `tags[]` ->
/// `[Some("tags"), None]` (`None`: the next element of a list).
fn segments(key: &str) -> Result<Vec<Option<&str>>> {
    let malformed = || invalid(format!("the key {key:?} has malformed brackets"));
    let (base, mut rest) = key.split_at(key.find('[').unwrap_or(key.len()));
    if base.contains(']') || (base.is_empty() && !rest.is_empty()) {
        return Err(malformed());
    }
    let mut segments = vec![Some(base)];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(malformed)?;
        let (name, after) = inner.split_once(']').ok_or_else(malformed)?;
        if name.contains('[') {
            return Err(malformed());
        }
        segments.push(Some(name).filter(|n| !n.is_empty()));
        rest = after;
        if segments.len() > MAX_DEPTH {
            break; // refused by the caller, without reading the rest of a hostile key
        }
    }
    Ok(segments)
}

/// Adds `value` under `segments` (the first one a name) in `map`. Arrays are built of one kind:
/// of strings (a repeated key, or `[]` last) or of objects and arrays (`[]` then more brackets);
/// a name that already holds another kind of thing is an error naming `key`, since one of the two
/// would be lost.
fn put(
    map: &mut Map<String, Value>,
    segments: &[Option<&str>],
    value: &str,
    key: &str,
) -> Result<()> {
    let (Some(Some(name)), rest) = (segments.first(), segments.get(1..).unwrap_or_default()) else {
        return Err(conflict(key));
    };
    let Some(slot) = map.get_mut(*name) else {
        map.insert((*name).to_owned(), fresh(rest, value));
        return Ok(());
    };
    match (rest, slot) {
        // Another value for a name that holds values: kept beside them.
        ([] | [None], slot @ Value::String(_)) => {
            let first = slot.take();
            *slot = Value::Array(vec![first, Value::String(value.to_owned())]);
        }
        ([] | [None], Value::Array(items)) if items.first().is_some_and(Value::is_string) => {
            items.push(Value::String(value.to_owned()));
        }
        // The next element of a list of objects or arrays.
        ([None, more @ ..], Value::Array(items)) if !more.is_empty() => {
            if items.first().is_some_and(Value::is_string) {
                return Err(conflict(key));
            }
            items.push(fresh(more, value));
        }
        ([Some(_), ..], Value::Object(inner)) => return put(inner, rest, value, key),
        _ => return Err(conflict(key)),
    }
    Ok(())
}

/// What a name followed by `rest` holds when it is new.
fn fresh(rest: &[Option<&str>], value: &str) -> Value {
    match rest.split_first() {
        None => Value::String(value.to_owned()),
        Some((None, more)) => Value::Array(vec![fresh(more, value)]),
        Some((Some(name), more)) => {
            let mut map = Map::new();
            map.insert((*name).to_owned(), fresh(more, value));
            Value::Object(map)
        }
    }
}

fn conflict(key: &str) -> Error {
    invalid(format!(
        "the key {key:?} conflicts with an earlier key: one name cannot hold both a value and \
         nested keys, nor both [] and named keys"
    ))
}

/// Objects whose keys are exactly "0".."n-1" become arrays, inner ones first (PHP's
/// `json_encode` writes them so).
fn lists(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(lists),
        Value::Object(map) => {
            map.values_mut().for_each(lists);
            let n = map.len();
            let indices: Option<Vec<usize>> = map
                .keys()
                .map(|k| {
                    k.parse()
                        .ok()
                        .filter(|i: &usize| *i < n && i.to_string() == *k)
                })
                .collect();
            if let Some(indices) = indices {
                let mut items = vec![Value::Null; n];
                for (i, (_, item)) in indices.into_iter().zip(std::mem::take(map)) {
                    if let Some(slot) = items.get_mut(i) {
                        *slot = item;
                    }
                }
                *value = Value::Array(items);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
#[path = "form_tests.rs"]
mod tests;
