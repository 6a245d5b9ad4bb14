//! Payload paths: `customer.email`, `items[0].qty`, or an RFC 6901 JSON Pointer (`/items/0/qty`).
//!
//! Paths are parsed once (when a mapping is validated) so that a bad path is reported at save time
//! with its position, and lookups at the edge never re-parse strings.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// Longest path accepted, in bytes: keeps mappings (and error messages quoting them) small.
pub const MAX_PATH_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// An object key (dot syntax).
    Key(String),
    /// An array index (`[n]` in dot syntax).
    Index(usize),
    /// A JSON Pointer reference token: an object key, or an array index when the value is an array.
    Token(String),
}

/// A parsed payload path. `Display` gives back the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    source: String,
    segments: Vec<Segment>,
}

impl Path {
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() {
            return Err(invalid(text, "a path must not be empty"));
        }
        if text.len() > MAX_PATH_LEN {
            return Err(invalid(
                text,
                &format!("a path must be at most {MAX_PATH_LEN} bytes"),
            ));
        }
        let segments = match text.strip_prefix('/') {
            Some(pointer) => parse_pointer(text, pointer)?,
            None => parse_dotted(text)?,
        };
        Ok(Self {
            source: text.to_owned(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The value at this path, or `None` when any step is missing.
    pub fn lookup<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.segments
            .iter()
            .try_fold(root, |value, segment| match (segment, value) {
                (Segment::Key(key), Value::Object(map)) => map.get(key),
                (Segment::Index(i), Value::Array(items)) => items.get(*i),
                (Segment::Token(token), Value::Object(map)) => map.get(token),
                (Segment::Token(token), Value::Array(items)) => {
                    pointer_index(token).and_then(|i| items.get(i))
                }
                _ => None,
            })
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn invalid(text: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidPath,
        format!("invalid path {text:?}: {why}"),
    )
}

fn parse_pointer(text: &str, pointer: &str) -> Result<Vec<Segment>> {
    pointer
        .split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                match (c, c == '~') {
                    (_, false) => out.push(c),
                    (_, true) => match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => {
                            return Err(invalid(
                                text,
                                "'~' must be followed by 0 or 1 in a JSON Pointer",
                            ))
                        }
                    },
                }
            }
            Ok(Segment::Token(out))
        })
        .collect()
}

/// RFC 6901: an array index is "0" or digits without a leading zero.
pub(crate) fn pointer_index(token: &str) -> Option<usize> {
    let digits = token.bytes().all(|b| b.is_ascii_digit());
    let canonical = token == "0" || !token.starts_with('0');
    (digits && canonical && !token.is_empty())
        .then(|| token.parse().ok())
        .flatten()
}

/// Dot syntax: parts separated by '.', each a key followed by any number of `[n]` indexes; only the
/// first part may be indexes alone (a payload whose root is an array).
fn parse_dotted(text: &str) -> Result<Vec<Segment>> {
    let mut segments = Vec::new();
    for (n, part) in text.split('.').enumerate() {
        let (key, mut indexes) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.contains(']') {
            return Err(invalid(text, "']' without an opening '['"));
        }
        if !key.is_empty() {
            segments.push(Segment::Key(key.to_owned()));
        } else if n > 0 || indexes.is_empty() {
            return Err(invalid(
                text,
                "empty key (two dots in a row, or a leading or trailing dot)",
            ));
        }
        while !indexes.is_empty() {
            let inner = indexes
                .strip_prefix('[')
                .ok_or_else(|| invalid(text, "expected '.' or '[' after an index"))?;
            let close = inner
                .find(']')
                .ok_or_else(|| invalid(text, "'[' without a closing ']'"))?;
            let (digits, tail) = inner.split_at(close);
            let index = Some(digits)
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<usize>().ok())
                .ok_or_else(|| {
                    invalid(
                        text,
                        &format!("{digits:?} is not an array index (digits between [ and ])"),
                    )
                })?;
            segments.push(Segment::Index(index));
            indexes = tail.get(1..).unwrap_or_default();
        }
    }
    Ok(segments)
}

/// One value the preview page offers to click: the path that finds it, the keys and indexes
/// leading to it (so the page can draw the nesting), and the value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaf<'v> {
    pub path: String,
    pub trail: Vec<Step<'v>>,
    pub value: &'v Value,
}

/// One step from a container to its child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// Every scalar (and empty container) in `root` with the path that reaches it, in document order.
/// Paths use dot syntax where every key allows it and a JSON Pointer otherwise, so each one parses
/// back and looks up the same value. A value whose path would exceed [`MAX_PATH_LEN`] cannot be
/// mapped, so it is left out rather than offered (found by fuzzing).
pub fn leaves(root: &Value) -> Vec<Leaf<'_>> {
    let mut out = Vec::new();
    let mut trail = Vec::new();
    walk(root, &mut trail, &mut out);
    out
}

fn walk<'v>(value: &'v Value, trail: &mut Vec<Step<'v>>, out: &mut Vec<Leaf<'v>>) {
    let children: Box<dyn Iterator<Item = (Step<'v>, &'v Value)>> = match value {
        Value::Object(map) if !map.is_empty() => {
            Box::new(map.iter().map(|(k, v)| (Step::Key(k), v)))
        }
        Value::Array(items) if !items.is_empty() => {
            Box::new(items.iter().enumerate().map(|(i, v)| (Step::Index(i), v)))
        }
        // A leaf: a scalar, or an empty array or object.
        Value::Null
        | Value::Bool(_)
        | Value::Number(_)
        | Value::String(_)
        | Value::Array(_)
        | Value::Object(_) => {
            let path = render(trail);
            if !trail.is_empty() && path.len() <= MAX_PATH_LEN {
                out.push(Leaf {
                    path,
                    trail: trail.clone(),
                    value,
                });
            }
            return;
        }
    };
    for (step, child) in children {
        trail.push(step);
        walk(child, trail, out);
        trail.pop();
    }
}

fn render(trail: &[Step<'_>]) -> String {
    let dot_safe = trail.iter().all(|s| match s {
        Step::Key(k) => !k.is_empty() && !k.contains(['.', '[', ']']) && !k.starts_with('/'),
        Step::Index(_) => true,
    }) && matches!(trail.first(), Some(Step::Key(_)));
    let mut text = String::new();
    for step in trail {
        match (step, dot_safe) {
            (Step::Key(k), true) if text.is_empty() => text.push_str(k),
            (Step::Key(k), true) => {
                text.push('.');
                text.push_str(k);
            }
            (Step::Index(i), true) => text.push_str(&format!("[{i}]")),
            (Step::Key(k), false) => {
                text.push('/');
                text.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            (Step::Index(i), false) => text.push_str(&format!("/{i}")),
        }
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "customer": {"email": "ada@example.com"},
            "items": [{"qty": 2}, {"qty": 5, "tags": ["a", "b"]}],
            "a/b": {"m~n": 1},
            "": {"x": 7},
            "007": "bond"
        })
    }

    fn get(path: &str) -> Option<Value> {
        Path::parse(path).unwrap().lookup(&sample()).cloned()
    }

    #[test]
    fn dotted_keys_and_indexes() {
        assert_eq!(get("customer.email"), Some(json!("ada@example.com")));
        assert_eq!(get("items[0].qty"), Some(json!(2)));
        assert_eq!(get("items[1].tags[1]"), Some(json!("b")));
        assert_eq!(get("items[2].qty"), None);
        assert_eq!(get("customer.name"), None);
        assert_eq!(get("customer[0]"), None);
        assert_eq!(get("items.qty"), None);
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        assert_eq!(get("/customer/email"), Some(json!("ada@example.com")));
        assert_eq!(get("/items/1/qty"), Some(json!(5)));
        assert_eq!(get("/a~1b/m~0n"), Some(json!(1)));
        assert_eq!(get("//x"), Some(json!(7)));
        assert_eq!(get("/007"), Some(json!("bond")));
        // Leading zeros are not array indexes.
        assert_eq!(get("/items/01/qty"), None);
    }

    #[test]
    fn leaves_list_every_scalar_with_a_path_that_finds_it() {
        let doc = sample();
        let found = leaves(&doc);
        let paths: Vec<&str> = found.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "//x",
                "007",
                "a/b.m~n",
                "customer.email",
                "items[0].qty",
                "items[1].qty",
                "items[1].tags[0]",
                "items[1].tags[1]"
            ]
        );
        for leaf in &found {
            assert_eq!(
                Path::parse(&leaf.path).unwrap().lookup(&doc),
                Some(leaf.value),
                "{}",
                leaf.path
            );
        }
        assert_eq!(
            found[5].trail,
            [Step::Key("items"), Step::Index(1), Step::Key("qty")]
        );
        assert!(leaves(&json!(5)).is_empty());
        let long = "k".repeat(MAX_PATH_LEN + 1);
        let doc = json!({"a": 1, long: 2, "b": {"/x": 3}});
        let found = leaves(&doc);
        let paths: Vec<_> = found.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(
            paths,
            ["a", "/b/~1x"],
            "a path too long to map is not offered"
        );
        assert_eq!(leaves(&json!({"e": [], "o": {}}))[0].path, "e");
    }

    #[test]
    fn display_round_trips() {
        for text in ["a.b[0].c", "/a/b~1c", "x"] {
            assert_eq!(Path::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed_paths_with_a_reason() {
        for (text, why) in [
            ("", "empty"),
            ("a..b", "empty key"),
            (".a", "empty key"),
            ("a.", "empty key"),
            ("a[", "closing"),
            ("a[x]", "not an array index"),
            ("a[-1]", "not an array index"),
            ("a[0]b", "expected '.'"),
            ("a]", "without an opening"),
            ("/a~2", "'~' must be followed"),
        ] {
            let err = Path::parse(text).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidPath, "{text}");
            assert!(err.message().contains(why), "{text}: {}", err.message());
        }
        assert!(Path::parse(&"a".repeat(MAX_PATH_LEN + 1)).is_err());
    }
}
