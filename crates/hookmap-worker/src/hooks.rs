//! Incoming webhook records as the edge needs them, read through two caches: the isolate's memory,
//! then KV.
//!
//! D1 is the source of truth. The caches only save the edge a read per delivery; neither is
//! consistent with D1 (KV is eventually consistent across locations, and other isolates keep their
//! memory), so every record carries the webhook's `version` and the apply batch refuses a success
//! planned with a stale one (see the trigger in migrations/). A cached record that leads to
//! anything but a success is read again from D1 before the sender is blamed (`Source::Cache`).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use hookmap_core::{mapping, Algorithm, Encryption, FieldTypes, Mapping};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{D1Database, Env};

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::secrets;

/// Deliveries a webhook accepts per minute unless set otherwise.
pub const DEFAULT_RATE_LIMIT: i64 = 600;

/// Seconds a cached record may serve before it is read from D1 again.
const CACHE_TTL: u64 = 300;

/// Milliseconds a record stays in an isolate's memory, and how many it holds. An isolate serves
/// many requests in a row, so a hot webhook costs no lookup at all; the bound keeps a flood of
/// distinct tokens from growing the isolate.
const MEMORY_TTL_MS: u64 = 60_000;
const MEMORY_ENTRIES: usize = 512;

thread_local! {
    static MEMORY: RefCell<HashMap<String, (u64, HookRecord)>> = RefCell::new(HashMap::new());
}

fn remember(token: &str, record: &HookRecord) {
    let expires = worker::Date::now().as_millis() + MEMORY_TTL_MS;
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMORY_ENTRIES {
            m.clear();
        }
        m.insert(token.to_owned(), (expires, record.clone()));
    });
}

fn recall(token: &str) -> Option<HookRecord> {
    let now = worker::Date::now().as_millis();
    MEMORY.with(|m| {
        m.borrow()
            .get(token)
            .filter(|(expires, _)| *expires > now)
            .map(|(_, record)| record.clone())
    })
}

#[derive(Clone, Serialize, Deserialize)]
pub struct StoredEncryption {
    pub algorithm: String,
    pub key: String,
    pub iv: String,
}

impl std::fmt::Debug for StoredEncryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEncryption")
            .field("algorithm", &self.algorithm)
            .field("key", &"<redacted>")
            .field("iv", &"<redacted>")
            .finish()
    }
}

impl StoredEncryption {
    /// Opens a sealed stored value (see `secrets`).
    pub fn open(env: &Env, sealed: &str) -> ApiResult<Self> {
        serde_json::from_str(&secrets::open(env, sealed)?).map_err(ApiError::internal)
    }

    pub fn to_core(&self) -> ApiResult<Encryption> {
        let algorithm = Algorithm::parse(&self.algorithm).ok_or_else(|| {
            ApiError::internal(format!("stored algorithm {:?} is unknown", self.algorithm))
        })?;
        Encryption::new(algorithm, &self.key, &self.iv).map_err(ApiError::internal)
    }
}

/// Everything the edge needs to process a delivery for one webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HookRecord {
    pub id: String,
    pub community_id: String,
    pub name: String,
    pub enabled: bool,
    pub version: i64,
    pub api_key_digest: Option<String>,
    /// The Standard Webhooks signing secret, sealed; when set, requests must be signed.
    #[serde(default)]
    pub signing_secret: Option<String>,
    /// Sealed under SECRETS_KEY, as in D1: the KV cache never holds a key in clear.
    pub encryption: Option<String>,
    pub mapping: Option<Value>,
    /// The community's user fields (key -> type) at this version.
    pub fields: BTreeMap<String, String>,
}

impl HookRecord {
    pub fn field_types(&self) -> FieldTypes {
        mapping::field_types(self.fields.iter().map(|(k, t)| (k.as_str(), t.as_str())))
    }

    /// The stored mapping, re-validated against the current fields (a field may have been deleted
    /// since the mapping was saved: that is the sender's 422, not a 500).
    pub fn mapping(&self) -> Option<Result<Mapping, hookmap_core::Error>> {
        self.mapping
            .as_ref()
            .map(|m| Mapping::parse(m, &self.field_types()))
    }
}

#[derive(Deserialize)]
struct HookRow {
    id: String,
    community_id: String,
    name: String,
    enabled: i64,
    version: i64,
    api_key_digest: Option<String>,
    signing_secret: Option<String>,
    encryption: Option<String>,
    mapping: Option<String>,
}

#[derive(Deserialize)]
pub struct FieldRow {
    pub key: String,
    #[serde(rename = "type")]
    pub field_type: String,
}

fn cache_key(token: &str) -> String {
    format!("hook:{token}")
}

/// Where a record came from: a cached one may be stale and is worth re-reading before blaming
/// the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Database,
}

pub async fn by_token(
    env: &Env,
    db: &D1Database,
    token: &str,
    fresh: bool,
) -> ApiResult<Option<(HookRecord, Source)>> {
    let kv = env.kv("CACHE")?;
    if !fresh {
        if let Some(record) = recall(token) {
            return Ok(Some((record, Source::Cache)));
        }
        db::trip();
        let cached = kv
            .get(&cache_key(token))
            .text()
            .await
            .map_err(ApiError::internal)?;
        if let Some(record) = cached.and_then(|text| serde_json::from_str::<HookRecord>(&text).ok())
        {
            remember(token, &record);
            return Ok(Some((record, Source::Cache)));
        }
    }
    let results = db::batch(db, vec![
            db::stmt(
                db,
                "SELECT id, community_id, name, enabled, version, api_key_digest, signing_secret, encryption, mapping
                   FROM incoming_webhooks WHERE token = ?1",
                &crate::args![token],
            )?,
            db::stmt(
                db,
                "SELECT f.key, f.type FROM user_fields f JOIN incoming_webhooks w ON w.community_id = f.community_id
                  WHERE w.token = ?1",
                &crate::args![token],
            )?,
        ])
        .await?;
    let (Some(hook_rows), Some(field_rows)) = (results.first(), results.get(1)) else {
        return Err(ApiError::internal(
            "D1 batch returned fewer results than statements",
        ));
    };
    let Some(row) = hook_rows.results::<HookRow>()?.into_iter().next() else {
        return Ok(None);
    };
    let record = HookRecord {
        id: row.id,
        community_id: row.community_id,
        name: row.name,
        enabled: row.enabled != 0,
        version: row.version,
        api_key_digest: row.api_key_digest,
        signing_secret: row.signing_secret,
        encryption: row.encryption,
        mapping: row
            .mapping
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(ApiError::internal)?,
        fields: field_rows
            .results::<FieldRow>()?
            .into_iter()
            .map(|f| (f.key, f.field_type))
            .collect(),
    };
    let text = serde_json::to_string(&record).map_err(ApiError::internal)?;
    db::trip();
    kv.put(&cache_key(token), text)
        .map_err(ApiError::internal)?
        .expiration_ttl(CACHE_TTL)
        .execute()
        .await
        .map_err(ApiError::internal)?;
    remember(token, &record);
    Ok(Some((record, Source::Database)))
}

/// Drops cached records so this isolate and location see a change at once (others within their
/// TTLs, and the version check keeps them from applying anything stale meanwhile).
pub async fn forget(env: &Env, tokens: &[String]) -> ApiResult<()> {
    let kv = env.kv("CACHE")?;
    for token in tokens {
        MEMORY.with(|m| m.borrow_mut().remove(token));
        db::trip();
        kv.delete(&cache_key(token))
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(())
}

/// After a change to a community's user fields: every webhook of it gets a new version (so stale
/// plans are refused) and loses its cached record.
pub async fn fields_changed(env: &Env, db: &D1Database, community_id: &str) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Token {
        token: String,
    }
    let tokens: Vec<Token> = db::all(
        db,
        "UPDATE incoming_webhooks SET version = version + 1 WHERE community_id = ?1 RETURNING token",
        &crate::args![community_id],
    )
    .await?;
    forget(
        env,
        &tokens.into_iter().map(|t| t.token).collect::<Vec<_>>(),
    )
    .await
}
