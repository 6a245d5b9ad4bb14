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
}

/// Resource `id` of community `cid`.
pub async fn load<R: Resource>(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<R> {
    db::one(
        &ctx.db,
        &format!("{} WHERE id = ?1 AND community_id = ?2", R::SELECT),
        &crate::args![id, cid],
        R::WHAT,
    )
    .await
}

/// `GET .../{resources}`: a page of the community's, oldest first.
pub async fn list<R: Resource>(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    Listing::of_community(R::SELECT, R::TABLE)
        .fetch::<R>(ctx, ctx.directory(), &crate::args![cid])
        .await?
        .answer_each(|r| r.shown(ctx))
}

/// `GET .../{resources}/{id}`.
pub async fn get<R: Resource>(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Response> {
    http::json(200, &load::<R>(ctx, cid, id).await?.shown(ctx)?)
}
