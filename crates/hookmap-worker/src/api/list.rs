//! Every list route's skeleton: `?page=&per_page=`, one page of rows and the count of them all,
//! answered in the contract's envelope (`{data, page, per_page, total}`).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::Response;

use super::Ctx;
use crate::db::{self, Arg, Db};
use crate::error::ApiResult;
use crate::http::{self, Page};

/// A list's query. The page is `{select} WHERE {filter} ORDER BY {order} LIMIT .. OFFSET ..`;
/// the total is `SELECT COUNT(*) AS n FROM {counted} WHERE {filter}`. The filter's placeholders
/// are the `args` given to [`fetch`](Self::fetch), from `?1`.
pub struct Listing<'a> {
    /// `SELECT <columns> FROM <table> [joins]`.
    pub select: &'a str,
    /// The listed table, with the alias `filter` uses if any (joins that only add columns to each
    /// row are left out of the count).
    pub counted: &'a str,
    pub filter: &'a str,
    pub order: &'a str,
}

impl<'a> Listing<'a> {
    /// A community's resources (`community_id = ?1`), oldest first, as most lists are.
    pub fn of_community(select: &'a str, counted: &'a str) -> Self {
        Self {
            select,
            counted,
            filter: "community_id = ?1",
            order: "created_at, id",
        }
    }

    /// The same rows in another order.
    pub fn ordered_by(self, order: &'a str) -> Self {
        Self { order, ..self }
    }

    /// The page's statement and the count's, for a filter with `args` placeholders.
    fn statements(&self, args: usize) -> (String, String) {
        let Self {
            select,
            counted,
            filter,
            order,
        } = self;
        (
            format!(
                "{select} WHERE {filter} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
                args + 1,
                args + 2
            ),
            format!("SELECT COUNT(*) AS n FROM {counted} WHERE {filter}"),
        )
    }

    /// Reads the page the request's query asks for (400 `invalid_query` for a bad one) and the
    /// total.
    pub async fn fetch<T: DeserializeOwned>(
        &self,
        ctx: &Ctx<'_>,
        db: Db<'_>,
        args: &[Arg<'_>],
    ) -> ApiResult<Listed<T>> {
        self.read(ctx, db, args, None).await
    }

    /// The page, its total, and the totals by status a history answers beside them.
    pub async fn fetch_with_totals<T: DeserializeOwned>(
        &self,
        ctx: &Ctx<'_>,
        db: Db<'_>,
        args: &[Arg<'_>],
        by: &ByStatus<'_>,
    ) -> ApiResult<Listed<T>> {
        self.read(ctx, db, args, Some(by)).await
    }

    async fn read<T: DeserializeOwned>(
        &self,
        ctx: &Ctx<'_>,
        db: Db<'_>,
        args: &[Arg<'_>],
        by: Option<&ByStatus<'_>>,
    ) -> ApiResult<Listed<T>> {
        let page = Page::from_url(&ctx.url)?;
        let (select, count) = self.statements(args.len());
        let mut select_args = args.to_vec();
        select_args.extend([Arg::from(page.per_page), Arg::from(page.offset())]);
        let mut statements = vec![db::stmt(&select, &select_args), db::stmt(&count, args)];
        statements.extend(by.map(|by| by.statement(self, args)));
        // One batch: one round trip to the store (a community's object is one away), and one
        // transaction, so the page, its total and the totals agree with each other.
        let outcomes = db::batch(db, statements).await?;
        let rows = db::outcome(&outcomes, 0)?.rows()?;
        let total = db::outcome(&outcomes, 1)?
            .rows::<db::Count>()?
            .first()
            .map_or(0, |c| c.n);
        let totals = match by {
            Some(by) => Some(by.totals(&db::outcome(&outcomes, 2)?.rows()?)),
            None => None,
        };
        Ok(Listed {
            rows,
            page,
            total,
            totals,
        })
    }
}

/// A history's `totals`: how many rows of each status (`names`, the values of the SQL `status`
/// expression) its filter finds, the status filter aside: what each tab of a history would list.
pub struct ByStatus<'a> {
    /// The status placeholder's index among the filter's args, from 0: left unbound, which the
    /// filter must read as "any".
    pub at: usize,
    pub status: &'a str,
    pub names: &'a [&'a str],
}

/// One status's count, as `ByStatus::statement` selects it.
#[derive(serde::Deserialize)]
struct Total {
    status: String,
    n: i64,
}

impl ByStatus<'_> {
    fn statement(&self, listing: &Listing<'_>, args: &[Arg<'_>]) -> db::Statement {
        let mut any_status = args.to_vec();
        if let Some(status) = any_status.get_mut(self.at) {
            *status = Arg::Null;
        }
        db::stmt(
            &format!(
                "SELECT {} AS status, COUNT(*) AS n FROM {} WHERE {} GROUP BY 1",
                self.status, listing.counted, listing.filter
            ),
            &any_status,
        )
    }

    /// Every name's count, 0 for those the filter did not find.
    fn totals(&self, found: &[Total]) -> BTreeMap<String, i64> {
        self.names
            .iter()
            .map(|name| {
                let n = found.iter().find(|t| t.status == *name).map_or(0, |t| t.n);
                ((*name).to_owned(), n)
            })
            .collect()
    }
}

/// One page of rows, and what its answer says beside them.
pub struct Listed<T> {
    pub rows: Vec<T>,
    page: Page,
    total: i64,
    /// `totals` beside `total`, for histories (`Listing::fetch_with_totals`).
    totals: Option<BTreeMap<String, i64>>,
}

impl<T> Listed<T> {
    /// The answer, with the rows as `data` rendered (a render that needs more reads takes `rows`
    /// out first).
    pub fn answer<S: Serialize>(&self, data: Vec<S>) -> ApiResult<Response> {
        let mut out = self.page.wrap(data, self.total);
        out.totals.clone_from(&self.totals);
        http::json(200, &out)
    }

    /// The answer, with each row rendered by `render`.
    pub fn answer_each<'r, S: Serialize>(
        &'r self,
        render: impl FnMut(&'r T) -> ApiResult<S>,
    ) -> ApiResult<Response> {
        self.answer(
            self.rows
                .iter()
                .map(render)
                .collect::<ApiResult<Vec<S>>>()?,
        )
    }

    /// The answer, with each row as it serializes.
    pub fn answer_rows(&self) -> ApiResult<Response>
    where
        T: Serialize,
    {
        self.answer_each(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_takes_the_filter_args_then_limit_and_offset_and_the_count_the_filter_alone() {
        let listing = Listing {
            select: "SELECT m.id, c.bot_name FROM messages m JOIN communities c ON c.id = m.community_id",
            counted: "messages m",
            filter: "m.channel_id = ?1 AND (?2 IS NULL OR m.topic = ?2)",
            order: "m.seq DESC",
        };
        let (select, count) = listing.statements(2);
        assert_eq!(
            select,
            "SELECT m.id, c.bot_name FROM messages m JOIN communities c ON c.id = m.community_id \
             WHERE m.channel_id = ?1 AND (?2 IS NULL OR m.topic = ?2) ORDER BY m.seq DESC LIMIT ?3 OFFSET ?4"
        );
        assert_eq!(
            count,
            "SELECT COUNT(*) AS n FROM messages m WHERE m.channel_id = ?1 AND (?2 IS NULL OR m.topic = ?2)"
        );
    }
}
