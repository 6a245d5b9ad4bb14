//! Message templates: plain text with `{{path}}` placeholders filled from the payload, and
//! `{{path | default: "text"}}` for values that may be absent.
//!
//! A template is parsed once, when the mapping is saved, so a syntax error is reported with its
//! position then, and rendering at the edge cannot fail on syntax. The output is plain text: nothing
//! in it is interpreted as markup, here or by the API.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::path::Path;

/// Longest template source, in characters.
pub const MAX_TEMPLATE_LEN: usize = 4000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value { path: Path, default: Option<String> },
}

/// A parsed template. `Display` gives back its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses `source`; errors name the character position (1-based) of the fault, and `at`.
    pub fn parse(source: &str, at: &str) -> Result<Self> {
        let fail = |pos: usize, why: &str| {
            Error::new(
                ErrorKind::InvalidTemplate,
                format!("{at}: {why} at character {}", pos + 1),
            )
            .at(at)
        };
        let chars = source.chars().count();
        if chars > MAX_TEMPLATE_LEN {
            return Err(Error::new(
                ErrorKind::InvalidTemplate,
                format!("{at}: the template is {chars} characters long; at most {MAX_TEMPLATE_LEN} are allowed"),
            )
            .at(at));
        }
        let mut parts = Vec::new();
        let mut rest = source;
        // Character offset of `rest` in `source`, for error positions.
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            let (text, tail) = rest.split_at(open);
            if let Some(stray) = text.find("}}") {
                let pos = offset + text.get(..stray).map_or(0, |t| t.chars().count());
                return Err(fail(pos, "\"}}\" closes no placeholder"));
            }
            if !text.is_empty() {
                parts.push(Part::Text(text.to_owned()));
            }
            let open_pos = offset + text.chars().count();
            let body_and_rest = tail.get(2..).unwrap_or_default();
            let Some(close) = body_and_rest.find("}}") else {
                return Err(fail(open_pos, "this \"{{\" is never closed with \"}}\""));
            };
            let (body, after) = body_and_rest.split_at(close);
            parts.push(placeholder(body).map_err(|why| fail(open_pos, &why))?);
            rest = after.get(2..).unwrap_or_default();
            offset = open_pos + 2 + body.chars().count() + 2;
        }
        if let Some(stray) = rest.find("}}") {
            let pos = offset + rest.get(..stray).map_or(0, |t| t.chars().count());
            return Err(fail(pos, "\"}}\" closes no placeholder"));
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The paths its placeholders read.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.parts.iter().filter_map(|part| match part {
            Part::Value { path, .. } => Some(path),
            Part::Text(_) => None,
        })
    }

    /// Fills the placeholders from `payload`. Strings go in as they are, numbers and booleans as
    /// their JSON text; a missing or null value takes the default, or fails naming its path. A
    /// text longer than `limit` fails with `message_too_long`.
    pub fn render(&self, payload: &Value, at: &str, limit: Limit<'_>) -> Result<String> {
        let mut out = String::new();
        self.render_into(payload, at, limit, &mut out)?;
        Ok(out)
    }

    /// [`Template::render`] into `out`, which never grows past `limit`: a placeholder that would
    /// take the text over it is not copied, and from then on the rest is only looked up and
    /// counted. Looking up keeps a later fault (a missing value) the error it was when the whole
    /// text was built; counting gives the error its full length. Each distinct string is counted
    /// once, so 800 placeholders of one 1 MiB value cost 1 MiB of counting, not 800.
    pub(crate) fn render_into(
        &self,
        payload: &Value,
        at: &str,
        limit: Limit<'_>,
        out: &mut String,
    ) -> Result<()> {
        // Characters of the whole text so far, written to `out` or not.
        let mut chars = 0usize;
        let mut counted: BTreeMap<(*const u8, usize), usize> = BTreeMap::new();
        for part in &self.parts {
            let piece = match part {
                Part::Text(text) => Cow::Borrowed(text.as_str()),
                Part::Value { path, default } => value(path, default.as_deref(), payload, at)?,
            };
            let room = limit.max_chars.saturating_sub(chars);
            if chars <= limit.max_chars {
                // At most `room + 1` characters are read to know whether the piece fits.
                let n = piece.chars().take(room.saturating_add(1)).count();
                if n <= room {
                    out.push_str(&piece);
                    chars += n;
                    continue;
                }
            }
            let n = match &piece {
                Cow::Borrowed(text) => *counted
                    .entry((text.as_ptr(), text.len()))
                    .or_insert_with(|| text.chars().count()),
                Cow::Owned(text) => text.chars().count(),
            };
            chars = chars.saturating_add(n);
        }
        if chars > limit.max_chars {
            return Err(limit.exceeded(chars, at));
        }
        Ok(())
    }
}

/// The text a placeholder stands for.
fn value<'a>(
    path: &Path,
    default: Option<&'a str>,
    payload: &'a Value,
    at: &str,
) -> Result<Cow<'a, str>> {
    match (path.lookup(payload), default) {
        (Some(Value::String(s)), _) => Ok(Cow::Borrowed(s)),
        (Some(Value::Number(n)), _) => Ok(Cow::Owned(n.to_string())),
        (Some(Value::Bool(b)), _) => Ok(Cow::Borrowed(if *b { "true" } else { "false" })),
        (None | Some(Value::Null), Some(default)) => Ok(Cow::Borrowed(default)),
        (None | Some(Value::Null), None) => Err(Error::new(
            ErrorKind::MissingPath,
            format!(
                "the payload has no value at {:?} for {at} (give it a default: {{{{{} | default: \"...\"}}}})",
                path.as_str(),
                path.as_str()
            ),
        )
        .at(at)),
        (Some(other), _) => Err(Error::new(
            ErrorKind::WrongType,
            format!(
                "{at} puts {:?} in the text, but it is {}, not a string, number or boolean",
                path.as_str(),
                if other.is_array() { "an array" } else { "an object" }
            ),
        )
        .at(at)),
    }
}

/// The longest a rendered text may be, and what it is called in the error.
#[derive(Debug, Clone, Copy)]
pub struct Limit<'a> {
    /// In characters (Unicode scalar values), as a person counts them, not bytes.
    pub max_chars: usize,
    /// `message` or `topic`.
    pub what: &'a str,
}

impl Limit<'_> {
    /// No limit: the whole text, however long.
    pub const NONE: Limit<'static> = Limit {
        max_chars: usize::MAX,
        what: "text",
    };

    fn exceeded(self, n: usize, at: &str) -> Error {
        let (what, max) = (self.what, self.max_chars);
        Error::new(
            ErrorKind::MessageTooLong,
            format!("the rendered {what} is {n} characters long; at most {max} are allowed"),
        )
        .at(at)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// `path` or `path | default: "text"`, with surrounding spaces.
fn placeholder(body: &str) -> std::result::Result<Part, String> {
    let (path_text, filter) = match body.split_once('|') {
        Some((p, f)) => (p.trim(), Some(f.trim())),
        None => (body.trim(), None),
    };
    if path_text.is_empty() {
        return Err("the placeholder names no path".into());
    }
    let path = Path::parse(path_text).map_err(|e| format!("bad path: {}", e.message()))?;
    let default = match filter {
        None => None,
        Some(filter) => {
            let Some(value) = filter.strip_prefix("default:") else {
                return Err(format!(
                    "unknown filter {filter:?}; the only one is default: \"text\""
                ));
            };
            Some(quoted(value.trim())?)
        }
    };
    Ok(Part::Value { path, default })
}

/// A double-quoted string with `\"` and `\\` escapes.
fn quoted(text: &str) -> std::result::Result<String, String> {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|_| text.len() >= 2)
        .ok_or_else(|| format!("the default must be a double-quoted string, not {text}"))?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                _ => return Err("in the default, \\ may only escape \" or \\".into()),
            },
            '"' => return Err("an unescaped \" inside the default (write \\\")".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, payload: Value) -> Result<String> {
        Template::parse(source, "message.template")?.render(
            &payload,
            "message.template",
            Limit::NONE,
        )
    }

    #[test]
    fn fills_placeholders_with_scalars_and_defaults() {
        let payload = json!({"user": {"name": "Ada"}, "n": 3, "ok": true, "x": null, "/odd": "p"});
        assert_eq!(
            render("{{user.name}} bought {{ n }} (paid: {{ok}}) {{x | default: \"-\"}} {{missing|default:\"none\"}} {{/~1odd}}", payload).unwrap(),
            "Ada bought 3 (paid: true) - none p"
        );
        assert_eq!(
            render("no placeholders", json!({})).unwrap(),
            "no placeholders"
        );
        assert_eq!(render("", json!({})).unwrap(), "");
        assert_eq!(
            render(r#"{{a | default: "say \"hi\" \\ bye"}}"#, json!({})).unwrap(),
            r#"say "hi" \ bye"#
        );
    }

    #[test]
    fn output_is_plain_text_taken_verbatim() {
        let out = render("<b>{{t}}</b>", json!({"t": "<script>x</script> & {{not}}"})).unwrap();
        assert_eq!(out, "<b><script>x</script> & {{not}}</b>");
    }

    #[test]
    fn render_errors_name_the_path() {
        let e = render("Hi {{user.name}}", json!({})).unwrap_err();
        assert_eq!(
            (e.kind(), e.location()),
            (ErrorKind::MissingPath, Some("message.template"))
        );
        assert!(e.message().contains("\"user.name\""), "{e}");
        let e = render("Hi {{user}}", json!({"user": {"a": 1}})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongType);
        assert!(e.message().contains("an object"), "{e}");
        let e = render("{{n}}", json!({"n": null})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingPath);
    }

    #[test]
    fn syntax_errors_give_the_position() {
        let cases = [
            ("Hello {{name", "never closed", 7),
            ("Hello {{}} there", "names no path", 7),
            ("ab {{ a..b }}", "bad path", 4),
            ("x {{a | upper}}", "unknown filter", 3),
            ("x {{a | default: none}}", "double-quoted", 3),
            ("x {{a | default: \"q\"q\"}}", "unescaped", 3),
            ("oops }} here", "closes no placeholder", 6),
            ("{{a}} then }}", "closes no placeholder", 12),
            ("é {{", "never closed", 3),
        ];
        for (source, why, position) in cases {
            let e = Template::parse(source, "message.template").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidTemplate, "{source}");
            assert_eq!(e.location(), Some("message.template"));
            assert!(e.message().contains(why), "{source}: {e}");
            assert!(
                e.message().ends_with(&format!("at character {position}")),
                "{source}: {e}"
            );
        }
        let long = "x".repeat(MAX_TEMPLATE_LEN + 1);
        assert!(Template::parse(&long, "t")
            .unwrap_err()
            .message()
            .contains("at most"));
    }

    /// Attack 7: 800 placeholders of a 1 MiB value would be 800 MiB of text. Rendering stops at
    /// the limit: the output never holds more than the limit's worth of bytes (4 per character at
    /// most), and the error still gives the full length, as it did when the text was built whole.
    #[test]
    fn rendering_stops_at_the_limit() {
        let max = 2000;
        let template = Template::parse(&"{{v}}".repeat(800), "message.template").unwrap();
        for value in [
            "x".repeat(1 << 20),
            "é".repeat(1 << 19),
            "x".repeat(max / 800 + 1),
        ] {
            let limit = Limit {
                max_chars: max,
                what: "message",
            };
            let mut out = String::new();
            let e = template
                .render_into(&json!({ "v": value }), "message.template", limit, &mut out)
                .unwrap_err();
            assert_eq!(
                (e.kind(), e.location()),
                (ErrorKind::MessageTooLong, Some("message.template"))
            );
            let n = 800 * value.chars().count();
            assert_eq!(
                e.message(),
                format!("the rendered message is {n} characters long; at most 2000 are allowed")
            );
            assert!(out.len() <= 4 * max, "{} bytes", out.len());
            assert!(out.capacity() <= 2 * 4 * max, "{} bytes", out.capacity());
        }
    }

    #[test]
    fn a_text_at_the_limit_renders_whole() {
        let template = Template::parse("{{a}}-{{b}}", "t").unwrap();
        let limit = |max_chars| Limit {
            max_chars,
            what: "message",
        };
        let payload = json!({"a": "ü".repeat(3), "b": 42});
        assert_eq!(template.render(&payload, "t", limit(6)).unwrap(), "üüü-42");
        let e = template.render(&payload, "t", limit(5)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MessageTooLong);
        assert!(
            e.message().contains("is 6 characters long; at most 5"),
            "{e}"
        );
        // A fault after the limit is passed is still the one reported, as with the whole text.
        let e = Template::parse("{{a}}{{missing}}", "t")
            .unwrap()
            .render(&payload, "t", limit(1))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingPath);
    }

    #[test]
    fn display_gives_back_the_source() {
        let source = "Order {{ order.id }} by {{who | default: \"a guest\"}}";
        assert_eq!(Template::parse(source, "t").unwrap().to_string(), source);
    }
}
