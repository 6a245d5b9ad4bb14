//! Where statements run and how their rows are read: the directory (D1) or a community's own
//! database (its Durable Object), with the same statements on either (ARCHITECTURE.md, "The data
//! plane"); and the ids and clock the rows carry.

mod stamps;
mod statement;
mod trips;

use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use worker::{D1Database, D1PreparedStatement, Env};

pub use stamps::{iso, new_id, now, parse_ms, random_hex, sequence};
pub use statement::{stmt, Answer, Arg, Failed, Outcome, Statement};
pub use trips::{trip, trips, trips_since, Store, Trips};

use crate::error::{ApiError, ApiResult};

/// Where a statement runs.
#[derive(Clone, Copy)]
pub enum Db<'a> {
    /// The directory: communities, keys, settings, quotas; and the data of a community that has
    /// not moved to its object.
    Directory(&'a D1Database),
    /// Community `cid`'s own database, reached through its object's stub.
    Community(&'a Env, &'a str),
    /// The community's database as its own object holds it: no round trip.
    #[cfg(feature = "api")]
    Local(&'a worker::Storage),
}

impl<'a> Db<'a> {
    /// The directory's database, when that is where statements run: D1 reads rows its own way.
    fn d1(self) -> Option<&'a D1Database> {
        match self {
            Db::Directory(d1) => Some(d1),
            Db::Community(..) => None,
            #[cfg(feature = "api")]
            Db::Local(_) => None,
        }
    }
}

impl<'a> From<&'a D1Database> for Db<'a> {
    fn from(d1: &'a D1Database) -> Self {
        Db::Directory(d1)
    }
}

fn prepared(d1: &D1Database, statement: &Statement) -> worker::Result<D1PreparedStatement> {
    d1.prepare(&statement.sql).bind(&statement.js_args())
}

/// Runs `statements` as one transaction, in one round trip: every statement's outcome, or the
/// failure that wrote nothing.
pub async fn batch<'a>(
    db: impl Into<Db<'a>>,
    statements: Vec<Statement>,
) -> Result<Vec<Outcome>, Failed> {
    run_batch(db.into(), statements).await
}

/// What a round trip's future is: boxed, so that each store's code is compiled once rather than
/// into every caller's future (the edge's size: BENCHMARKS.md).
type Trip<'a, T> = Pin<Box<dyn Future<Output = Result<T, Failed>> + 'a>>;

fn run_batch(db: Db<'_>, statements: Vec<Statement>) -> Trip<'_, Vec<Outcome>> {
    Box::pin(async move {
        match db {
            Db::Directory(d1) => {
                let prepared = statements
                    .iter()
                    .map(|s| prepared(d1, s))
                    .collect::<worker::Result<Vec<_>>>()?;
                trip(Store::D1);
                let results = d1.batch(prepared).await?;
                Ok(results
                    .into_iter()
                    .map(Outcome::of_d1)
                    .collect::<worker::Result<_>>()?)
            }
            Db::Community(env, cid) => crate::community::batch(env, cid, &statements).await,
            #[cfg(feature = "api")]
            Db::Local(storage) => Ok(crate::community::batch::run(storage, statements)
                .await?
                .into_iter()
                .map(Outcome::of_answer)
                .collect()),
        }
    })
}

/// Runs one statement: its outcome, or the failure whose text names a refused constraint.
fn execute(db: Db<'_>, statement: Statement) -> Trip<'_, Outcome> {
    Box::pin(async move {
        match db {
            Db::Directory(d1) => {
                let prepared = prepared(d1, &statement)?;
                trip(Store::D1);
                let result = prepared.run().await?;
                Ok(Outcome::of_d1(result)?)
            }
            #[cfg(feature = "api")]
            Db::Local(_) => run_one(db, statement).await,
            Db::Community(..) => run_one(db, statement).await,
        }
    })
}

/// One statement in a community's database, as a batch of one.
async fn run_one(db: Db<'_>, statement: Statement) -> Result<Outcome, Failed> {
    let mut outcomes = run_batch(db, vec![statement]).await?;
    outcomes
        .pop()
        .ok_or_else(|| Failed::new("the object answered no outcome"))
}

/// Statement `i`'s outcome in a batch's answer: every statement has one, so a missing one is the
/// store's fault.
pub fn outcome(outcomes: &[Outcome], i: usize) -> ApiResult<&Outcome> {
    outcomes
        .get(i)
        .ok_or_else(|| ApiError::internal("a batch answered fewer outcomes than its statements"))
}

pub async fn first<'a, T: DeserializeOwned>(
    db: impl Into<Db<'a>>,
    sql: &str,
    args: &[Arg<'_>],
) -> ApiResult<Option<T>> {
    let statement = stmt(sql, args);
    let db = db.into();
    match db.d1() {
        Some(d1) => {
            trip(Store::D1);
            Ok(prepared(d1, &statement)?.first::<T>(None).await?)
        }
        None => Ok(execute(db, statement).await?.rows()?.into_iter().next()),
    }
}

/// The one row `sql` finds, or 404 naming `what` ("this currency"): a resource read by its id,
/// which another tenant's id does not find either.
pub async fn one<'a, T: DeserializeOwned>(
    db: impl Into<Db<'a>>,
    sql: &str,
    args: &[Arg<'_>],
    what: &str,
) -> ApiResult<T> {
    first(db, sql, args)
        .await?
        .ok_or_else(|| ApiError::not_found(what))
}

pub async fn all<'a, T: DeserializeOwned>(
    db: impl Into<Db<'a>>,
    sql: &str,
    args: &[Arg<'_>],
) -> ApiResult<Vec<T>> {
    let statement = stmt(sql, args);
    let db = db.into();
    match db.d1() {
        Some(d1) => {
            trip(Store::D1);
            Ok(prepared(d1, &statement)?.all().await?.results::<T>()?)
        }
        None => execute(db, statement).await?.rows(),
    }
}

pub async fn run<'a>(db: impl Into<Db<'a>>, sql: &str, args: &[Arg<'_>]) -> ApiResult<()> {
    execute(db.into(), stmt(sql, args)).await?;
    Ok(())
}

/// The rows the statement changed (see [`Outcome`] for what each store counts).
pub async fn run_changes<'a>(
    db: impl Into<Db<'a>>,
    sql: &str,
    args: &[Arg<'_>],
) -> ApiResult<usize> {
    Ok(execute(db.into(), stmt(sql, args)).await?.changes)
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
/// for a table with more than one); any other failure is internal. The rows it inserted: an
/// `INSERT .. SELECT .. WHERE` may insert none, and the caller says what that means.
pub async fn insert_unique<'a>(
    db: impl Into<Db<'a>>,
    sql: &str,
    args: &[Arg<'_>],
    conflict: impl FnOnce(&str) -> ApiError,
) -> ApiResult<usize> {
    match execute(db.into(), stmt(sql, args)).await {
        Ok(outcome) => Ok(outcome.changes),
        Err(failed) => {
            Err(unique_conflict(&failed.text, conflict).unwrap_or_else(|| failed.into()))
        }
    }
}

/// `conflict(text)` when a D1 failure's `text` is a UNIQUE/PRIMARY KEY violation.
fn unique_conflict(text: &str, conflict: impl FnOnce(&str) -> ApiError) -> Option<ApiError> {
    text.contains("UNIQUE constraint failed")
        .then(|| conflict(text))
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
