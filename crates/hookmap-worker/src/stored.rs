//! An encryption setting as D1 (and the KV cache) holds it: JSON sealed under SECRETS_KEY. One
//! type serves incoming webhooks and outgoing subscriptions, so both read and write the same way.

use hookmap_core::{Algorithm, Encryption};
use serde::{Deserialize, Serialize};
use worker::Env;

use crate::error::{ApiError, ApiResult};
use crate::secrets;

#[derive(Clone, Serialize, Deserialize)]
pub struct StoredEncryption {
    pub algorithm: String,
    pub key: String,
    pub iv: String,
    /// A subscription's compatibility setting (every body under the configured IV, no envelope).
    /// Incoming webhooks never had it: an `Option`, so that what is sealed for them stays
    /// `{algorithm, key, iv}` byte for byte and what is sealed for a subscription keeps its
    /// `fixed_iv` even when false, as rows written before this type were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fixed_iv: Option<bool>,
}

impl std::fmt::Debug for StoredEncryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEncryption")
            .field("algorithm", &self.algorithm)
            .field("key", &"<redacted>")
            .field("iv", &"<redacted>")
            .field("fixed_iv", &self.fixed_iv)
            .finish()
    }
}

impl StoredEncryption {
    /// An incoming webhook's setting.
    pub fn new(algorithm: Algorithm, key: &str, iv: &str) -> Self {
        Self {
            algorithm: algorithm.as_str().into(),
            key: key.into(),
            iv: iv.into(),
            fixed_iv: None,
        }
    }

    /// The same as a subscription's, which always says whether its IV is fixed.
    pub fn for_subscription(self, fixed_iv: bool) -> Self {
        Self {
            fixed_iv: Some(fixed_iv),
            ..self
        }
    }

    /// Absent (an incoming webhook's setting) means a fresh IV per body, like `false`.
    pub fn fixed_iv(&self) -> bool {
        self.fixed_iv.unwrap_or(false)
    }

    /// Opens a sealed stored value (see `secrets`).
    pub fn open(env: &Env, sealed: &str) -> ApiResult<Self> {
        Self::opened(&secrets::open(env, sealed)?)
    }

    fn opened(text: &str) -> ApiResult<Self> {
        serde_json::from_str(text).map_err(ApiError::internal)
    }

    /// Seals this setting, with what is kept in clear beside it.
    pub fn seal(&self, env: &Env) -> ApiResult<Sealed> {
        let text = serde_json::to_string(self).map_err(ApiError::internal)?;
        Ok(Sealed {
            value: secrets::seal(env, &text)?,
            shown: self.shown(),
        })
    }

    fn shown(&self) -> Shown {
        Shown {
            algorithm: self.algorithm.clone(),
            fixed_iv: self.fixed_iv,
        }
    }

    pub fn to_core(&self) -> ApiResult<Encryption> {
        let algorithm = Algorithm::parse(&self.algorithm).ok_or_else(|| {
            ApiError::internal(format!("stored algorithm {:?} is unknown", self.algorithm))
        })?;
        Encryption::new(algorithm, &self.key, &self.iv).map_err(ApiError::internal)
    }
}

/// A setting as a row stores it: sealed, and what the management API shows of it in clear beside
/// it (migration 0012's columns).
#[derive(Debug)]
pub struct Sealed {
    pub value: String,
    pub shown: Shown,
}

/// What the management API shows of a setting: its algorithm and, for a subscription, whether its
/// IV is fixed (`None` for an incoming webhook, which has no such choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub algorithm: String,
    pub fixed_iv: Option<bool>,
}

/// A row's setting as read: the sealed value and the columns in clear beside it. Rows written
/// since migration 0012 have the columns set and are shown without opening the sealed value; rows
/// sealed before it (the migration backfills only unsealed ones) have them NULL, and only those
/// are opened.
pub struct InClear<'a> {
    sealed: Option<&'a str>,
    algorithm: Option<&'a str>,
    /// `Some` for a subscription (its `encryption_fixed_iv`, NULL in an old row), `None` for an
    /// incoming webhook.
    fixed_iv: Option<Option<bool>>,
}

impl<'a> InClear<'a> {
    pub fn webhook(sealed: Option<&'a str>, algorithm: Option<&'a str>) -> Self {
        Self {
            sealed,
            algorithm,
            fixed_iv: None,
        }
    }

    pub fn subscription(
        sealed: Option<&'a str>,
        algorithm: Option<&'a str>,
        fixed_iv: Option<bool>,
    ) -> Self {
        Self {
            sealed,
            algorithm,
            fixed_iv: Some(fixed_iv),
        }
    }

    /// What the columns alone show: `Some(None)` for no encryption, `Some(Some(..))` for a set
    /// setting, and `None` for a row from before the columns, whose sealed value must be opened.
    fn read(&self) -> Option<Option<Shown>> {
        let Some(_) = self.sealed else {
            return Some(None);
        };
        let fixed_iv = match self.fixed_iv {
            None => None,
            Some(column) => Some(column?),
        };
        Some(Some(Shown {
            algorithm: self.algorithm?.to_owned(),
            fixed_iv,
        }))
    }

    /// What the management API shows, opening the sealed value only for a row without the clear
    /// columns. A sealed value that does not parse is shown as no encryption rather than failing
    /// the whole listing.
    pub fn shown(&self, env: &Env) -> ApiResult<Option<Shown>> {
        if let Some(shown) = self.read() {
            return Ok(shown);
        }
        let opened = self
            .sealed
            .map(|e| secrets::open(env, e))
            .transpose()?
            .and_then(|e| serde_json::from_str::<StoredEncryption>(&e).ok());
        Ok(opened.map(|e| Shown {
            fixed_iv: self.fixed_iv.map(|_| e.fixed_iv()),
            ..e.shown()
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use hookmap_core::secretbox::{SecretsKey, NONCE_LEN};

    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";
    const IV: &str = "0123456789abcdef";

    #[test]
    fn an_incoming_webhooks_stored_shape_reads_and_writes_as_before() {
        let stored = format!(r#"{{"algorithm":"aes-256-cbc","key":"{KEY}","iv":"{IV}"}}"#);
        let read: StoredEncryption = serde_json::from_str(&stored).unwrap();
        assert_eq!(read.algorithm, "aes-256-cbc");
        assert_eq!((read.key.as_str(), read.iv.as_str()), (KEY, IV));
        assert!(!read.fixed_iv());
        assert_eq!(serde_json::to_string(&read).unwrap(), stored);
        let written = StoredEncryption::new(Algorithm::Aes256Cbc, KEY, IV);
        assert_eq!(serde_json::to_string(&written).unwrap(), stored);
    }

    #[test]
    fn a_subscriptions_stored_shape_reads_and_writes_as_before() {
        for fixed in [false, true] {
            let stored = format!(
                r#"{{"algorithm":"aes-256-gcm","key":"{KEY}","iv":"{IV}","fixed_iv":{fixed}}}"#
            );
            let read: StoredEncryption = serde_json::from_str(&stored).unwrap();
            assert_eq!(read.algorithm, "aes-256-gcm");
            assert_eq!(read.fixed_iv(), fixed);
            assert_eq!(serde_json::to_string(&read).unwrap(), stored);
            let written =
                StoredEncryption::new(Algorithm::Aes256Gcm, KEY, IV).for_subscription(fixed);
            assert_eq!(serde_json::to_string(&written).unwrap(), stored);
        }
    }

    /// Rows sealed before the two setting types became one still open, whichever kind they are.
    #[test]
    fn both_stored_shapes_open_from_their_sealed_form() {
        let secrets = SecretsKey::parse(&format!("{}=", "A".repeat(43))).unwrap();
        for (plain, fixed) in [
            (
                format!(r#"{{"algorithm":"aes-256-cbc","key":"{KEY}","iv":"{IV}"}}"#),
                false,
            ),
            (
                format!(
                    r#"{{"algorithm":"aes-256-gcm","key":"{KEY}","iv":"{IV}","fixed_iv":true}}"#
                ),
                true,
            ),
            (
                format!(
                    r#"{{"algorithm":"aes-256-cbc","key":"{KEY}","iv":"{IV}","fixed_iv":false}}"#
                ),
                false,
            ),
        ] {
            let sealed = secrets.seal(&plain, &[7; NONCE_LEN]).unwrap();
            let opened = StoredEncryption::opened(&secrets.open(&sealed).unwrap()).unwrap();
            assert_eq!(opened.fixed_iv(), fixed);
            assert_eq!(
                opened.to_core().unwrap().algorithm().as_str(),
                opened.algorithm
            );
            assert_eq!(serde_json::to_string(&opened).unwrap(), plain);
        }
    }

    #[test]
    fn the_columns_in_clear_show_a_setting_without_opening_it() {
        let shown = |algorithm: &str, fixed_iv| {
            Some(Some(Shown {
                algorithm: algorithm.into(),
                fixed_iv,
            }))
        };
        let sealed = Some("sealed:v1:AAAA");
        assert_eq!(InClear::webhook(None, None).read(), Some(None));
        assert_eq!(
            InClear::webhook(sealed, Some("aes-256-gcm")).read(),
            shown("aes-256-gcm", None)
        );
        assert_eq!(
            InClear::subscription(sealed, Some("aes-256-cbc"), Some(true)).read(),
            shown("aes-256-cbc", Some(true))
        );
        assert_eq!(
            InClear::subscription(sealed, Some("aes-256-cbc"), Some(false)).read(),
            shown("aes-256-cbc", Some(false))
        );
        assert_eq!(InClear::subscription(None, None, None).read(), Some(None));
    }

    /// Rows sealed before migration 0012 have NULL columns: only they are opened.
    #[test]
    fn a_row_from_before_the_columns_must_be_opened() {
        let sealed = Some("sealed:v1:AAAA");
        assert_eq!(InClear::webhook(sealed, None).read(), None);
        assert_eq!(InClear::subscription(sealed, None, None).read(), None);
        assert_eq!(
            InClear::subscription(sealed, Some("aes-256-gcm"), None).read(),
            None
        );
    }

    #[test]
    fn what_is_kept_in_clear_is_what_is_shown() {
        let webhook = StoredEncryption::new(Algorithm::Aes256Gcm, KEY, IV);
        assert_eq!(
            webhook.shown(),
            Shown {
                algorithm: "aes-256-gcm".into(),
                fixed_iv: None
            }
        );
        let subscription = webhook.for_subscription(true);
        assert_eq!(subscription.shown().fixed_iv, Some(true));
    }

    #[test]
    fn debug_never_shows_the_key_or_the_iv() {
        let shown = format!(
            "{:?}",
            StoredEncryption::new(Algorithm::Aes256Cbc, KEY, IV).for_subscription(true)
        );
        assert!(!shown.contains(KEY) && !shown.contains(IV), "{shown}");
        assert!(shown.contains("aes-256-cbc"), "{shown}");
    }
}
