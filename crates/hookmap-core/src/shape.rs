//! The shape checks a mapping's JSON goes through, shared by its parts (the member, the rows, the
//! message): each failure is an `invalid_mapping` (or `invalid_path`) naming its place.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::path::Path;

pub(crate) fn invalid(at: &str, why: impl Into<String>) -> Error {
    let why = why.into();
    Error::new(ErrorKind::InvalidMapping, format!("{at}: {why}")).at(at)
}

pub(crate) fn object<'v>(value: &'v Value, at: &str) -> Result<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| invalid(at, "must be an object"))
}

pub(crate) fn string<'v>(value: &'v Value, at: &str) -> Result<&'v str> {
    value
        .as_str()
        .ok_or_else(|| invalid(at, "must be a string"))
}

pub(crate) fn required<'v>(obj: &'v Map<String, Value>, key: &str, at: &str) -> Result<&'v Value> {
    obj.get(key).ok_or_else(|| invalid(at, "is required"))
}

pub(crate) fn path(value: &Value, at: &str) -> Result<Path> {
    Path::parse(string(value, at)?).map_err(|e| {
        let message = format!("{at}: {}", e.message());
        Error::new(ErrorKind::InvalidPath, message).at(at)
    })
}

pub(crate) fn reject_unknown(obj: &Map<String, Value>, prefix: &str, known: &[&str]) -> Result<()> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(invalid(
            &format!("{prefix}{k}"),
            format!("unknown member; expected one of: {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}
