//! Thin helpers over D1: binding arguments, reading rows, and the ids and clock the rows carry.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::error::{ApiError, ApiResult};

/// A value bound to a `?N` placeholder.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Num(f64),
    Null,
}

/// Bound text may be a secret (a stored encryption key): Debug shows only its length.
impl std::fmt::Debug for Arg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(s) => write!(f, "Text(<{} bytes>)", s.len()),
            Self::Num(n) => write!(f, "Num({n})"),
            Self::Null => f.write_str("Null"),
        }
    }
}

impl From<&Arg<'_>> for JsValue {
    fn from(arg: &Arg<'_>) -> Self {
        match arg {
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Num(n) => JsValue::from_f64(*n),
            Arg::Null => JsValue::null(),
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
        // D1 takes JS numbers: exact up to 2^53, far beyond any bounded amount or counter here.
        Arg::Num(n as f64)
    }
}

impl From<f64> for Arg<'_> {
    fn from(n: f64) -> Self {
        Arg::Num(n)
    }
}

impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Num(if b { 1.0 } else { 0.0 })
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

pub fn stmt(db: &D1Database, sql: &str, args: &[Arg<'_>]) -> ApiResult<D1PreparedStatement> {
    let values: Vec<JsValue> = args.iter().map(JsValue::from).collect();
    Ok(db.prepare(sql).bind(&values)?)
}

pub async fn first<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    args: &[Arg<'_>],
) -> ApiResult<Option<T>> {
    trip(Store::D1);
    Ok(stmt(db, sql, args)?.first::<T>(None).await?)
}

/// The one row `sql` finds, or 404 naming `what` ("this currency"): a resource read by its id,
/// which another tenant's id does not find either.
pub async fn one<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    args: &[Arg<'_>],
    what: &str,
) -> ApiResult<T> {
    first(db, sql, args)
        .await?
        .ok_or_else(|| ApiError::not_found(what))
}

pub async fn all<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    args: &[Arg<'_>],
) -> ApiResult<Vec<T>> {
    trip(Store::D1);
    Ok(stmt(db, sql, args)?.all().await?.results::<T>()?)
}

pub async fn run(db: &D1Database, sql: &str, args: &[Arg<'_>]) -> ApiResult<()> {
    execute(stmt(db, sql, args)?).await?;
    Ok(())
}

/// Rows changed by the last statement of a `run`.
pub async fn run_changes(db: &D1Database, sql: &str, args: &[Arg<'_>]) -> ApiResult<usize> {
    let result = execute(stmt(db, sql, args)?).await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

#[derive(serde::Deserialize)]
pub struct Count {
    pub n: i64,
}

/// A flag column: SQLite keeps a boolean as 0 or 1. Every row reads its flags with
/// `#[serde(deserialize_with = "db::flag")]` (`db::optional_flag` where the column may be NULL).
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(d)? != 0)
}

pub fn optional_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.map(|n| n != 0))
}

/// The text of a D1 failure, to match constraint and trigger names against.
// worker::Error is the runtime's open set (non-exhaustive, two dozen variants): only D1's failure
// carries a cause worth adding, and every other kind is shown as its own text.
#[allow(clippy::wildcard_enum_match_arm)]
pub fn failure_text(e: &worker::Error) -> String {
    match e {
        worker::Error::D1(d1) => format!("{} {}", d1.cause(), e),
        other => other.to_string(),
    }
}

/// Runs an INSERT that a UNIQUE (or PRIMARY KEY) constraint may refuse. That refusal is the
/// caller's 409, which `conflict` makes from the failure's text (it names the constraint's columns,
/// for a table with more than one); any other failure is internal.
pub async fn insert_unique(
    db: &D1Database,
    sql: &str,
    args: &[Arg<'_>],
    conflict: impl FnOnce(&str) -> ApiError,
) -> ApiResult<usize> {
    match execute(stmt(db, sql, args)?).await {
        // An `INSERT .. SELECT .. WHERE` may insert nothing: the caller says what that means.
        Ok(result) => Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0)),
        Err(e) => Err(unique_conflict(&failure_text(&e), conflict).unwrap_or_else(|| e.into())),
    }
}

/// `conflict(text)` when a D1 failure's `text` is a UNIQUE/PRIMARY KEY violation.
fn unique_conflict(text: &str, conflict: impl FnOnce(&str) -> ApiError) -> Option<ApiError> {
    text.contains("UNIQUE constraint failed")
        .then(|| conflict(text))
}

/// `prefix_` + 32 hex digits of randomness: opaque, unguessable ids.
pub fn new_id(prefix: &str) -> ApiResult<String> {
    Ok(format!("{prefix}_{}", random_hex(16)?))
}

pub fn random_hex(bytes: usize) -> ApiResult<String> {
    let mut buf = vec![0u8; bytes];
    crate::secrets::fill_random(&mut buf)?;
    Ok(hookmap_core::auth::hex(&buf))
}

/// Now, as milliseconds since the epoch and as the RFC 3339 text stored in rows.
pub fn now() -> (u64, String) {
    let date = worker::js_sys::Date::new_0();
    (date.get_time() as u64, String::from(date.to_iso_string()))
}

/// The stored text of the instant `ms` (milliseconds since the epoch), as `now` writes it.
/// Milliseconds fit an f64 exactly until the year 287396.
pub fn iso(ms: u64) -> String {
    let date = worker::js_sys::Date::new(&worker::wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_iso_string())
}

/// The instant (milliseconds since the epoch) of a stored time, as `now` writes it; `None` when
/// the text is not one.
pub fn parse_ms(text: &str) -> Option<u64> {
    let ms = worker::js_sys::Date::parse(text);
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

/// Orders rows newest first: the millisecond clock, then randomness to break ties.
pub fn sequence(ms: u64) -> ApiResult<i64> {
    let mut buf = [0u8; 2];
    crate::secrets::fill_random(&mut buf)?;
    Ok(i64::try_from(ms).unwrap_or(i64::MAX / 1000) * 1000
        + i64::from(u16::from_le_bytes(buf) % 1000))
}

/// A store a request makes round trips to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// The directory, and today every community's data.
    D1,
    /// The webhook records' cache.
    Kv,
    /// A community's own database (its Durable Object).
    Object,
}

/// Round trips made, by store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Trips {
    pub d1: u32,
    pub kv: u32,
    pub object: u32,
}

impl Trips {
    pub fn total(self) -> u32 {
        self.d1.wrapping_add(self.kv).wrapping_add(self.object)
    }

    fn since(self, start: Self) -> Self {
        Self {
            d1: self.d1.wrapping_sub(start.d1),
            kv: self.kv.wrapping_sub(start.kv),
            object: self.object.wrapping_sub(start.object),
        }
    }
}

thread_local! {
    /// Storage round trips this isolate has made, by store. Never reset: a request reads it when
    /// it starts and when it ends (`trips_since`), so requests that overlap in one isolate do not
    /// take each other's counts away.
    static TRIPS: std::cell::Cell<Trips> = std::cell::Cell::new(Trips::default());
}

/// Counts one round trip to `store`.
pub fn trip(store: Store) {
    TRIPS.with(|t| {
        let mut trips = t.get();
        let count = match store {
            Store::D1 => &mut trips.d1,
            Store::Kv => &mut trips.kv,
            Store::Object => &mut trips.object,
        };
        *count = count.wrapping_add(1);
        t.set(trips);
    });
}

/// The isolate's counts so far, to pass to `trips_since` later.
pub fn trips() -> Trips {
    TRIPS.with(std::cell::Cell::get)
}

/// The round trips the isolate made since `start` (a `trips()` reading): all of them this
/// request's when no other request overlapped it, and at most this many otherwise. Zero means
/// the request made none.
pub fn trips_since(start: Trips) -> Trips {
    trips().since(start)
}

/// Runs one statement: one round trip. Errors stay D1's, for callers that read constraint names.
pub async fn execute(statement: D1PreparedStatement) -> worker::Result<worker::D1Result> {
    trip(Store::D1);
    statement.run().await
}

/// Runs statements as one atomic batch: one round trip.
pub async fn batch(
    db: &D1Database,
    statements: Vec<D1PreparedStatement>,
) -> worker::Result<Vec<worker::D1Result>> {
    trip(Store::D1);
    db.batch(statements).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_unique_violation_is_the_callers_conflict() {
        let conflict = |text: &str| {
            let code = if text.contains("users.email") {
                hookmap_core::ApiCode::EmailTaken
            } else {
                hookmap_core::ApiCode::UsernameTaken
            };
            ApiError::conflict(code, "taken")
        };
        let email = "D1_ERROR: UNIQUE constraint failed: users.community_id, users.email: SQLITE_CONSTRAINT";
        assert_eq!(
            unique_conflict(email, conflict).map(|e| (e.status, e.code)),
            Some((409, "email_taken"))
        );
        let name = "UNIQUE constraint failed: users.community_id, users.username";
        assert_eq!(
            unique_conflict(name, conflict).map(|e| e.code),
            Some("username_taken")
        );
        assert!(unique_conflict("CHECK constraint failed: coins >= 0", conflict).is_none());
        assert!(unique_conflict("D1_ERROR: network connection lost", conflict).is_none());
    }
}
