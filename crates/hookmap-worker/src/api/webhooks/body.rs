//! The members a create or update of an incoming webhook may send, each checked before anything
//! is written (a refused request changes nothing); a refusal names the member at fault (`at`).

use hookmap_core::auth::ApiKeyPlace;
use hookmap_core::joining::OnUnknownMember;
use hookmap_core::message::ChannelRef;
use hookmap_core::quota::Quota;
use hookmap_core::vocabulary::quoted_or;
use hookmap_core::ApiCode;
use hookmap_core::{Algorithm, Encryption, Location, Mapping};
use serde_json::{Map, Value};

use crate::api::body::{only_known, GraceHours, Member, OneOf, Patch, Text};
use crate::api::Ctx;
use crate::channels;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::quotas;
use crate::stored::{Sealed, StoredEncryption};

request_body! {
    /// `POST .../incoming-webhooks`.
    pub struct NewWebhook<'a> {
        name: Text<'a, 100>,
        location: Option<OneOf<Location>>,
        enabled: Option<bool>,
        api_key: Option<bool>,
        encryption: Option<&'a Value>,
        mapping: Option<&'a Value>,
        signing_secret: Patch<bool>,
        signature: Patch<&'a Value>,
        api_key_in: Option<OneOf<ApiKeyPlace>>,
        rate_limit: Option<RateLimit>,
        on_unknown_member: Option<OneOf<OnUnknownMember>>,
    }
}

request_body! {
    /// `PATCH .../incoming-webhooks/{wid}`: any of the create's members, a member left out kept
    /// as it is (`null` removes the API key, encryption, mapping or signature), and
    /// `process_pending` and `previous_secret_hours`.
    pub struct WebhookChange<'a> {
        name: Option<Text<'a, 100>>,
        location: Option<OneOf<Location>>,
        enabled: Option<bool>,
        api_key: Patch<bool>,
        encryption: Patch<&'a Value>,
        mapping: Patch<&'a Value>,
        signing_secret: Patch<bool>,
        signature: Patch<&'a Value>,
        api_key_in: Option<OneOf<ApiKeyPlace>>,
        rate_limit: Option<RateLimit>,
        on_unknown_member: Option<OneOf<OnUnknownMember>>,
        process_pending: Option<bool>,
        previous_secret_hours: Option<GraceHours>,
    }
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
        Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Array(_) => {
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
    only_known(obj, &known)?;
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
    let catalog = hooks::catalog_of(ctx.data(cid), cid).await?;
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
        if channels::find(ctx.data(cid), cid, channel).await?.is_none() {
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

/// Most deliveries per minute a webhook may be set to accept, whatever its community's quota.
pub(super) const MAX_RATE_LIMIT: i64 = 100_000;

/// `rate_limit`: deliveries a minute, from 1 to [`MAX_RATE_LIMIT`].
#[derive(Debug, Clone, Copy)]
pub(super) struct RateLimit(i64);

impl<'a> Member<'a> for RateLimit {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        value
            .and_then(Value::as_i64)
            .filter(|n| (1..=MAX_RATE_LIMIT).contains(n))
            .map(Self)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    name,
                    format!("must be an integer from 1 to {MAX_RATE_LIMIT} (deliveries a minute)"),
                )
            })
    }
}

impl RateLimit {
    /// The limit, within the community's `max_rate_limit` quota (`max`).
    pub fn within(self, max: i64) -> ApiResult<i64> {
        match self.0 {
            n if n > max => Err(quotas::exceeded(Quota::MaxRateLimit, max)),
            n => Ok(n),
        }
    }
}
