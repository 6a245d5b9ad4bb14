//! A community's resource that every route lists, gets and loads the same way: by the community's
//! id, and by its own id within that community (another tenant's id is a 404 like a missing one).

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::Response;

use super::list::Listing;
use super::Ctx;
use crate::db;
use crate::error::ApiResult;
use crate::http;

pub trait Resource: DeserializeOwned {
    /// `SELECT <columns> FROM <table>`.
    const SELECT: &'static str;
    /// The table, for a list's count.
    const TABLE: &'static str;
    /// What a 404 names: "this incoming webhook".
    const WHAT: &'static str;

    /// The row as the API shows it.
    type Shown<'r>: Serialize
    where
        Self: 'r;

    fn shown<'r>(&'r self, ctx: &Ctx<'_>) -> ApiResult<Self::Shown<'r>>;

    /// What the community's own database adds to the directory's rows (a webhook's health):
    /// nothing, unless the resource says.
    // One thread runs a worker: no caller needs the future to be `Send`.
    #[allow(async_fn_in_trait)]
    async fn completed(_ctx: &Ctx<'_>, _cid: &str, _rows: &mut [Self]) -> ApiResult<()> {
        Ok(())
    }
}

/// Resource `id` of community `cid`, as the directory holds it: what a route checks or changes.
pub async fn load<R: Resource>(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<R> {
    db::one(
        &ctx.db,
        &format!("{} WHERE id = ?1 AND community_id = ?2", R::SELECT),
        &crate::args![id, cid],
        R::WHAT,
    )
    .await
}

/// Resource `id` of community `cid`, completed by the community's own database: what a route
/// shows. Only these read the object, so a route that only checks a webhook is the community's
/// makes no round trip to it for the webhook's health.
pub async fn load_shown<R: Resource>(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<R> {
    let mut row = load::<R>(ctx, cid, id).await?;
    R::completed(ctx, cid, std::slice::from_mut(&mut row)).await?;
    Ok(row)
}

/// `GET .../{resources}`: a page of the community's, oldest first.
pub async fn list<R: Resource>(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    let mut listed = Listing::of_community(R::SELECT, R::TABLE)
        .fetch::<R>(ctx, ctx.directory(), &crate::args![cid])
        .await?;
    R::completed(ctx, cid, &mut listed.rows).await?;
    listed.answer_each(|r| r.shown(ctx))
}

/// `GET .../{resources}/{id}`.
pub async fn get<R: Resource>(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Response> {
    http::json(200, &load_shown::<R>(ctx, cid, id).await?.shown(ctx)?)
}
