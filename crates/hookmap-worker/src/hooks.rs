//! Incoming webhook records as the edge needs them, read through two caches: the isolate's memory,
//! then KV.
//!
//! D1 is the source of truth. The caches only save the edge a read per delivery; neither is
//! consistent with D1 (KV is eventually consistent across locations, and other isolates keep their
//! memory), so every record carries the webhook's `version` and the apply batch refuses a success
//! planned with a stale one (see the trigger in migrations/). A cached record that leads to
//! anything but a success is read again from D1 before the sender is blamed (`Source::Cache`).
//!
//! Records are found by the SHA-256 digest of their URL's token (`hookmap_core::token`) and cached
//! under it (`hookcache`): neither D1 nor KV holds a token in clear. An unknown token is
//! remembered for a few seconds, so repeating it costs no lookup; KV failures never fail a request.

use std::collections::BTreeMap;

use hookmap_core::quota::Quota;
use hookmap_core::token;
use hookmap_core::Catalog;
use serde::Deserialize;
use worker::{D1Database, Env};

use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;
use crate::hookcache;
use crate::quotas;
use crate::secrets;

pub use crate::hookcache::{created, forget};

/// Deliveries a webhook accepts per minute unless set otherwise.
pub const DEFAULT_RATE_LIMIT: i64 = 600;

#[derive(Deserialize)]
struct HookRow {
    id: String,
    community_id: String,
    name: String,
    #[serde(deserialize_with = "db::flag")]
    enabled: bool,
    version: i64,
    api_key_digest: Option<String>,
    signing_secret: Option<String>,
    previous_signing_secret: Option<String>,
    previous_secret_until: Option<String>,
    signature_scheme: Option<String>,
    signature_settings: Option<String>,
    api_key_in: Option<String>,
    encryption: Option<String>,
    mapping: Option<String>,
    /// NULL only for a row from before migration 0008, found by its token in clear.
    token_digest: Option<String>,
    /// The community's override of the cap, if any.
    failed_payload_bytes: Option<i64>,
    on_unknown_member: Option<String>,
    /// The community's override of the held-deliveries quota, if any.
    held_deliveries: Option<i64>,
    /// The community's override of the created-members quota, if any.
    members_per_hour: Option<i64>,
    /// The community's overrides of a failing webhook's thresholds, if any.
    failing_in_a_row: Option<i64>,
    failing_window: Option<i64>,
}

#[derive(Deserialize)]
struct FieldRow {
    pub key: String,
    #[serde(rename = "type")]
    pub field_type: String,
}

#[derive(Deserialize)]
struct KeyRow {
    key: String,
}

/// Where a record came from: a cached one may be stale and is worth re-reading before blaming
/// the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Database,
}

/// The webhook whose edge URL carries `token`, or None for an unknown or malformed token.
/// `fresh` skips the caches (the record is read from D1).
pub async fn by_token(
    env: &Env,
    db: &D1Database,
    token: &str,
    fresh: bool,
) -> ApiResult<Option<(HookRecord, Source)>> {
    if !token::plausible(token) {
        return Ok(None);
    }
    let digest = token::digest(token);
    if !fresh {
        if let Some(record) = hookcache::recall(&digest) {
            return Ok(Some((record, Source::Cache)));
        }
        if hookcache::missed_recently(&digest) {
            return Ok(None);
        }
        if let Some((record, bytes)) = hookcache::kv_get(env, &digest).await {
            hookcache::remember(&digest, &record, bytes);
            return Ok(Some((record, Source::Cache)));
        }
    }
    // Rows from before migration 0008 have no digest yet: they are found by their token.
    let found = load(
        env,
        db,
        "w.token_digest = ?1 OR (w.token_digest IS NULL AND w.token = ?2)",
        &crate::args![digest.as_str(), token],
    )
    .await?;
    let Some((record, stored_digest)) = found else {
        hookcache::note_miss(&digest);
        return Ok(None);
    };
    if stored_digest.is_none() {
        seal_legacy(env, db, &record.id, token, &digest).await;
    }
    // A record over the caches' bound is cached nowhere: it is read from D1 each time.
    match hookcache::encoded(&record) {
        Some(text) => {
            hookcache::remember(&digest, &record, text.len());
            hookcache::kv_put(env, &digest, text).await;
        }
        None => hookcache::forget_here(&digest),
    }
    Ok(Some((record, Source::Database)))
}

/// The webhook `id`, read from D1 (an admin's replay: no cache, and no token needed).
pub async fn by_id(env: &Env, db: &D1Database, id: &str) -> ApiResult<Option<HookRecord>> {
    Ok(load(env, db, "w.id = ?1", &crate::args![id])
        .await?
        .map(|(record, _)| record))
}

/// The record of the webhook `filter` (a condition on `w`) selects, with its stored token digest.
async fn load(
    env: &Env,
    db: &D1Database,
    filter: &str,
    args: &[db::Arg<'_>],
) -> ApiResult<Option<(HookRecord, Option<String>)>> {
    let row: Option<HookRow> = db::first(
        db,
        &format!(
            "SELECT w.id, w.community_id, w.name, w.enabled, w.version, w.api_key_digest, w.signing_secret,
                    w.previous_signing_secret, w.previous_secret_until, w.signature_scheme, w.signature_settings, w.api_key_in, w.encryption, w.mapping, w.token_digest, q.failed_payload_bytes,
                    w.on_unknown_member, q.held_deliveries, q.members_per_hour, q.failing_in_a_row, q.failing_window
               FROM incoming_webhooks w LEFT JOIN community_quotas q ON q.community_id = w.community_id
              WHERE {filter}"
        ),
        args,
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    // The catalog is the community's own: its object's.
    let catalog = catalog_rows(Db::Community(env, &row.community_id), &row.community_id).await?;
    let record = HookRecord {
        id: row.id,
        community_id: row.community_id,
        name: row.name,
        enabled: row.enabled,
        version: row.version,
        api_key_digest: row.api_key_digest,
        signing_secret: row.signing_secret,
        previous_secret: row.previous_signing_secret,
        previous_secret_until: row.previous_secret_until,
        signature_scheme: row.signature_scheme,
        signature_settings: row.signature_settings,
        api_key_in: row.api_key_in,
        encryption: row.encryption,
        mapping: row
            .mapping
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(ApiError::internal)?,
        fields: field_types(catalog.0),
        currencies: catalog.1.into_iter().map(|c| c.key).collect(),
        failed_payload_bytes: row
            .failed_payload_bytes
            .unwrap_or_else(|| quotas::default(env, Quota::FailedPayloadBytes)),
        on_unknown_member: row.on_unknown_member,
        held_deliveries: row
            .held_deliveries
            .unwrap_or_else(|| quotas::default(env, Quota::HeldDeliveries)),
        members_per_hour: row
            .members_per_hour
            .unwrap_or_else(|| quotas::default(env, Quota::MembersPerHour)),
        failing_in_a_row: row
            .failing_in_a_row
            .unwrap_or_else(|| quotas::default(env, Quota::FailingInARow)),
        failing_window: row
            .failing_window
            .unwrap_or_else(|| quotas::default(env, Quota::FailingWindow)),
        parsed: Default::default(),
    };
    Ok(Some((record, row.token_digest)))
}

/// Trades a pre-0008 row's token in clear for its digest and sealed copy. Best effort: the
/// delivery goes on either way, and a row left as it was is sealed at its next lookup.
async fn seal_legacy(env: &Env, db: &D1Database, id: &str, token: &str, digest: &str) {
    let sealed = match secrets::seal(env, token) {
        Ok(sealed) => sealed,
        Err(e) => return hookcache::report(env, "token_not_sealed", e.message),
    };
    let result = db::run(
        db,
        "UPDATE incoming_webhooks SET token_digest = ?2, token_sealed = ?3, token = NULL
          WHERE id = ?1 AND token_digest IS NULL",
        &crate::args![id, digest, sealed.as_str()],
    )
    .await;
    if let Err(e) = result {
        hookcache::report(env, "token_not_sealed", e.message);
    }
}

/// Community `community_id`'s user fields and currencies, as rows, from its object.
async fn catalog_rows(db: Db<'_>, community_id: &str) -> ApiResult<(Vec<FieldRow>, Vec<KeyRow>)> {
    let args = crate::args![community_id];
    let results = db::batch(
        db,
        vec![
            db::stmt(
                "SELECT key, type FROM user_fields WHERE community_id = ?1",
                &args,
            ),
            db::stmt("SELECT key FROM currencies WHERE community_id = ?1", &args),
        ],
    )
    .await?;
    Ok((
        db::outcome(&results, 0)?.rows()?,
        db::outcome(&results, 1)?.rows()?,
    ))
}

/// What community `community_id` defines now (to check a mapping being saved).
pub async fn catalog_of(db: Db<'_>, community_id: &str) -> ApiResult<Catalog> {
    let (fields, currencies) = catalog_rows(db, community_id).await?;
    let fields = fields
        .iter()
        .map(|f| (f.key.as_str(), f.field_type.as_str()));
    let currencies = currencies.into_iter().map(|c| c.key);
    Ok(Catalog::new(Catalog::fields_from(fields), currencies))
}

/// After a change to a community's user fields or currencies: every webhook of it gets a new
/// version (so stale plans are refused) and loses its cached record.
pub async fn catalog_changed(env: &Env, db: &D1Database, community_id: &str) -> ApiResult<()> {
    let rows: Vec<TokenRow> = db::all(
        db,
        "UPDATE incoming_webhooks SET version = version + 1 WHERE community_id = ?1
         RETURNING token_digest, token",
        &crate::args![community_id],
    )
    .await?;
    hookcache::forget(env, &rows.iter().map(TokenRow::digest).collect::<Vec<_>>()).await;
    // The versions went up: the community's object checks deliveries against its copy of them.
    crate::community::copies::webhooks(env, db, community_id).await?;
    Ok(())
}

/// After a change to a community's quotas: its webhooks' cached records, which carry one, go.
pub async fn community_changed(env: &Env, db: &D1Database, community_id: &str) -> ApiResult<()> {
    let rows: Vec<TokenRow> = db::all(
        db,
        "SELECT token_digest, token FROM incoming_webhooks WHERE community_id = ?1",
        &crate::args![community_id],
    )
    .await?;
    hookcache::forget(env, &rows.iter().map(TokenRow::digest).collect::<Vec<_>>()).await;
    // The object reads quotas inside its own statements: it keeps a copy.
    crate::community::copies::quotas(env, db, community_id).await?;
    Ok(())
}

/// A webhook's token as D1 holds it: its digest, or (before its first lookup since migration
/// 0008) the token in clear.
#[derive(Debug, Deserialize)]
struct TokenRow {
    token_digest: Option<String>,
    token: Option<String>,
}

impl TokenRow {
    fn digest(&self) -> String {
        stored_digest(self.token_digest.as_deref(), self.token.as_deref())
    }
}

/// The digest a webhook's records are cached under, from its row's `token_digest` and `token`.
pub fn stored_digest(token_digest: Option<&str>, token: Option<&str>) -> String {
    match (token_digest, token) {
        (Some(digest), _) => digest.to_owned(),
        (None, Some(token)) => token::digest(token),
        // The CHECK of migration 0008 rules this out; an empty key matches no cache entry.
        (None, None) => String::new(),
    }
}

/// The fields' types by key. Inserted, not collected: collecting a BTreeMap sorts, and links a
/// stable sort into the edge for it.
fn field_types(rows: Vec<FieldRow>) -> BTreeMap<String, String> {
    let mut types = BTreeMap::new();
    for row in rows {
        types.insert(row.key, row.field_type);
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_row_is_cached_under_its_tokens_digest() {
        let token = "0123456789abcdef0123456789abcdef0123456789abcdef";
        let digest = token::digest(token);
        assert_eq!(stored_digest(None, Some(token)), digest);
        assert_eq!(stored_digest(Some(&digest), None), digest);
    }
}
