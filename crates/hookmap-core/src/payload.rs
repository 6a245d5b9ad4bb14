//! Turning request bytes into a JSON payload, with the limits an edge needs.

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// Deepest nesting of arrays and objects accepted. Real webhook payloads stay far below it; the
/// limit keeps a hostile body from costing stack or CPU.
pub const MAX_DEPTH: usize = 32;

/// Parses UTF-8 JSON, refusing nesting deeper than [`MAX_DEPTH`]. serde_json's own recursion limit
/// (128) keeps the parser's stack bounded whatever the input; the tighter limit is checked on the
/// parsed tree, which costs a walk over its nodes rather than a second pass over every byte.
pub fn parse(bytes: &[u8]) -> Result<Value> {
    parse_text(std::str::from_utf8(bytes).map_err(not_utf8)?)
}

/// The error for a body that is not UTF-8, naming the first bad byte.
pub fn not_utf8(e: std::str::Utf8Error) -> Error {
    Error::new(
        ErrorKind::NotJson,
        format!(
            "the payload is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ),
    )
}

/// [`parse`] for text already known to be UTF-8.
pub fn parse_text(text: &str) -> Result<Value> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.to_string().starts_with("recursion limit exceeded") {
            return too_deep("more than 128");
        }
        Error::new(
            ErrorKind::NotJson,
            format!(
                "the payload is not valid JSON: {} at line {} column {}",
                describe(&e),
                e.line(),
                e.column()
            ),
        )
    })?;
    let depth = depth(&value);
    if depth > MAX_DEPTH {
        return Err(too_deep(&depth.to_string()));
    }
    Ok(value)
}

fn too_deep(depth: &str) -> Error {
    Error::new(
        ErrorKind::TooDeep,
        format!("the payload nests {depth} levels deep; at most {MAX_DEPTH} are allowed"),
    )
}

fn describe(e: &serde_json::Error) -> String {
    // serde_json's Display appends " at line L column C"; keep only the cause.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// Nesting depth of arrays and objects; a scalar is 0. Recursion is bounded by serde_json's
/// limit on what it parses.
pub(crate) fn depth(value: &Value) -> usize {
    // Scalars are most of a payload: skipping them without a call halves the walk.
    let deepest = |deepest: usize, v: &Value| match v {
        Value::Array(_) | Value::Object(_) => deepest.max(depth(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => deepest,
    };
    match value {
        Value::Array(items) => 1 + items.iter().fold(0, deepest),
        Value::Object(map) => 1 + map.values().fold(0, deepest),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => 0,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_json() {
        assert_eq!(parse(br#"{"a": [1, "]]"]}"#).unwrap()["a"][1], "]]");
    }

    #[test]
    fn names_line_and_column_of_bad_json() {
        let err = parse(b"{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotJson);
        assert!(err.message().contains("line 3 column"), "{}", err.message());
    }

    #[test]
    fn rejects_non_utf8() {
        let err = parse(b"{\"a\": \"\xff\"}").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotJson);
        assert!(err.message().contains("offset 7"), "{}", err.message());
    }

    #[test]
    fn depth_limit_is_exact() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err().kind(),
            ErrorKind::TooDeep
        );
        // Brackets inside strings (with escaped quotes) do not count.
        let quoted = format!(r#"{{"a": "\"{}"}}"#, "[".repeat(100));
        assert!(parse(quoted.as_bytes()).is_ok());
        // Far deeper than serde_json's own limit: refused, without exhausting the stack.
        let abyss = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse(abyss.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooDeep);
        assert!(err.message().contains("more than 128"), "{err}");
        let objects = format!("{}1{}", r#"{"a":"#.repeat(40), "}".repeat(40));
        assert!(parse(objects.as_bytes())
            .unwrap_err()
            .message()
            .contains("nests 40"));
    }
}
