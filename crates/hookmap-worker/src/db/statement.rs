//! Statements built once for either store: SQL and the values of its `?N` placeholders, run by D1
//! or by a community's object (ARCHITECTURE.md, "The data plane"), and what each one gave.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::wasm_bindgen::{JsCast, JsValue};

use crate::error::{ApiError, ApiResult};

/// A value bound to a `?N` placeholder.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
    /// A field's number: one read from JSON, or its negation, so always finite.
    Num(f64),
    Null,
}

/// Bound text may be a secret (a stored encryption key): Debug shows only its length.
impl std::fmt::Debug for Arg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(s) => write!(f, "Text(<{} bytes>)", s.len()),
            Self::Int(n) => write!(f, "Int({n})"),
            Self::Num(n) => write!(f, "Num({n})"),
            Self::Null => f.write_str("Null"),
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Int(i64::from(b))
    }
}

impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// `args![a, b, c]` binds heterogeneous values in placeholder order.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { [$($crate::db::Arg::from($v)),*] };
}

/// One statement and the values of its `?N` placeholders (null, a number or a text).
#[derive(Clone, Serialize, Deserialize)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Value>,
}

/// Bound values may be secrets (a stored encryption key): Debug shows only how many there are.
impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Statement({:?}, {} args)", self.sql, self.args.len())
    }
}

/// The statement `sql` with `args` bound.
pub fn stmt(sql: &str, args: &[Arg<'_>]) -> Statement {
    let value = |arg: &Arg<'_>| match *arg {
        Arg::Text(s) => Value::from(s),
        Arg::Int(n) => Value::from(n),
        // JSON has no NaN or infinity: serde_json would make one NULL, but none reaches here.
        Arg::Num(n) => Value::from(n),
        Arg::Null => Value::Null,
    };
    Statement {
        sql: sql.to_owned(),
        args: args.iter().map(value).collect(),
    }
}

impl Statement {
    /// The values as D1 binds them: JavaScript numbers (exact up to 2^53, far beyond any bounded
    /// amount or counter here), texts and nulls.
    pub fn js_args(&self) -> Vec<JsValue> {
        self.args
            .iter()
            .map(|value| match value {
                Value::String(s) => JsValue::from_str(s),
                Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
                Value::Bool(b) => JsValue::from_f64(f64::from(u8::from(*b))),
                Value::Null | Value::Array(_) | Value::Object(_) => JsValue::null(),
            })
            .collect()
    }
}

/// What one statement of a batch gave: its rows, and the rows it changed.
///
/// The object counts the rows the statement itself changed (SQLite's `changes()`); D1 adds those
/// a cascade or a trigger changed. Callers ask whether a statement changed none or some, never
/// how many.
pub struct Outcome {
    rows: Rows,
    pub changes: usize,
}

/// Rows as JavaScript values, read into their type by the one deserializer D1 uses: D1's result,
/// or a community object's rows parsed by `JSON.parse` (community::batch).
enum Rows {
    D1(worker::D1Result),
    Js(worker::js_sys::Array),
    /// Read in the object itself (`Db::Local`).
    Values(Vec<Value>),
}

/// An outcome as a community's object answers it.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Answer {
    pub rows: Vec<Value>,
    pub changes: usize,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outcome({} changes)", self.changes)
    }
}

impl Outcome {
    pub fn of_d1(result: worker::D1Result) -> worker::Result<Self> {
        let changes = result.meta()?.and_then(|m| m.changes).unwrap_or(0);
        Ok(Self {
            rows: Rows::D1(result),
            changes,
        })
    }

    /// An object's answer to one statement, as `JSON.parse` made it: `{rows, changes}`.
    pub fn of_parsed(answer: &JsValue) -> worker::Result<Self> {
        let field = |name: &str| worker::js_sys::Reflect::get(answer, &JsValue::from_str(name));
        let rows = field("rows")?
            .dyn_into::<worker::js_sys::Array>()
            .map_err(|_| worker::Error::RustError("an answer without rows".into()))?;
        let changes = field("changes")?.as_f64().unwrap_or(0.0);
        Ok(Self {
            rows: Rows::Js(rows),
            changes: changes as usize,
        })
    }

    /// An answer the object's own storage gave (`Db::Local`).
    pub fn of_answer(answer: Answer) -> Self {
        Self {
            rows: Rows::Values(answer.rows),
            changes: answer.changes,
        }
    }

    pub fn rows<T: DeserializeOwned>(&self) -> ApiResult<Vec<T>> {
        match &self.rows {
            Rows::Values(rows) => rows
                .iter()
                .map(|row| T::deserialize(row).map_err(ApiError::internal))
                .collect(),
            Rows::D1(result) => Ok(result.results()?),
            Rows::Js(rows) => rows
                .iter()
                .map(|row| serde_wasm_bindgen::from_value(row).map_err(ApiError::internal))
                .collect(),
        }
    }

    pub fn changed(&self) -> bool {
        self.changes > 0
    }
}

/// A batch that wrote nothing, and the text that says why: a constraint's or a trigger's
/// (`hookmap:<name>`) refusal, which callers read (`apply::refusal`), or the store's failure.
#[derive(Debug)]
pub struct Failed {
    pub text: String,
    /// The answer the caller is to give as it is: the store is not taking requests now (a
    /// community's object while its data moves in: `ApiError::moving`). Boxed: rare, and large.
    pub answer: Option<Box<ApiError>>,
}

impl Failed {
    pub fn new(text: impl std::fmt::Display) -> Self {
        Self {
            text: text.to_string(),
            answer: None,
        }
    }
}

impl From<worker::Error> for Failed {
    fn from(e: worker::Error) -> Self {
        Self::new(super::failure_text(&e))
    }
}

impl From<Failed> for ApiError {
    fn from(failed: Failed) -> Self {
        match failed.answer {
            Some(answer) => *answer,
            None => ApiError::internal(failed.text),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn arguments_keep_their_kind() {
        let s = stmt(
            "?1 ?2 ?3 ?4 ?5",
            &[
                Arg::Int(7),
                Arg::Num(2.5),
                Arg::Text("t"),
                Arg::from(true),
                Arg::Null,
            ],
        );
        assert_eq!(
            s.args,
            [
                Value::from(7),
                Value::from(2.5),
                Value::from("t"),
                Value::from(1),
                Value::Null
            ]
        );
        assert!(s.args[0].is_i64(), "an integer stays an integer for SQLite");
    }

    #[test]
    fn a_statement_never_shows_its_values() {
        let s = stmt("UPDATE x SET key = ?1", &crate::args!["secret-key"]);
        assert!(!format!("{s:?}").contains("secret-key"));
        assert!(!format!("{:?}", Arg::Text("secret-key")).contains("secret-key"));
    }
}
