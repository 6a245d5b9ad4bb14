//! How an incoming webhook's senders prove themselves, as create and update take it: the
//! `signature` member (a scheme, its settings and its secret), the older `signing_secret: true`
//! (a Standard Webhooks secret), and `api_key_in`.

use hookmap_core::profile::{SecretForm, STANDARD_WEBHOOKS};
use hookmap_core::rotation::{self, DEFAULT_GRACE_HOURS};
use hookmap_core::Profile;
use serde_json::Value;

use crate::api::body::Patch;
use crate::api::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hook::stored_profile;
use crate::secrets;

use super::row::WebhookRow;

/// A signature scheme to store, with its secret.
pub(super) struct Signing {
    pub profile: Profile,
    secret: String,
    /// Made here: the answer shows it, once. A secret the request gave is never shown.
    generated: bool,
}

/// The columns a signature setting writes: the sealed secret, the scheme, its settings.
pub(super) struct Stored {
    pub secret: Option<String>,
    pub scheme: Option<String>,
    pub settings: Option<String>,
}

impl Signing {
    /// The secret to show in this one answer, if it was generated.
    pub fn shown(&self) -> Option<&str> {
        self.generated.then_some(self.secret.as_str())
    }

    pub fn stored(&self, ctx: &Ctx<'_>) -> ApiResult<Stored> {
        Ok(Stored {
            secret: Some(secrets::seal(ctx.env, &self.secret)?),
            scheme: Some(self.profile.scheme().as_str().to_owned()),
            settings: self.profile.stored_settings(),
        })
    }
}

impl Stored {
    pub const NONE: Self = Self {
        secret: None,
        scheme: None,
        settings: None,
    };
}

/// The `signature` and `signing_secret` members as sent. `None`: the request does not touch the
/// signature; `Some(None)`: it removes it.
pub(super) fn signature(
    signature: Patch<&Value>,
    signing_secret: Patch<bool>,
) -> ApiResult<Option<Option<Signing>>> {
    let given = match (signature, signing_secret) {
        (Patch::Keep, Patch::Keep) => return Ok(None),
        (Patch::Keep, Patch::Set(true)) => {
            return generated(STANDARD_WEBHOOKS).map(|s| Some(Some(s)))
        }
        (Patch::Keep, Patch::Set(false) | Patch::Clear) | (Patch::Clear, Patch::Keep) => {
            return Ok(Some(None))
        }
        (Patch::Set(given), Patch::Keep) => given,
        (Patch::Set(_) | Patch::Clear, Patch::Set(_) | Patch::Clear) => {
            return Err(ApiError::invalid_field(
                "signing_secret",
                "send signature or signing_secret, not both (signing_secret: true is signature: {\"scheme\": \"standard_webhooks\"})",
            ))
        }
    };
    let profile = Profile::parse(given, "signature").map_err(ApiError::from)?;
    match given.get("secret") {
        None | Some(Value::Null) if profile.generates_secret() => generated(profile),
        None | Some(Value::Null) => Err(ApiError::invalid_field(
            "signature.secret",
            format!(
                "{} gives each endpoint its own signing secret: copy it from its dashboard into signature.secret",
                profile.scheme()
            ),
        )),
        Some(Value::String(secret)) => {
            profile.check_secret(secret).map_err(ApiError::from)?;
            Ok(Signing {
                profile,
                secret: secret.clone(),
                generated: false,
            })
        }
        Some(_) => Err(ApiError::invalid_field("signature.secret", "must be a string")),
    }
    .map(|s| Some(Some(s)))
}

fn generated(profile: Profile) -> ApiResult<Signing> {
    let secret = match profile.secret_form() {
        SecretForm::Whsec => secrets::new_signing_secret()?,
        SecretForm::Text => db::random_hex(32)?,
    };
    Ok(Signing {
        profile,
        secret,
        generated: true,
    })
}

/// The secret a rotation replaced, sealed, and until when it verifies: what an update writes.
pub(super) struct Previous {
    pub secret: Option<String>,
    pub until: Option<String>,
}

/// What an update leaves of the replaced secret. A new secret under the same scheme and settings
/// keeps the old one verifying for `hours` (a day when not sent); any other change of the
/// signature (a new scheme, or none) drops it. Without a new secret, `hours` can only end its
/// grace sooner. `new` is the signature the update stores, when it sets one (or removes it).
pub(super) fn previous(
    row: &WebhookRow,
    new: Option<&Stored>,
    hours: Option<u32>,
    ms: u64,
) -> Previous {
    let until = |hours: u32| db::iso(ms.saturating_add(u64::from(hours) * 3_600_000));
    let Some(new) = new else {
        let until = match (&row.previous_secret_until, hours) {
            (Some(kept), Some(hours)) => Some(kept.clone().min(until(hours))),
            (kept, _) => kept.clone(),
        };
        return Previous {
            secret: row.previous_signing_secret.clone(),
            until,
        };
    };
    let hours = hours.unwrap_or(DEFAULT_GRACE_HOURS);
    let same_scheme = new.scheme == row.signature_scheme && new.settings == row.signature_settings;
    match (&row.signing_secret, &new.secret) {
        (Some(old), Some(_)) if same_scheme && hours > 0 => Previous {
            secret: Some(old.clone()),
            until: Some(until(hours)),
        },
        _ => Previous {
            secret: None,
            until: None,
        },
    }
}

/// Until when the replaced secret verifies, as the API shows it: null once it no longer does.
pub(super) fn previous_until<'r>(row: &'r WebhookRow, now: &str) -> Option<&'r str> {
    let (sealed, until) = (&row.previous_signing_secret, &row.previous_secret_until);
    rotation::in_grace(sealed.as_deref(), until.as_deref(), now).map(|(_, until)| until)
}

/// What the API shows of a stored signature: its scheme and settings, never the secret.
pub(super) fn shown(
    secret: Option<&str>,
    scheme: Option<&str>,
    settings: Option<&str>,
) -> ApiResult<Value> {
    match secret {
        None => Ok(Value::Null),
        Some(_) => Ok(stored_profile(scheme, settings)?.to_value()),
    }
}
