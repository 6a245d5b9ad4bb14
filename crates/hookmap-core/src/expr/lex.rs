//! Expression text -> tokens, each with its character offset (what an error points at).

use rust_decimal::Decimal;

use super::number;
use super::Fault;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Num(Decimal),
    Str(String),
    Ident(String),
    True,
    False,
    Null,
    In,
    /// Punctuation and operators, as written.
    Punct(&'static str),
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// Character (not byte) offsets of the token's text: `[at, end)`.
    pub at: usize,
    pub end: usize,
}

/// Longest first: "<=" before "<".
const PUNCT: [&str; 24] = [
    "&&", "||", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "!", "-",
    "+", "*", "/", "%", "<", ">",
];

pub(super) fn tokens(text: &str) -> Result<Vec<Token>, Fault> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().enumerate().peekable();
    while let Some(&(at, (byte, c))) = chars.peek() {
        let rest = text.get(byte..).unwrap_or("");
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let (tok, len) = if c.is_ascii_digit() {
            let len = rest
                .char_indices()
                .find(|&(i, c)| !number_char(rest, i, c))
                .map_or(rest.len(), |(i, _)| i);
            let text = rest.get(..len).unwrap_or("");
            let value = number::parse(text).map_err(|why| {
                let what = match why {
                    number::NotANumber::Syntax => "is not a number",
                    number::NotANumber::Range => "is out of range",
                };
                Fault::syntax(at, format!("{text:?} {what}"))
            })?;
            (Tok::Num(value), text.chars().count())
        } else if c.is_ascii_alphabetic() || c == '_' {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let word = rest.get(..len).unwrap_or("");
            let tok = match word {
                "true" => Tok::True,
                "false" => Tok::False,
                "null" => Tok::Null,
                "in" => Tok::In,
                _ => Tok::Ident(word.to_owned()),
            };
            (tok, len)
        } else if c == '"' || c == '\'' {
            let (value, len) = string(rest, at)?;
            (Tok::Str(value), len)
        } else if let Some(p) = PUNCT.iter().find(|p| rest.starts_with(**p)) {
            (Tok::Punct(p), p.len())
        } else {
            return Err(Fault::syntax(at, format!("unexpected character {c:?}")));
        };
        out.push(Token {
            tok,
            at,
            end: at + len,
        });
        for _ in 0..len {
            chars.next();
        }
    }
    let end = text.chars().count();
    out.push(Token {
        tok: Tok::End,
        at: end,
        end,
    });
    Ok(out)
}

/// Digits, one '.', and an exponent with its sign: "1.5e-3". A '.' followed by a letter ends the
/// number ("items.0" never lexes, but "1.size()" would read as a method on 1).
fn number_char(text: &str, i: usize, c: char) -> bool {
    let prev = i
        .checked_sub(1)
        .and_then(|p| text.as_bytes().get(p).copied());
    let next = text.as_bytes().get(i + 1).copied();
    c.is_ascii_digit()
        || (c == '.' && next.is_some_and(|b| b.is_ascii_digit()))
        || c == 'e'
        || c == 'E'
        || ((c == '-' || c == '+') && matches!(prev, Some(b'e' | b'E')))
}

/// A quoted string from its opening quote: its value and its length in characters.
fn string(text: &str, at: usize) -> Result<(String, usize), Fault> {
    let mut chars = text.chars();
    let quote = chars.next().unwrap_or('"');
    let mut out = String::new();
    let mut len = 1;
    loop {
        let Some(c) = chars.next() else {
            return Err(Fault::syntax(at, "the string is not closed"));
        };
        len += 1;
        match c {
            c if c == quote => return Ok((out, len)),
            '\\' => {
                // Where the escape starts (its backslash): what a bad one points at, however
                // little of it there is before the text ends.
                let escape_at = at + len - 1;
                let escaped = chars.next().unwrap_or(' ');
                len += 1;
                out.push(match escaped {
                    '\\' | '"' | '\'' => escaped,
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        len += hex.chars().count();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)
                            .and_then(char::from_u32)
                            .ok_or_else(|| {
                                Fault::syntax(escape_at, format!("\\u{hex} is not a character"))
                            })?
                    }
                    other => {
                        return Err(Fault::syntax(
                            escape_at,
                            format!("unknown escape \\{other}"),
                        ))
                    }
                });
            }
            c => out.push(c),
        }
    }
}
