//! Communities and their API keys.

use hookmap_core::auth;
use hookmap_core::rotation::{self, DEFAULT_GRACE_HOURS};
use serde::{Deserialize, Serialize};
use worker::{Request, Response};

use super::body::{Body, GraceHours, Text};
use super::Ctx;
use crate::api::list::Listing;
use crate::caller::Caller;
use crate::community;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http;

request_body! {
    /// `POST /v1/communities`.
    pub struct NewCommunity<'a> {
        name: Text<'a, 100>,
    }
}

request_body! {
    /// `POST .../api-keys`.
    pub struct NewKey<'a> {
        name: Option<Text<'a, 100>>,
    }
}

request_body! {
    /// `POST .../api-keys/{kid}/rotate`.
    pub struct KeyRotation {
        previous_key_hours: Option<GraceHours>,
    }
}

pub async fn create(ctx: &Ctx<'_>, req: &mut Request) -> ApiResult<Response> {
    ctx.caller.require_root()?;
    let object = http::object_body(req).await?;
    let Text(name) = NewCommunity::from_object(&object)?.name;
    let id = db::new_id("com")?;
    let (_, now) = db::now();
    db::run(
        &ctx.db,
        "INSERT INTO communities (id, name, created_at) VALUES (?1, ?2, ?3)",
        &crate::args![&id, name, &now],
    )
    .await?;
    // Its own database (ARCHITECTURE.md, "The data plane"), set up before the community is
    // answered. The setup is idempotent: one that failed can simply run again.
    community::setup(ctx.env, &id, &now).await?;
    http::json(
        201,
        &Community {
            id,
            name: name.to_owned(),
            created_at: now,
        },
    )
}

#[derive(Serialize, Deserialize)]
struct Community {
    id: String,
    name: String,
    created_at: String,
}

/// Every community, oldest first like the other lists of resources. Admin token only: a key
/// must not learn which other communities exist.
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Response> {
    ctx.caller.require_root()?;
    Listing {
        select: "SELECT id, name, created_at FROM communities",
        counted: "communities",
        filter: "1",
        order: "created_at, id",
    }
    .fetch::<Community>(ctx, ctx.directory(), &[])
    .await?
    .answer_rows()
}

/// Who the token belongs to: lets a client holding only an API key find its community.
pub async fn me(ctx: &Ctx<'_>) -> ApiResult<Response> {
    /// OpenAPI `Me`: the admin token, or a community's key with its community.
    #[derive(Serialize)]
    #[serde(tag = "caller", rename_all = "lowercase")]
    enum Me {
        Admin,
        Community { community: Option<Community> },
    }
    let Caller::Community(cid) = &ctx.caller else {
        return http::json(200, &Me::Admin);
    };
    let community: Option<Community> = db::first(
        &ctx.db,
        "SELECT id, name, created_at FROM communities WHERE id = ?1",
        &crate::args![cid.as_str()],
    )
    .await?;
    http::json(200, &Me::Community { community })
}

#[derive(Serialize, Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    created_at: String,
    /// After a rotation, the replaced key also works until then; null when it does not.
    #[serde(default)]
    previous_key_verifies_until: Option<String>,
    #[serde(default)]
    rotated_at: Option<String>,
}

/// A key's columns as answers show them; `?2` is now, for the grace of a replaced key.
const KEY_COLUMNS: &str = "SELECT id, name, prefix, created_at, rotated_at,
        CASE WHEN previous_key_until > ?2 THEN previous_key_until END AS previous_key_verifies_until
   FROM api_keys";

/// A new key, shown this once.
#[derive(Serialize)]
struct NewKeyShown<'a> {
    #[serde(flatten)]
    row: KeyRow,
    key: &'a str,
    note: &'static str,
}

fn new_key() -> ApiResult<auth::Secret> {
    Ok(auth::Secret::new(format!("hmk_{}", db::random_hex(24)?)))
}

/// The first characters of a key, so that admins can tell keys apart.
fn prefix(key: &auth::Secret) -> String {
    key.expose().chars().take(12).collect()
}

pub async fn create_key(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let name = NewKey::from_object(&object)?
        .name
        .map_or("API key", |Text(name)| name);
    let id = db::new_id("key")?;
    let key = new_key()?;
    let prefix = prefix(&key);
    let (_, now) = db::now();
    db::run(
        &ctx.db,
        "INSERT INTO api_keys (id, community_id, name, prefix, key_digest, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &crate::args![&id, cid, name, &prefix, auth::digest(key.expose()).as_str(), &now],
    )
    .await?;
    let row = KeyRow {
        id,
        name: name.to_owned(),
        prefix,
        created_at: now,
        previous_key_verifies_until: None,
        rotated_at: None,
    };
    http::json(
        201,
        &NewKeyShown {
            row,
            key: key.expose(),
            note: "store this key now: it is shown only once",
        },
    )
}

pub async fn list_keys(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    let (_, now) = db::now();
    Listing {
        select: KEY_COLUMNS,
        counted: "api_keys",
        filter: "community_id = ?1 AND ?2 = ?2",
        order: "created_at, id",
    }
    .fetch::<KeyRow>(ctx, ctx.directory(), &crate::args![cid, &now])
    .await?
    .answer_rows()
}

/// `POST .../api-keys/{kid}/rotate`: a new key, shown this once, under the same id and name; the
/// key it replaces keeps working for `previous_key_hours` (24 unless sent; 0: it stops at once,
/// as after a leak), so that the systems holding it can switch without an outage. A second
/// rotation replaces the first's grace.
pub async fn rotate_key(
    ctx: &Ctx<'_>,
    cid: &str,
    kid: &str,
    req: &mut Request,
) -> ApiResult<Response> {
    let object = http::optional_object_body(req).await?;
    let hours = KeyRotation::from_object(&object)?
        .previous_key_hours
        .map_or(DEFAULT_GRACE_HOURS, |GraceHours(h)| h);
    let key = new_key()?;
    let (ms, now) = db::now();
    let until = rotation::grace_ends(ms, hours).map(db::iso);
    let changed = db::run_changes(
        &ctx.db,
        "UPDATE api_keys SET previous_key_digest = CASE WHEN ?5 IS NULL THEN NULL ELSE key_digest END,
                previous_key_until = ?5, key_digest = ?3, prefix = ?4, rotated_at = ?6
          WHERE id = ?1 AND community_id = ?2",
        &crate::args![kid, cid, auth::digest(key.expose()).as_str(), prefix(&key).as_str(), until.as_deref(), &now],
    )
    .await?;
    if changed == 0 {
        return Err(ApiError::not_found("this API key"));
    }
    let row: KeyRow = db::one(
        &ctx.db,
        &format!("{KEY_COLUMNS} WHERE id = ?1 AND community_id = ?3"),
        &crate::args![kid, &now, cid],
        "this API key",
    )
    .await?;
    http::json(
        200,
        &NewKeyShown {
            row,
            key: key.expose(),
            note: "store this key now: it is shown only once; the key it replaced works until previous_key_verifies_until",
        },
    )
}

pub async fn delete_key(ctx: &Ctx<'_>, cid: &str, kid: &str) -> ApiResult<Response> {
    let changed = db::run_changes(
        &ctx.db,
        "DELETE FROM api_keys WHERE id = ?1 AND community_id = ?2",
        &crate::args![kid, cid],
    )
    .await?;
    if changed == 0 {
        return Err(ApiError::not_found("this API key"));
    }
    http::no_content()
}

/// `POST .../move`: one call's worth of moving the community's data from the directory into its
/// own database (`community::moving`): where the move stands. Admin token only.
pub async fn move_step(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    ctx.caller.require_root()?;
    let report = community::moving::step(ctx.env, &ctx.db, cid).await?;
    http::json(200, &report)
}
