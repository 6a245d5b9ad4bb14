//! A community's currencies. `xp` and `coins` are built in (migrations/0011 gives every community
//! both); a community adds its own the way it adds user fields, and mappings, balances, logs and
//! the page pick them up as data. A currency can be renamed; it can be deleted only while unused.

use hookmap_core::catalog;
use hookmap_core::ApiCode;
use serde::{Deserialize, Serialize};
use worker::{Request, Response};

use super::body::{Body, Text};
use super::fields::CatalogKey;
use super::list::Listing;
use super::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;

#[derive(Serialize, Deserialize)]
struct CurrencyRow {
    key: String,
    name: String,
    #[serde(deserialize_with = "db::flag")]
    built_in: bool,
    created_at: String,
}

request_body! {
    /// `POST .../currencies`.
    pub struct NewCurrency<'a> {
        key: CatalogKey<'a>,
        name: Option<Text<'a, 100>>,
    }
}

request_body! {
    /// `PATCH .../currencies/{key}`.
    pub struct CurrencyChange<'a> {
        name: Text<'a, 100>,
    }
}

const COLUMNS: &str = "key, name, built_in, created_at";

pub async fn create(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let body = NewCurrency::from_object(&object)?;
    let CatalogKey(key) = body.key;
    let name = body.name.map_or(key, |Text(name)| name);
    let (_, now) = db::now();
    // The cap is counted inside the INSERT, so concurrent creates cannot overshoot it.
    let inserted = db::insert_unique(
        ctx.data(cid),
        "INSERT INTO currencies (community_id, key, name, built_in, created_at)
         SELECT ?1, ?2, ?3, 0, ?4 WHERE (SELECT COUNT(*) FROM currencies WHERE community_id = ?1) < ?5",
        &crate::args![cid, key, name, &now, catalog::MAX_CURRENCIES as i64],
        |_| ApiError::conflict(ApiCode::CurrencyExists, format!("the currency {key:?} already exists")),
    )
    .await?;
    if inserted == 0 {
        return Err(ApiError::unprocessable(
            ApiCode::TooManyCurrencies,
            format!(
                "a community has at most {} currencies, xp and coins included; delete an unused one first",
                catalog::MAX_CURRENCIES
            ),
        ));
    }
    hooks::catalog_changed(ctx.env, &ctx.db, cid).await?;
    http::json(
        201,
        &CurrencyRow {
            key: key.into(),
            name: name.into(),
            built_in: false,
            created_at: now,
        },
    )
}

pub async fn list(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    Listing::of_community(&format!("SELECT {COLUMNS} FROM currencies"), "currencies")
        .ordered_by("built_in DESC, key")
        .fetch::<CurrencyRow>(ctx, ctx.data(cid), &crate::args![cid])
        .await?
        .answer_rows()
}

async fn load(ctx: &Ctx<'_>, cid: &str, key: &str) -> ApiResult<CurrencyRow> {
    db::one(
        ctx.data(cid),
        &format!("SELECT {COLUMNS} FROM currencies WHERE community_id = ?1 AND key = ?2"),
        &crate::args![cid, key],
        "this currency",
    )
    .await
}

pub async fn get(ctx: &Ctx<'_>, cid: &str, key: &str) -> ApiResult<Response> {
    http::json(200, &load(ctx, cid, key).await?)
}

/// Only the name changes: the key is what mappings, balances and logs hold.
pub async fn update(ctx: &Ctx<'_>, cid: &str, key: &str, req: &mut Request) -> ApiResult<Response> {
    // Another community's currency is a 404 whatever the body says.
    load(ctx, cid, key).await?;
    let object = http::object_body(req).await?;
    let Text(name) = CurrencyChange::from_object(&object)?.name;
    let changed = db::run_changes(
        ctx.data(cid),
        "UPDATE currencies SET name = ?3 WHERE community_id = ?1 AND key = ?2",
        &crate::args![cid, key, name],
    )
    .await?;
    if changed == 0 {
        return Err(ApiError::not_found("this currency"));
    }
    http::json(200, &load(ctx, cid, key).await?)
}

/// Deletes a currency nobody uses: not built in, no member holding any of it, no mapping naming
/// it. The three conditions are part of the DELETE itself, so a balance or mapping that appears
/// meanwhile cannot be lost; when nothing was deleted, a second read says why.
pub async fn delete(ctx: &Ctx<'_>, cid: &str, key: &str) -> ApiResult<Response> {
    #[derive(Deserialize)]
    struct Why {
        #[serde(deserialize_with = "db::flag")]
        built_in: bool,
        #[serde(deserialize_with = "db::flag")]
        unused: bool,
    }
    let why = match super::fields::delete_unless::<Why>(
        ctx,
        cid,
        key,
        &format!("DELETE FROM currencies WHERE community_id = ?1 AND key = ?2 AND built_in = 0 AND {UNUSED}"),
        &format!("SELECT built_in, {UNUSED} AS unused FROM currencies WHERE community_id = ?1 AND key = ?2"),
    )
    .await?
    {
        Ok(()) => return http::no_content(),
        Err(why) => why,
    };
    match why {
        None => Err(ApiError::not_found("this currency")),
        Some(w) if w.built_in => Err(ApiError::conflict(
            ApiCode::BuiltInCurrency,
            format!("{key:?} is built in: every community keeps it"),
        )),
        Some(w) if !w.unused => Err(ApiError::conflict(
            ApiCode::CurrencyInUse,
            format!("members hold {key:?} or a webhook's mapping names it; only an unused currency can be deleted"),
        )),
        // Deleted meanwhile by another request.
        Some(_) => Err(ApiError::not_found("this currency")),
    }
}

/// No member holds currency `?2` of community `?1` and no webhook's mapping names it.
const UNUSED: &str = "NOT EXISTS (SELECT 1 FROM balances b
                                   WHERE b.community_id = ?1 AND b.currency = ?2 AND b.amount <> 0)
   AND NOT EXISTS (SELECT 1 FROM incoming_webhooks w, json_each(w.mapping, '$.fields') f
                    WHERE w.community_id = ?1 AND w.mapping IS NOT NULL
                      AND json_extract(f.value, '$.target.currency') = ?2)";
