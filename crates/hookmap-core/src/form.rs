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

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::payload::MAX_DEPTH;

/// The form content type (its parameters, like `; charset=utf-8`, aside).
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Query parameters the edge reads itself: never part of a payload.
pub const RESERVED_PARAMS: [&str; 2] = ["dry_run", "api_key"];

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

/// The query pairs that may become payload: all but [`RESERVED_PARAMS`].
pub fn unreserved(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(key, _)| !RESERVED_PARAMS.contains(&key.as_str()))
        .cloned()
        .collect()
}

/// A form body -> a JSON object (see the module's rules).
pub fn parse(body: &[u8]) -> Result<Value> {
    nest(&pairs(body)?).map(Value::Object)
}

/// A form body's `key=value` pairs, decoded strictly: unlike a query string read for a setting
/// (`crate::query`), a body is data, and a malformed escape or non-UTF-8 bytes would otherwise be
/// stored as something the sender never sent.
pub fn pairs(body: &[u8]) -> Result<Vec<(String, String)>> {
    let pieces = body.split(|&b| b == b'&').filter(|piece| !piece.is_empty());
    let mut pairs = Vec::new();
    for piece in pieces {
        if pairs.len() == MAX_PAIRS {
            return Err(invalid(format!(
                "the form has more than {MAX_PAIRS} key=value pairs"
            )));
        }
        let mut halves = piece.splitn(2, |&b| b == b'=');
        let key = halves.next().unwrap_or_default();
        let value = halves.next().unwrap_or_default();
        let shown = || String::from_utf8_lossy(key).into_owned();
        let key = decode(key).ok_or_else(|| {
            invalid(format!(
                "the form key {:?} has an invalid percent escape or is not UTF-8",
                shown()
            ))
        })?;
        let value = decode(value).ok_or_else(|| {
            invalid(format!(
                "the value of the form key {key:?} has an invalid percent escape or is not UTF-8"
            ))
        })?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Decoded `key=value` pairs -> a JSON object, keys with brackets nested.
pub fn nest(pairs: &[(String, String)]) -> Result<Map<String, Value>> {
    if pairs.len() > MAX_PAIRS {
        return Err(invalid(format!(
            "more than {MAX_PAIRS} parameters were sent"
        )));
    }
    let mut root = Node::Map(BTreeMap::new());
    for (key, value) in pairs {
        let segments = segments(key)?;
        // The top object is one level; each bracket nests one more.
        if segments.len() > MAX_DEPTH {
            return Err(invalid(format!(
                "the key {key:?} nests deeper than {MAX_DEPTH} levels"
            )));
        }
        insert(&mut root, &segments, value.clone(), key)?;
    }
    // The top stays an object even when its names are "0".."n-1": a payload is an object.
    match root {
        Node::Map(map) => Ok(Node::object(map)),
        _ => Ok(Map::new()),
    }
}

/// The payload with the query's parameters (already without [`RESERVED_PARAMS`]) added at its
/// top level. `payload` is `None` for an empty body. A name both carry is an error: taking either
/// silently would let whoever edits the URL override the signed or encrypted body's value.
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

/// `+` is a space and `%XX` a byte; `None` for a `%` without two hex digits or bytes that are not
/// UTF-8.
fn decode(text: &[u8]) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(rest.get(..2)?).ok()?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = rest.get(2..)?;
            }
            _ => bytes.push(b),
        }
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
        let close = inner.find(']').ok_or_else(malformed)?;
        let (name, after) = inner.split_at(close);
        if name.contains('[') {
            return Err(malformed());
        }
        segments.push(Some(name).filter(|n| !n.is_empty()));
        rest = after.get(1..).unwrap_or_default();
        if segments.len() > MAX_DEPTH {
            break; // refused by the caller, without reading the rest of a hostile key
        }
    }
    Ok(segments)
}

/// What a name holds while the form is read: which of the three it is decides what may be added.
enum Node {
    /// A name given values directly: one is a string, several an array of them.
    Values(Vec<String>),
    /// A name given `[]`: one element per pair.
    List(Vec<Node>),
    /// A name given `[key]`.
    Map(BTreeMap<String, Node>),
}

impl Node {
    /// What a name followed by `rest` needs to be.
    fn fresh(rest: &[Option<&str>]) -> Self {
        match rest.first() {
            None => Self::Values(Vec::new()),
            Some(Some(_)) => Self::Map(BTreeMap::new()),
            Some(None) => Self::List(Vec::new()),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Self::Values(mut values) if values.len() == 1 => Value::String(values.remove(0)),
            Self::Values(values) => values.into_iter().map(Value::String).collect(),
            Self::List(items) => items.into_iter().map(Self::into_value).collect(),
            Self::Map(map) => match indices(&map) {
                Some(order) => {
                    let mut slots: Vec<Option<Value>> = vec![None; order.len()];
                    for ((_, node), i) in map.into_iter().zip(order) {
                        if let Some(slot) = slots.get_mut(i) {
                            *slot = Some(node.into_value());
                        }
                    }
                    slots.into_iter().flatten().collect()
                }
                None => Value::Object(Self::object(map)),
            },
        }
    }

    fn object(map: BTreeMap<String, Self>) -> Map<String, Value> {
        map.into_iter().map(|(k, n)| (k, n.into_value())).collect()
    }
}

/// Each key's index when the keys are exactly "0".."n-1" (as PHP's `json_encode` makes a list of
/// them), in the map's order; `None` otherwise.
fn indices(map: &BTreeMap<String, Node>) -> Option<Vec<usize>> {
    let n = map.len();
    map.keys()
        .map(|k| {
            k.parse::<usize>()
                .ok()
                .filter(|i| *i < n && i.to_string() == *k)
        })
        .collect()
}

/// Adds `value` under `segments` below `node`; a name that already holds another kind of thing
/// is an error naming `key`, since one of the two would be lost.
fn insert(node: &mut Node, segments: &[Option<&str>], value: String, key: &str) -> Result<()> {
    let Some((segment, rest)) = segments.split_first() else {
        return match node {
            Node::Values(values) => {
                values.push(value);
                Ok(())
            }
            _ => Err(conflict(key)),
        };
    };
    let child = match (segment, node) {
        (Some(name), Node::Map(map)) => map
            .entry((*name).to_owned())
            .or_insert_with(|| Node::fresh(rest)),
        (None, Node::List(items)) => {
            items.push(Node::fresh(rest));
            items.last_mut().ok_or_else(|| conflict(key))?
        }
        _ => return Err(conflict(key)),
    };
    insert(child, rest, value, key)
}

fn conflict(key: &str) -> Error {
    invalid(format!(
        "the key {key:?} conflicts with an earlier key: one name cannot hold both a value and \
         nested keys, nor both [] and named keys"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
#[path = "form_tests.rs"]
mod tests;
