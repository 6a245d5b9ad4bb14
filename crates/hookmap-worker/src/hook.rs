//! A webhook record: everything the edge needs to process a delivery for one webhook, as D1
//! gives it and the caches (`hookcache`) keep it.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use hookmap_core::auth::ApiKeyPlace;
use hookmap_core::joining::OnUnknownMember;
use hookmap_core::needs::Needs;
use hookmap_core::quota::Quota;
use hookmap_core::{rotation, Catalog, Mapping, Profile};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HookRecord {
    pub id: String,
    pub community_id: String,
    pub name: String,
    pub enabled: bool,
    pub version: i64,
    pub api_key_digest: Option<String>,
    /// The signing secret, sealed; when set, requests must be signed by the scheme below.
    #[serde(default)]
    pub signing_secret: Option<String>,
    /// The secret a rotation replaced, sealed, and until when (ISO 8601, UTC) it verifies beside
    /// the new one; absent in older cached records.
    #[serde(default)]
    pub previous_secret: Option<String>,
    #[serde(default)]
    pub previous_secret_until: Option<String>,
    /// The signature scheme and its settings as stored (`signature_scheme`, `signature_settings`);
    /// records cached before migration 0021 have neither: their secret is Standard Webhooks'.
    #[serde(default)]
    pub signature_scheme: Option<String>,
    #[serde(default)]
    pub signature_settings: Option<String>,
    /// Where the sender presents its API key (`ApiKeyPlace`); absent in older cached records.
    #[serde(default)]
    pub api_key_in: Option<String>,
    /// Sealed under SECRETS_KEY, as in D1: the KV cache never holds a key in clear.
    pub encryption: Option<String>,
    pub mapping: Option<Value>,
    /// The community's user fields (key -> type) at this version.
    pub fields: BTreeMap<String, String>,
    /// The community's currencies at this version (records cached before currencies were data
    /// have none: the built-in ones are always there).
    #[serde(default)]
    pub currencies: Vec<String>,
    /// The most payload bytes a failed delivery keeps (the community's quota), carried here so
    /// that recording a failure needs no lookup of its own.
    #[serde(default = "builtin_failed_payload_bytes")]
    pub failed_payload_bytes: i64,
    /// What a delivery for a member who has not joined does (`OnUnknownMember`); absent in older
    /// cached records, and read as the default (`fail`).
    #[serde(default)]
    pub on_unknown_member: Option<String>,
    /// How many deliveries the community may hold for members who have not joined (its quota).
    #[serde(default = "builtin_held_deliveries")]
    pub held_deliveries: i64,
    /// How many members the community's webhooks may create in any hour (its quota).
    #[serde(default = "builtin_members_per_hour")]
    pub members_per_hour: i64,
    /// The community's thresholds of a failing webhook (`hookmap_core::health`), carried here
    /// so that counting a delivery needs no lookup of its own.
    #[serde(default = "builtin_failing_in_a_row")]
    pub failing_in_a_row: i64,
    #[serde(default = "builtin_failing_window")]
    pub failing_window: i64,
    /// The mapping parsed (its expressions compiled) once for this record and every copy the
    /// isolate's cache hands out: a new version, or a new catalog, comes as a new record.
    #[serde(skip)]
    pub(crate) parsed: Rc<OnceCell<Parsed>>,
}

/// A record's mapping as the edge runs it: validated (its expressions compiled), and what it
/// reads of a payload (the only part of one that is built).
#[derive(Debug)]
pub struct Parsed {
    mapping: Option<Result<Mapping, hookmap_core::Error>>,
    needs: Option<Needs>,
}

/// For records cached before they carried the cap.
fn builtin_failed_payload_bytes() -> i64 {
    Quota::FailedPayloadBytes.builtin()
}

fn builtin_held_deliveries() -> i64 {
    Quota::HeldDeliveries.builtin()
}

fn builtin_members_per_hour() -> i64 {
    Quota::MembersPerHour.builtin()
}

fn builtin_failing_in_a_row() -> i64 {
    Quota::FailingInARow.builtin()
}

fn builtin_failing_window() -> i64 {
    Quota::FailingWindow.builtin()
}

impl HookRecord {
    /// What the community defines that its mappings may name: fields and currencies.
    pub fn catalog(&self) -> Catalog {
        let fields = self.fields.iter().map(|(k, t)| (k.as_str(), t.as_str()));
        Catalog::new(
            Catalog::fields_from(fields),
            self.currencies.iter().cloned(),
        )
    }

    /// The stored mapping, re-validated against the current catalog (a field or a currency may
    /// have been deleted since the mapping was saved: that is the sender's 422, not a 500).
    pub fn mapping(&self) -> &Option<Result<Mapping, hookmap_core::Error>> {
        &self.parsed().mapping
    }

    /// What a payload must hold for the mapping: only that is built. Without a (valid) mapping
    /// the payload is parsed whole, as the catch shows it.
    pub fn needs(&self) -> Option<&Needs> {
        self.parsed().needs.as_ref()
    }

    fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| {
            let mapping = self
                .mapping
                .as_ref()
                .map(|m| Mapping::parse(m, &self.catalog()));
            let needs = match &mapping {
                Some(Ok(mapping)) => Some(Needs::of(mapping)),
                _ => None,
            };
            Parsed { mapping, needs }
        })
    }

    /// How requests must be signed: `None` when they need not be.
    pub fn profile(&self) -> Option<ApiResult<Profile>> {
        self.signing_secret.as_ref()?;
        Some(stored_profile(
            self.signature_scheme.as_deref(),
            self.signature_settings.as_deref(),
        ))
    }

    /// The sealed secret a rotation replaced, while it still verifies at `now` (ISO 8601, UTC).
    pub fn previous_secret(&self, now: &str) -> Option<&str> {
        let (sealed, until) = (&self.previous_secret, &self.previous_secret_until);
        rotation::in_grace(sealed.as_deref(), until.as_deref(), now).map(|(sealed, _)| sealed)
    }

    /// Whether a request that passes this webhook's checks proves its sender: it has an API key or
    /// a signing secret. A webhook with neither trusts anyone holding its URL, and tells them
    /// nothing about members (`edge::answer::Told`).
    pub fn proves_sender(&self) -> bool {
        self.api_key_digest.is_some() || self.signing_secret.is_some()
    }

    /// What a delivery for a member who has not joined does.
    pub fn on_unknown_member(&self) -> OnUnknownMember {
        self.on_unknown_member
            .as_deref()
            .and_then(OnUnknownMember::parse)
            .unwrap_or_default()
    }

    /// Whether the sender may put its API key in the URL.
    pub fn api_key_in_query(&self) -> bool {
        self.api_key_in.as_deref() == Some(ApiKeyPlace::Query.as_str())
    }
}

/// A stored scheme and its settings as a profile (a secret set before migration 0021 is a
/// Standard Webhooks secret). What storage holds was checked when it was saved: a failure here is
/// ours, not the sender's.
pub fn stored_profile(scheme: Option<&str>, settings: Option<&str>) -> ApiResult<Profile> {
    let value = match (settings, scheme) {
        (Some(settings), _) => serde_json::from_str(settings).map_err(ApiError::internal)?,
        (None, Some(scheme)) => json!({ "scheme": scheme }),
        (None, None) => return Ok(hookmap_core::profile::STANDARD_WEBHOOKS),
    };
    Profile::parse(&value, "signature").map_err(|e| ApiError::internal(e.message()))
}
