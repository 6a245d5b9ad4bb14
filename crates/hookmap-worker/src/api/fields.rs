//! Custom user field definitions. A field's type is fixed at creation: stored values and saved
//! mappings depend on it.

use hookmap_core::vocabulary::quoted_or;
use hookmap_core::FieldType;
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Request, Response};

use super::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http::{self, Page};

#[derive(Serialize, Deserialize)]
struct FieldRow {
    key: String,
    name: String,
    #[serde(rename = "type")]
    field_type: String,
    created_at: String,
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= 64
}

pub async fn create(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let body = http::object_body(req).await?;
    http::only_known(&body, &["key", "name", "type"])?;
    let key = http::required_str(&body, "key", 64)?;
    if !valid_key(key) {
        return Err(ApiError::new(
            422,
            "invalid_field",
            format!("key: {key:?} must start with a-z and hold only a-z, 0-9 and _"),
        )
        .with_details(json!({"at": "key"})));
    }
    let name = http::optional_str(&body, "name", 100)?.unwrap_or(key);
    let type_text = http::required_str(&body, "type", 16)?;
    let field_type = FieldType::parse(type_text).ok_or_else(|| {
        ApiError::new(
            422,
            "invalid_field",
            format!(
                "type: {type_text:?} is not {}",
                quoted_or(&FieldType::NAMES)
            ),
        )
        .with_details(json!({"at": "type"}))
    })?;
    let (_, now) = db::now();
    let inserted = db::execute(db::stmt(
        &ctx.db,
        "INSERT INTO user_fields (community_id, key, name, type, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &crate::args![cid, key, name, field_type.as_str(), &now],
    )?)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if db::is_unique_violation(&e) => {
            return Err(ApiError::conflict(
                "field_exists",
                format!("the field {key:?} already exists"),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    hooks::fields_changed(ctx.env, &ctx.db, cid).await?;
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
    let page = Page::from_url(&ctx.url)?;
    let (rows, total): (Vec<FieldRow>, _) = db::paged(
        &ctx.db,
        "SELECT key, name, type, created_at FROM user_fields WHERE community_id = ?1 ORDER BY key",
        "SELECT COUNT(*) AS n FROM user_fields WHERE community_id = ?1",
        &crate::args![cid],
        &page,
    )
    .await?;
    http::json(
        200,
        &page.wrap(rows.iter().map(|r| json!(r)).collect(), total),
    )
}

async fn load(ctx: &Ctx<'_>, cid: &str, key: &str) -> ApiResult<FieldRow> {
    db::first(
        &ctx.db,
        "SELECT key, name, type, created_at FROM user_fields WHERE community_id = ?1 AND key = ?2",
        &crate::args![cid, key],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("this user field"))
}

pub async fn update(ctx: &Ctx<'_>, cid: &str, key: &str, req: &mut Request) -> ApiResult<Response> {
    let mut row = load(ctx, cid, key).await?;
    let body = http::object_body(req).await?;
    http::only_known(&body, &["name", "type"])?;
    if let Some(t) = http::optional_str(&body, "type", 16)? {
        if t != row.field_type {
            return Err(ApiError::new(
                422,
                "immutable_type",
                format!(
                    "a field's type cannot change ({} -> {t}); create a new field instead",
                    row.field_type
                ),
            )
            .with_details(json!({"at": "type"})));
        }
    }
    if let Some(name) = http::optional_str(&body, "name", 100)? {
        db::run(
            &ctx.db,
            "UPDATE user_fields SET name = ?3 WHERE community_id = ?1 AND key = ?2",
            &crate::args![cid, key, name],
        )
        .await?;
        row.name = name.to_owned();
    }
    http::json(200, &row)
}

pub async fn delete(ctx: &Ctx<'_>, cid: &str, key: &str) -> ApiResult<Response> {
    // Values go with the field (ON DELETE CASCADE); histories stay as the record of what happened.
    let changed = db::run_changes(
        &ctx.db,
        "DELETE FROM user_fields WHERE community_id = ?1 AND key = ?2",
        &crate::args![cid, key],
    )
    .await?;
    if changed == 0 {
        return Err(ApiError::not_found("this user field"));
    }
    hooks::fields_changed(ctx.env, &ctx.db, cid).await?;
    http::no_content()
}
