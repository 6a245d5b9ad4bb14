//! The members a create or update of an incoming webhook may send, each checked before anything
//! is written (a refused request changes nothing); a refusal names the member at fault (`at`).

use hookmap_core::joining::OnUnknownMember;
use hookmap_core::message::ChannelRef;
use hookmap_core::quota::Quota;
use hookmap_core::vocabulary::quoted_or;
use hookmap_core::{Algorithm, Encryption, Location, Mapping};
use serde_json::{Map, Value};

use crate::api::Ctx;
use crate::channels;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;
use crate::quotas;
use crate::stored::{Sealed, StoredEncryption};
use hookmap_core::ApiCode;

pub(super) const KNOWN: &[&str] = &[
    "name",
    "location",
    "enabled",
    "api_key",
    "encryption",
    "mapping",
    "signing_secret",
    "signature",
    "api_key_in",
    "rate_limit",
    "on_unknown_member",
];

/// `on_unknown_member`, when sent.
pub(super) fn on_unknown_member(body: &Map<String, Value>) -> ApiResult<Option<OnUnknownMember>> {
    http::optional_str(body, "on_unknown_member", 16)?
        .map(|text| {
            OnUnknownMember::parse(text).ok_or_else(|| {
                ApiError::invalid_field(
                    "on_unknown_member",
                    format!("{text:?} is not {}", quoted_or(&OnUnknownMember::NAMES)),
                )
            })
        })
        .transpose()
}

/// The `encryption` member: null (none) or `{algorithm, key, iv}`, checked and stored as given.
/// Stored sealed under SECRETS_KEY, its algorithm in clear beside it.
pub(super) fn encryption(ctx: &Ctx<'_>, value: &Value) -> ApiResult<Option<Sealed>> {
    checked_encryption(value, &[])?
        .map(|(stored, _)| stored.seal(ctx.env))
        .transpose()
}

/// Checks `{algorithm, key, iv}` (plus the `extra` members the caller reads itself from the
/// returned object): null is no encryption.
pub(in crate::api) fn checked_encryption<'v>(
    value: &'v Value,
    extra: &[&str],
) -> ApiResult<Option<(StoredEncryption, &'v Map<String, Value>)>> {
    let obj = match value {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        _ => {
            return Err(ApiError::invalid_field(
                "encryption",
                "must be null or {algorithm, key, iv}",
            ))
        }
    };
    let known: Vec<&str> = ["algorithm", "key", "iv"]
        .iter()
        .chain(extra)
        .copied()
        .collect();
    http::only_known(obj, &known)?;
    let text = |name: &str| {
        obj.get(name).and_then(Value::as_str).ok_or_else(|| {
            ApiError::invalid_field(&format!("encryption.{name}"), "is required (a string)")
        })
    };
    let algorithm_text = text("algorithm")?;
    let algorithm = Algorithm::parse(algorithm_text).ok_or_else(|| {
        ApiError::invalid_field(
            "encryption.algorithm",
            format!("{algorithm_text:?} is not {}", quoted_or(&Algorithm::NAMES)),
        )
    })?;
    let (key, iv) = (text("key")?, text("iv")?);
    Encryption::new(algorithm, key, iv).map_err(ApiError::from)?;
    Ok(Some((StoredEncryption::new(algorithm, key, iv), obj)))
}

/// The `mapping` member: null (deliveries stay pending) or a mapping valid for the community's
/// fields and channels, and holding the part its location needs.
pub(super) async fn mapping(
    ctx: &Ctx<'_>,
    cid: &str,
    location: &str,
    value: &Value,
) -> ApiResult<Option<String>> {
    if value.is_null() {
        return Ok(None);
    }
    let catalog = hooks::catalog_of(&ctx.db, cid).await?;
    let parsed = Mapping::parse(value, &catalog).map_err(ApiError::from)?;
    let (has_fields, has_message) = (!parsed.fields.is_empty(), parsed.message.is_some());
    match Location::parse(location) {
        Some(l) if l.accepts(has_fields, has_message) => {}
        Some(Location::Chat) => {
            return Err(mapping_error(
                "message",
                "a chat webhook's mapping needs a message",
            ))
        }
        Some(Location::UserFields) => return Err(mapping_error(
            "fields",
            "a user_fields webhook's mapping needs field mappings (or set location to \"chat\")",
        )),
        None => {}
    }
    if let Some(ChannelRef::Id(channel)) = parsed.message.as_ref().map(|m| &m.channel) {
        if channels::find(&ctx.db, cid, channel).await?.is_none() {
            return Err(ApiError::unprocessable_at(
                "message.channel.id",
                ApiCode::UnknownChannel,
                format!("this community has no channel {channel:?}"),
            ));
        }
    }
    Ok(Some(parsed.to_value().to_string()))
}

fn mapping_error(at: &str, why: &str) -> ApiError {
    ApiError::unprocessable_at(at, ApiCode::InvalidMapping, why)
}

pub(super) fn location(body: &Map<String, Value>) -> ApiResult<Option<&str>> {
    match http::optional_str(body, "location", 32)? {
        Some(other) if Location::parse(other).is_none() => Err(ApiError::invalid_field(
            "location",
            format!("{other:?} is not {}", quoted_or(&Location::NAMES)),
        )),
        found => Ok(found),
    }
}

/// Most deliveries per minute a webhook may be set to accept, whatever its community's quota.
pub(super) const MAX_RATE_LIMIT: i64 = 100_000;

/// `rate_limit`, within the community's `max_rate_limit` quota (`max`).
pub(super) fn rate_limit(body: &Map<String, Value>, max: i64) -> ApiResult<Option<i64>> {
    match body.get("rate_limit") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n > max && n <= MAX_RATE_LIMIT => {
                Err(quotas::exceeded(Quota::MaxRateLimit, max))
            }
            Some(n) if (1..=MAX_RATE_LIMIT).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid_field(
                "rate_limit",
                format!("must be an integer from 1 to {MAX_RATE_LIMIT} (deliveries a minute)"),
            )),
        },
    }
}
