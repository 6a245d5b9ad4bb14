//! An incoming webhook's row as the management API reads it, and the one check that the caller's
//! community owns it (`load`), which the history, replays and the webhook routes share.

use serde::Deserialize;

use crate::api::resource;
use crate::api::Ctx;
use crate::db;
use crate::error::ApiResult;
use crate::hooks;

#[derive(Deserialize)]
pub struct WebhookRow {
    pub id: String,
    /// How D1 holds the URL's token: digested and sealed (or, for a row from before migration
    /// 0008 not yet looked up, in clear).
    pub token: Option<String>,
    pub token_digest: Option<String>,
    pub token_sealed: Option<String>,
    pub name: String,
    pub location: String,
    #[serde(deserialize_with = "db::flag")]
    pub enabled: bool,
    pub api_key_digest: Option<String>,
    pub signing_secret: Option<String>,
    /// The secret a rotation replaced (sealed), and until when it verifies (`signing::previous`).
    pub previous_signing_secret: Option<String>,
    pub previous_secret_until: Option<String>,
    pub signature_scheme: Option<String>,
    pub signature_settings: Option<String>,
    pub api_key_in: String,
    /// `OnUnknownMember`: what a delivery for a member who has not joined does.
    pub on_unknown_member: String,
    pub rate_limit: i64,
    pub encryption: Option<String>,
    /// The algorithm of `encryption`, in clear (NULL in a row sealed before migration 0012).
    pub encryption_algorithm: Option<String>,
    pub mapping: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// While the webhook is failing (`hookmap_core::health`): since when, why, its streak and
    /// the latest failure's code; all NULL otherwise.
    pub failing_since: Option<String>,
    pub failing_reason: Option<String>,
    pub failures_in_a_row: Option<i64>,
    pub last_error: Option<String>,
}

impl WebhookRow {
    /// The digest its records are cached under.
    pub(super) fn digest(&self) -> String {
        hooks::stored_digest(self.token_digest.as_deref(), self.token.as_deref())
    }
}

/// The directory's columns; the health ones are filled from the community's own database
/// ([`failing`]).
pub(super) const SELECT: &str = "SELECT id, token, token_digest, token_sealed, name, location, enabled, api_key_digest, signing_secret, previous_signing_secret, previous_secret_until, signature_scheme, signature_settings, api_key_in, on_unknown_member, rate_limit, encryption, encryption_algorithm, mapping, version, created_at, updated_at,
                               NULL AS failing_since, NULL AS failing_reason, NULL AS failures_in_a_row, NULL AS last_error
                        FROM incoming_webhooks";

/// Fills in, from community `cid`'s own database, the health of those of `rows` that are failing.
pub(super) async fn failing(ctx: &Ctx<'_>, cid: &str, rows: &mut [WebhookRow]) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Failing {
        webhook_id: String,
        failing_since: Option<String>,
        failing_reason: Option<String>,
        failures_in_a_row: Option<i64>,
        last_error: Option<String>,
    }
    if rows.is_empty() {
        return Ok(());
    }
    let found: Vec<Failing> = db::all(
        ctx.data(cid),
        "SELECT webhook_id, failing_since, failing_reason, failures_in_a_row, last_error
           FROM incoming_webhook_health WHERE community_id = ?1 AND failing = 1",
        &crate::args![cid],
    )
    .await?;
    for f in found {
        if let Some(row) = rows.iter_mut().find(|r| r.id == f.webhook_id) {
            row.failing_since = f.failing_since;
            row.failing_reason = f.failing_reason;
            row.failures_in_a_row = f.failures_in_a_row;
            row.last_error = f.last_error;
        }
    }
    Ok(())
}

/// The webhook as the directory holds it, without its health: a route that checks or changes it.
pub async fn load(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<WebhookRow> {
    resource::load(ctx, cid, id).await
}

/// The webhook with its health: a route that shows it.
pub async fn load_shown(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<WebhookRow> {
    resource::load_shown(ctx, cid, id).await
}
