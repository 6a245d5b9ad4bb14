//! Turning request bytes into a JSON payload, with the limits an edge needs.

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// Deepest nesting of arrays and objects accepted. Real webhook payloads stay far below it; the
/// limit keeps a hostile body from costing stack or CPU.
pub const MAX_DEPTH: usize = 32;

/// Parses UTF-8 JSON, refusing nesting deeper than [`MAX_DEPTH`] before serde ever recurses.
pub fn parse(bytes: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::NotJson,
            format!(
                "the payload is not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    let depth = max_depth(text.as_bytes());
    if depth > MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::TooDeep,
            format!("the payload nests {depth} levels deep; at most {MAX_DEPTH} are allowed"),
        ));
    }
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::NotJson,
            format!(
                "the payload is not valid JSON: {} at line {} column {}",
                describe(&e),
                e.line(),
                e.column()
            ),
        )
    })
}

fn describe(e: &serde_json::Error) -> String {
    // serde_json's Display appends " at line L column C"; keep only the cause.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// The deepest bracket nesting in `bytes`, ignoring brackets inside strings. It does not validate:
/// serde does that afterwards, on input known to be shallow.
fn max_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
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
    }
}
