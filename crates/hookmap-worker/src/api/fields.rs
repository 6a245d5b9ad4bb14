//! Custom user field definitions. A field's type is fixed at creation: stored values and saved
//! mappings depend on it.

use hookmap_core::ApiCode;
use hookmap_core::{catalog, FieldType};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Request, Response};

use super::body::{Body, Member, OneOf, Text};
use super::Ctx;
use crate::api::list::Listing;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;

#[derive(Serialize, Deserialize)]
struct FieldRow {
    key: String,
    name: String,
    #[serde(rename = "type")]
    field_type: String,
    created_at: String,
}

/// The `key` of a new field or currency: plain (`hookmap_core::catalog`).
#[derive(Debug, Clone, Copy)]
pub(super) struct CatalogKey<'a>(pub &'a str);

impl<'a> Member<'a> for CatalogKey<'a> {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        let Text(key) = Text::<'a, { catalog::MAX_KEY_LEN }>::read(value, name)?;
        if !catalog::valid_key(key) {
            return Err(ApiError::invalid_field(
                name,
                format!("{key:?} must start with a-z and hold only a-z, 0-9 and _"),
            ));
        }
        Ok(Self(key))
    }
}

request_body! {
    /// `POST .../user-fields`.
    pub struct NewField<'a> {
        key: CatalogKey<'a>,
        name: Option<Text<'a, 100>>,
        r#type: OneOf<FieldType>,
    }
}

request_body! {
    /// `PATCH .../user-fields/{key}`: the type is sent only to be refused if it differs.
    pub struct FieldChange<'a> {
        name: Option<Text<'a, 100>>,
        r#type: Option<Text<'a, 16>>,
    }
}

pub async fn create(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let body = NewField::from_object(&object)?;
    let CatalogKey(key) = body.key;
    let name = body.name.map_or(key, |Text(name)| name);
    let OneOf(field_type) = body.r#type;
    let (_, now) = db::now();
    // The cap is counted inside the INSERT, so concurrent creates cannot overshoot it; a
    // community already over it (from before the cap) keeps its fields and adds none.
    let inserted = db::insert_unique(
        ctx.data(cid),
        "INSERT INTO user_fields (community_id, key, name, type, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE (SELECT COUNT(*) FROM user_fields WHERE community_id = ?1) < ?6",
        &crate::args![cid, key, name, field_type.as_str(), &now, catalog::MAX_USER_FIELDS as i64],
        |_| ApiError::conflict(ApiCode::FieldExists, format!("the field {key:?} already exists")),
    )
    .await?;
    if inserted == 0 {
        return Err(ApiError::unprocessable(
            ApiCode::TooManyUserFields,
            format!(
                "a community has at most {} user fields; delete an unused one first",
                catalog::MAX_USER_FIELDS
            ),
        ));
    }
    hooks::catalog_changed(ctx.env, &ctx.db, cid).await?;
    http::json(
        201,
        &FieldRow {
            key: key.into(),
            name: name.into(),
            field_type: field_type.as_str().into(),
            created_at: now,
        },
    )
}

pub async fn list(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    Listing {
        select: "SELECT key, name, type, created_at FROM user_fields",
        counted: "user_fields",
        filter: "community_id = ?1",
        order: "key",
    }
    .fetch::<FieldRow>(ctx, ctx.data(cid), &crate::args![cid])
    .await?
    .answer_rows()
}

async fn load(ctx: &Ctx<'_>, cid: &str, key: &str) -> ApiResult<FieldRow> {
    db::one(
        ctx.data(cid),
        "SELECT key, name, type, created_at FROM user_fields WHERE community_id = ?1 AND key = ?2",
        &crate::args![cid, key],
        "this user field",
    )
    .await
}

pub async fn update(ctx: &Ctx<'_>, cid: &str, key: &str, req: &mut Request) -> ApiResult<Response> {
    let mut row = load(ctx, cid, key).await?;
    let object = http::object_body(req).await?;
    let body = FieldChange::from_object(&object)?;
    if let Some(Text(t)) = body.r#type {
        if t != row.field_type {
            return Err(ApiError::unprocessable(
                ApiCode::ImmutableType,
                format!(
                    "a field's type cannot change ({} -> {t}); create a new field instead",
                    row.field_type
                ),
            )
            .at("type"));
        }
    }
    if let Some(Text(name)) = body.name {
        db::run(
            ctx.data(cid),
            "UPDATE user_fields SET name = ?3 WHERE community_id = ?1 AND key = ?2",
            &crate::args![cid, key, name],
        )
        .await?;
        row.name = name.to_owned();
    }
    http::json(200, &row)
}

/// Deletes a field no webhook's mapping writes. The condition is part of the DELETE itself, so a
/// mapping saved meanwhile cannot be left naming a missing field; when nothing was deleted, a
/// second read says why.
pub async fn delete(ctx: &Ctx<'_>, cid: &str, key: &str) -> ApiResult<Response> {
    #[derive(Deserialize)]
    struct Why {
        #[serde(deserialize_with = "db::flag")]
        unused: bool,
    }
    // Values go with the field (ON DELETE CASCADE); histories stay as the record of what happened.
    let why = match delete_unless::<Why>(
        ctx,
        cid,
        key,
        &format!("DELETE FROM user_fields WHERE community_id = ?1 AND key = ?2 AND {UNUSED}"),
        &format!("SELECT {UNUSED} AS unused FROM user_fields WHERE community_id = ?1 AND key = ?2"),
    )
    .await?
    {
        Ok(()) => return http::no_content(),
        Err(why) => why,
    };
    match why {
        Some(w) if !w.unused => Err(ApiError::conflict(
            ApiCode::FieldInUse,
            format!(
                "an incoming webhook's mapping writes {key:?}; remove it from the mapping first"
            ),
        )),
        // Never existed, or deleted meanwhile by another request.
        Some(_) | None => Err(ApiError::not_found("this user field")),
    }
}

/// Deletes community `cid`'s catalog entry `key` (a field, a currency) with `delete`, whose
/// conditions (unused, not built in) are part of the DELETE itself, so a use that appears
/// meanwhile cannot be lost. `Ok` when it was deleted; else what `why` reads of the entry, to say
/// which condition held it (`None`: there is no such entry).
pub(super) async fn delete_unless<Why: DeserializeOwned>(
    ctx: &Ctx<'_>,
    cid: &str,
    key: &str,
    delete: &str,
    why: &str,
) -> ApiResult<Result<(), Option<Why>>> {
    let changed = db::run_changes(ctx.data(cid), delete, &crate::args![cid, key]).await?;
    // Cascaded rows (values, zero balances) count in `changes` too: any is a delete.
    if changed > 0 {
        hooks::catalog_changed(ctx.env, &ctx.db, cid).await?;
        return Ok(Ok(()));
    }
    Ok(Err(
        db::first(ctx.data(cid), why, &crate::args![cid, key]).await?
    ))
}

/// No incoming webhook of community `?1` maps a value onto field `?2`.
const UNUSED: &str =
    "NOT EXISTS (SELECT 1 FROM incoming_webhooks w, json_each(w.mapping, '$.fields') f
                                   WHERE w.community_id = ?1 AND w.mapping IS NOT NULL
                                     AND json_extract(f.value, '$.target.field') = ?2)";
