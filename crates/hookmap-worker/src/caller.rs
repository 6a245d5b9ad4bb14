//! Who is calling the management API: the root admin, or one community's API key.

use hookmap_core::auth;
use hookmap_core::ApiCode;
use worker::{D1Database, Env, Headers, Request};

use crate::db;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Holds the `ADMIN_TOKEN` secret: may act on every community.
    Root,
    /// Holds an API key of this community: may act on it only.
    Community(String),
}

impl Caller {
    pub async fn from_request(req: &Request, env: &Env, db: &D1Database) -> ApiResult<Self> {
        let token = bearer(req.headers())?.ok_or_else(|| {
            ApiError::unauthorized(
                ApiCode::MissingToken,
                "send the admin token or a community API key as 'Authorization: Bearer <token>'",
            )
        })?;
        let admin = env
            .secret("ADMIN_TOKEN")
            .map(|s| s.to_string())
            .or_else(|_| env.var("ADMIN_TOKEN").map(|v| v.to_string()))
            .map_err(|_| ApiError::internal("the ADMIN_TOKEN secret is not set"))?;
        if !admin.is_empty() && auth::secrets_equal(&token, &admin) {
            return Ok(Self::Root);
        }
        #[derive(serde::Deserialize)]
        struct Row {
            community_id: String,
        }
        // A key a rotation replaced works until its grace ends (`communities::rotate_key`).
        let row: Option<Row> = db::first(
            db,
            "SELECT community_id FROM api_keys WHERE key_digest = ?1
             UNION ALL
             SELECT community_id FROM api_keys WHERE previous_key_digest = ?1 AND previous_key_until > ?2
             LIMIT 1",
            &crate::args![auth::digest(&token).as_str(), &db::now().1],
        )
        .await?;
        row.map(|r| Self::Community(r.community_id)).ok_or_else(|| {
            ApiError::unauthorized(
                ApiCode::InvalidToken,
                "the token is neither the admin token nor a known API key",
            )
        })
    }

    pub fn require_root(&self) -> ApiResult<()> {
        match self {
            Self::Root => Ok(()),
            Self::Community(_) => Err(ApiError::forbidden(
                ApiCode::Forbidden,
                "only the admin token may do this",
            )),
        }
    }

    /// Another community's resources answer exactly like missing ones: a key cannot even learn
    /// what exists elsewhere.
    pub fn may_access(&self, community_id: &str) -> bool {
        match self {
            Self::Root => true,
            Self::Community(own) => own == community_id,
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &Headers) -> ApiResult<Option<String>> {
    Ok(headers.get("authorization")?.and_then(|h| {
        let (scheme, token) = h.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    }))
}
