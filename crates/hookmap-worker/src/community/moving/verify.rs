//! A move's check before the community goes live: every table's row count and every currency's
//! balance sum, directory against object.

use serde::Deserialize;
use worker::{D1Database, Env};

use super::{Moved, Report, TABLES};
use crate::community::place;
use crate::db::{self, Statement};
use crate::error::ApiResult;

#[derive(Deserialize)]
pub(super) struct Count {
    n: i64,
}

#[derive(Deserialize)]
struct Sum {
    currency: String,
    total: i64,
}

/// Compares row counts and balance sums, directory against object.
pub(super) async fn verify(
    env: &Env,
    d1: &D1Database,
    cid: &str,
    report: &mut Report,
) -> ApiResult<()> {
    let counted: Vec<Statement> = TABLES
        .iter()
        .map(|t| db::stmt(&format!("SELECT COUNT(*) AS n FROM {}", t.name), &[]))
        .chain(std::iter::once(db::stmt(
            "SELECT currency, SUM(amount) AS total FROM balances GROUP BY currency",
            &[],
        )))
        .collect();
    let object = place(env, cid, &counted).await?;
    for (table, outcome) in TABLES.iter().zip(&object) {
        let directory = in_directory(d1, cid, *table).await?;
        let here = outcome
            .rows::<Count>()?
            .into_iter()
            .next()
            .map_or(0, |c| c.n);
        if directory != here {
            report.mismatches.push(format!(
                "{}: {directory} rows in the directory, {here} in the object",
                table.name
            ));
        }
        report.counts.insert(table.name, [directory, here]);
    }
    let directory: Vec<Sum> = db::all(
        d1,
        "SELECT currency, SUM(amount) AS total FROM balances WHERE community_id = ?1 GROUP BY currency",
        &crate::args![cid],
    )
    .await?;
    let here: Vec<Sum> = match object.last() {
        Some(outcome) => outcome.rows()?,
        None => Vec::new(),
    };
    for sum in &directory {
        report
            .balances
            .entry(sum.currency.clone())
            .or_insert([0, 0])[0] = sum.total;
    }
    for sum in &here {
        report
            .balances
            .entry(sum.currency.clone())
            .or_insert([0, 0])[1] = sum.total;
    }
    for (currency, [directory, here]) in &report.balances {
        if directory != here {
            report.mismatches.push(format!(
                "{currency}: balances sum to {directory} in the directory, {here} in the object"
            ));
        }
    }
    Ok(())
}

/// How many of community `cid`'s rows of `table` the directory holds.
pub(super) async fn in_directory(d1: &D1Database, cid: &str, table: Moved) -> ApiResult<i64> {
    let count: Option<Count> = db::first(
        d1,
        &format!(
            "SELECT COUNT(*) AS n FROM {} WHERE {}",
            table.name,
            table.filter()
        ),
        &crate::args![cid],
    )
    .await?;
    Ok(count.map_or(0, |c| c.n))
}
