//! What an expression computes: JSON's kinds of value, with one exact number type. Arrays and
//! objects of the payload are read in place, never copied.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::number;

#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(Cow<'a, str>),
    /// An array or object of the payload or the headers.
    Json(&'a Value),
    List(Vec<Val<'a>>),
    /// A map literal's entries, in order (keys compared by equality).
    Map(Vec<(Val<'a>, Val<'a>)>),
}

/// Why a JSON value cannot be an expression's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InexactNumber;

impl<'a> Val<'a> {
    /// A payload value: scalars become values, arrays and objects are kept in place.
    pub fn of(json: &'a Value) -> Result<Self, InexactNumber> {
        Ok(match json {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => Self::Num(number::from_json(n).map_err(|_| InexactNumber)?),
            Value::String(s) => Self::Str(Cow::Borrowed(s)),
            Value::Array(_) | Value::Object(_) => Self::Json(json),
        })
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Num(_) => "a number",
            Self::Str(_) => "a string",
            Self::Json(Value::Array(_)) | Self::List(_) => "a list",
            Self::Json(Value::Object(_)) | Self::Map(_) => "a map",
            // `of` keeps only arrays and objects in place.
            Self::Json(_) => "a value",
        }
    }

    /// The value as JSON: numbers as [`number::to_json`] writes them.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Num(n) => number::to_json(*n),
            Self::Str(s) => Value::String(s.clone().into_owned()),
            Self::Json(json) => (*json).clone(),
            Self::List(items) => Value::Array(items.iter().map(Self::to_json).collect()),
            Self::Map(entries) => {
                // Inserted one by one: collecting would sort the entries first, and link a
                // stable sort into the page for it (3 KB gzipped). A later key wins either way.
                let mut object = Map::new();
                for (k, v) in entries {
                    object.insert(k.key_text(), v.to_json());
                }
                Value::Object(object)
            }
        }
    }

    /// A map key as JSON object keys are written: strings as they are, others as their JSON.
    fn key_text(&self) -> String {
        match self {
            Self::Str(s) => s.clone().into_owned(),
            other @ (Self::Null
            | Self::Bool(_)
            | Self::Num(_)
            | Self::Json(_)
            | Self::List(_)
            | Self::Map(_)) => other.to_json().to_string(),
        }
    }
}
