//! An incoming webhook as the API answers it (OpenAPI `IncomingWebhook`): its secrets only as
//! whether they are set, except in the one answer that made them.

use serde::Serialize;
use serde_json::Value;

use super::row::WebhookRow;
use super::signing;
use crate::api::replays::ShownRun;
use crate::api::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::stored::InClear;

#[derive(Serialize)]
pub struct ShownWebhook<'r> {
    id: &'r str,
    name: &'r str,
    location: &'r str,
    enabled: bool,
    url: String,
    api_key: Secret<'r>,
    api_key_in: &'r str,
    signing_secret: Secret<'r>,
    signature: Value,
    previous_secret_verifies_until: Option<&'r str>,
    rate_limit: i64,
    on_unknown_member: &'r str,
    encryption: Option<ShownEncryption>,
    mapping: Option<Value>,
    version: i64,
    created_at: &'r str,
    updated_at: &'r str,
    /// While its deliveries are failing (`hookmap_core::health`); null otherwise.
    failing: Option<Failing<'r>>,
    /// Beside a secret shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<Warning>,
    /// Saving a mapping: the caught deliveries waiting for it, and the run that replays them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_deliveries: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay: Option<ShownRun>,
}

/// A secret as an answer shows it: whether it is set, or, once, the secret itself.
#[derive(Serialize)]
#[serde(untagged)]
enum Secret<'s> {
    IsSet(bool),
    Shown(&'s str),
}

/// Why a webhook is failing, since when, and its latest failure.
#[derive(Serialize)]
struct Failing<'r> {
    since: &'r str,
    reason: &'r str,
    failures_in_a_row: i64,
    last_error: Option<&'r str>,
}

impl<'r> Failing<'r> {
    fn of(row: &'r WebhookRow) -> Option<Self> {
        Some(Self {
            since: row.failing_since.as_deref()?,
            reason: row.failing_reason.as_deref()?,
            failures_in_a_row: row.failures_in_a_row.unwrap_or(0),
            last_error: row.last_error.as_deref(),
        })
    }
}

#[derive(Serialize)]
struct ShownEncryption {
    algorithm: String,
}

/// A setting that works but that the admin should know the risk of.
#[derive(Serialize)]
struct Warning {
    code: &'static str,
    message: &'static str,
}

impl<'r> ShownWebhook<'r> {
    pub fn of(ctx: &Ctx<'_>, row: &'r WebhookRow) -> ApiResult<Self> {
        let token = match (&row.token_sealed, &row.token) {
            (Some(sealed), _) => secrets::open(ctx.env, sealed)?,
            (None, Some(token)) => token.clone(),
            (None, None) => return Err(ApiError::internal("a webhook row has no token")),
        };
        let encryption = InClear::webhook(
            row.encryption.as_deref(),
            row.encryption_algorithm.as_deref(),
        )
        .shown(ctx.env)?
        .map(|e| ShownEncryption {
            algorithm: e.algorithm,
        });
        let signature = signing::shown(
            row.signing_secret.as_deref(),
            row.signature_scheme.as_deref(),
            row.signature_settings.as_deref(),
        )?;
        Ok(Self {
            id: &row.id,
            name: &row.name,
            location: &row.location,
            enabled: row.enabled,
            url: format!("{}/hooks/{token}", ctx.url.origin),
            api_key: Secret::IsSet(row.api_key_digest.is_some()),
            api_key_in: &row.api_key_in,
            signing_secret: Secret::IsSet(row.signing_secret.is_some()),
            signature,
            previous_secret_verifies_until: signing::previous_until(row, &db::now().1),
            rate_limit: row.rate_limit,
            on_unknown_member: &row.on_unknown_member,
            encryption,
            mapping: row
                .mapping
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            version: row.version,
            created_at: &row.created_at,
            updated_at: &row.updated_at,
            failing: Failing::of(row),
            note: None,
            warnings: warnings(row),
            pending_deliveries: None,
            replay: None,
        })
    }

    /// Shows a newly generated API key or signing secret in this one answer: it is never shown
    /// again.
    pub fn revealing(mut self, api_key: Option<&'r str>, signing: Option<&'r str>) -> Self {
        if let Some(secret) = signing {
            self.signing_secret = Secret::Shown(secret);
        }
        if let Some(key) = api_key {
            self.api_key = Secret::Shown(key);
        }
        if api_key.is_some() || signing.is_some() {
            self.note = Some("store the new secrets now: they are shown only once");
        }
        self
    }

    /// A saved mapping's answer: how many caught deliveries wait, and the run replaying them.
    pub fn with_pending(mut self, waiting: i64, replay: Option<ShownRun>) -> Self {
        self.pending_deliveries = Some(waiting);
        self.replay = replay;
        self
    }
}

/// Settings that work but leave the webhook open to an outsider who learns its URL: encryption
/// keeps a payload secret, it does not tell who sent it.
fn warnings(row: &WebhookRow) -> Vec<Warning> {
    let authenticated = row.api_key_digest.is_some() || row.signing_secret.is_some();
    if authenticated || row.encryption.is_none() {
        return Vec::new();
    }
    vec![Warning {
        code: "encryption_without_authentication",
        message: "encryption is not authentication: anyone who learns this URL can send to it and \
                  replay captured bodies; add an API key (api_key: true) or a signing secret \
                  (signing_secret: true). Until then a CBC body may not choose its own IV.",
    }]
}
