//! A small, documented subset of JSON Schema, for the `data` of community-defined events.
//!
//! Supported keywords: `type` (a name or an array of names; `integer` is a number without a
//! fraction), `properties`, `required`, `additionalProperties` (true or false only), `items` (one
//! schema for every item), `enum`, `const`, `minimum`, `maximum`, `minLength`, `maxLength`
//! (in characters), `minItems`, `maxItems`; `description` and `title` are accepted and ignored.
//! Anything else (`pattern`, `$ref`, `oneOf`, ...) is refused when the schema is registered,
//! naming the keyword: a schema that silently ignored a keyword would accept data its author
//! meant to refuse. There is no regex engine, and no references, so validation is linear in the
//! schema and the data.
//!
//! [`check`] runs once, when a schema is registered; [`validate`] runs on every publish and never
//! panics, whatever the schema (built-in schemas are checked by the tests, stored ones at
//! registration).

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// Largest registered schema, in bytes of JSON.
pub const MAX_SCHEMA_LEN: usize = 16 * 1024;
/// Deepest nesting of schemas inside a schema (`properties` and `items` each go one down).
pub const MAX_SCHEMA_DEPTH: usize = 16;

/// The keywords this subset understands.
pub const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "description",
    "title",
];

/// The names `type` takes.
pub const TYPES: &[&str] = &[
    "null", "boolean", "object", "array", "number", "string", "integer",
];

fn refused(at: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidSchema, format!("{at}: {why}")).at(at)
}

/// Checks that `schema` (found at `at`, e.g. `schema`) uses only this subset, correctly, within
/// the size and depth bounds.
pub fn check(schema: &Value, at: &str) -> Result<()> {
    let len = schema.to_string().len();
    if len > MAX_SCHEMA_LEN {
        return Err(refused(
            at,
            format!("is {len} bytes of JSON; at most {MAX_SCHEMA_LEN}"),
        ));
    }
    check_at(schema, at, 0)
}

fn check_at(schema: &Value, at: &str, depth: usize) -> Result<()> {
    if depth > MAX_SCHEMA_DEPTH {
        return Err(refused(
            at,
            format!("schemas nest deeper than {MAX_SCHEMA_DEPTH}"),
        ));
    }
    let obj = schema
        .as_object()
        .ok_or_else(|| refused(at, "a schema must be a JSON object"))?;
    for (key, value) in obj {
        let here = format!("{at}.{key}");
        match key.as_str() {
            "type" => check_type(value, &here)?,
            "properties" => {
                let props = value
                    .as_object()
                    .ok_or_else(|| refused(&here, "must be an object of schemas"))?;
                for (name, sub) in props {
                    check_at(sub, &format!("{here}.{}", member(name)), depth + 1)?;
                }
            }
            "required" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| refused(&here, "must be an array of member names"))?;
                for (i, item) in list.iter().enumerate() {
                    let name = item
                        .as_str()
                        .ok_or_else(|| refused(&format!("{here}[{i}]"), "must be a string"))?;
                    if list.iter().take(i).any(|v| v.as_str() == Some(name)) {
                        return Err(refused(
                            &format!("{here}[{i}]"),
                            format!("{name:?} is listed twice"),
                        ));
                    }
                }
            }
            "additionalProperties" if !value.is_boolean() => {
                return Err(refused(
                    &here,
                    "must be true or false (a schema here is not supported)",
                ))
            }
            "items" => {
                if value.is_array() {
                    return Err(refused(
                        &here,
                        "must be one schema for every item (tuples are not supported)",
                    ));
                }
                check_at(value, &here, depth + 1)?;
            }
            "enum" if value.as_array().is_none_or(Vec::is_empty) => {
                return Err(refused(&here, "must be a non-empty array of values"))
            }
            "minimum" | "maximum" if !value.is_number() => {
                return Err(refused(&here, "must be a number"))
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" if value.as_u64().is_none() => {
                return Err(refused(&here, "must be a whole number, 0 or more"))
            }
            "description" | "title" if !value.is_string() => {
                return Err(refused(&here, "must be a string"))
            }
            k if !KEYWORDS.contains(&k) => {
                return Err(refused(
                    &here,
                    format!(
                        "the keyword {k:?} is not supported; this subset of JSON Schema takes {}",
                        KEYWORDS.join(", ")
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_type(value: &Value, at: &str) -> Result<()> {
    let names: Vec<&Value> = match value {
        Value::Array(list) if !list.is_empty() => list.iter().collect(),
        Value::String(_) => vec![value],
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => {
            return Err(refused(
                at,
                "must be a type name or a non-empty array of them",
            ))
        }
    };
    for name in names {
        if !name.as_str().is_some_and(|n| TYPES.contains(&n)) {
            return Err(refused(
                at,
                format!("{name} is not one of {}", TYPES.join(", ")),
            ));
        }
    }
    Ok(())
}

/// `.name` for a plain member name, `["na me"]` for any other: how [`validate`]'s `at` reads.
fn member(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("[{}]", Value::from(name))
    }
}

fn join(at: &str, name: &str) -> String {
    let m = member(name);
    if m.starts_with('[') {
        format!("{at}{m}")
    } else {
        format!("{at}.{m}")
    }
}

fn invalid(at: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidEventData, format!("{at}: {why}")).at(at)
}

/// The JSON type name of `value`, as `type` spells it (`number` for every number).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        Value::Null | Value::Bool(_) | Value::String(_) | Value::Array(_) | Value::Object(_) => {
            false
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "integer" => is_integer(value),
        other => kind(value) == other,
    }
}

/// JSON equality as JSON Schema means it: numbers by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(i), Some(j), _, _) => i == j,
                (_, _, Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn number(value: Option<&Value>) -> Option<f64> {
    value.and_then(Value::as_f64)
}

fn count(value: Option<&Value>) -> Option<u64> {
    value.and_then(Value::as_u64)
}

/// Checks `data` (found at `at`, e.g. `data`) against `schema`; the error names the first place
/// that fails, e.g. `data.amount`, with a sentence saying why. Keywords outside the subset are
/// ignored here (refused earlier, by [`check`]).
pub fn validate(schema: &Value, data: &Value, at: &str) -> Result<()> {
    let Some(s) = schema.as_object() else {
        return Ok(());
    };
    if let Some(t) = s.get("type") {
        let names: Vec<&str> = match t {
            Value::String(n) => vec![n.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            // A malformed `type` is refused by `check`: nothing to hold the data to here.
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::Object(_) => Vec::new(),
        };
        if !names.is_empty() && !names.iter().any(|n| has_type(data, n)) {
            let wanted = crate::vocabulary::quoted_or(&names).replace('"', "");
            return Err(invalid(at, format!("must be {wanted}, not {}", kind(data))));
        }
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        if !options.iter().any(|o| same(o, data)) {
            let listed: Vec<String> = options.iter().map(Value::to_string).collect();
            return Err(invalid(at, format!("must be one of {}", listed.join(", "))));
        }
    }
    if let Some(wanted) = s.get("const") {
        if !same(wanted, data) {
            return Err(invalid(at, format!("must be {wanted}")));
        }
    }
    match data {
        Value::Number(n) => numeric(s, n.as_f64().unwrap_or(f64::NAN), at),
        Value::String(text) => {
            let chars = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
            bounds(s, chars, "minLength", "maxLength", "characters", at)
        }
        Value::Array(items) => {
            let n = u64::try_from(items.len()).unwrap_or(u64::MAX);
            bounds(s, n, "minItems", "maxItems", "items", at)?;
            match s.get("items") {
                Some(each) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, item)| validate(each, item, &format!("{at}[{i}]"))),
                None => Ok(()),
            }
        }
        Value::Object(members) => object(s, members, at),
        Value::Null | Value::Bool(_) => Ok(()),
    }
}

fn numeric(s: &Map<String, Value>, n: f64, at: &str) -> Result<()> {
    if let Some(min) = number(s.get("minimum")) {
        if n < min {
            return Err(invalid(at, format!("must be at least {min}")));
        }
    }
    if let Some(max) = number(s.get("maximum")) {
        if n > max {
            return Err(invalid(at, format!("must be at most {max}")));
        }
    }
    Ok(())
}

fn bounds(
    s: &Map<String, Value>,
    n: u64,
    min: &str,
    max: &str,
    what: &str,
    at: &str,
) -> Result<()> {
    if let Some(least) = count(s.get(min)) {
        if n < least {
            return Err(invalid(
                at,
                format!("must have at least {least} {what}, not {n}"),
            ));
        }
    }
    if let Some(most) = count(s.get(max)) {
        if n > most {
            return Err(invalid(
                at,
                format!("must have at most {most} {what}, not {n}"),
            ));
        }
    }
    Ok(())
}

fn object(s: &Map<String, Value>, members: &Map<String, Value>, at: &str) -> Result<()> {
    if let Some(Value::Array(required)) = s.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !members.contains_key(name) {
                return Err(invalid(&join(at, name), "is required"));
            }
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    for (name, value) in members {
        match props.and_then(|p| p.get(name)) {
            Some(sub) => validate(sub, value, &join(at, name))?,
            None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                let known: Vec<&str> = props
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let why = if known.is_empty() {
                    "is not allowed: this object takes no members".to_owned()
                } else {
                    format!("is not allowed; the members are {}", known.join(", "))
                };
                return Err(invalid(&join(at, name), why));
            }
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
#[path = "schema_tests.rs"]
mod tests;
