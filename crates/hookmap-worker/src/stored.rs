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

    /// For the management API's reads, which show the algorithm only: a value that does not
    /// parse is shown as no encryption rather than failing the whole listing.
    pub fn shown(env: &Env, sealed: Option<&str>) -> ApiResult<Option<Self>> {
        Ok(sealed
            .map(|e| secrets::open(env, e))
            .transpose()?
            .and_then(|e| serde_json::from_str(&e).ok()))
    }

    pub fn seal(&self, env: &Env) -> ApiResult<String> {
        let text = serde_json::to_string(self).map_err(ApiError::internal)?;
        secrets::seal(env, &text)
    }

    pub fn to_core(&self) -> ApiResult<Encryption> {
        let algorithm = Algorithm::parse(&self.algorithm).ok_or_else(|| {
            ApiError::internal(format!("stored algorithm {:?} is unknown", self.algorithm))
        })?;
        Encryption::new(algorithm, &self.key, &self.iv).map_err(ApiError::internal)
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
    fn debug_never_shows_the_key_or_the_iv() {
        let shown = format!(
            "{:?}",
            StoredEncryption::new(Algorithm::Aes256Cbc, KEY, IV).for_subscription(true)
        );
        assert!(!shown.contains(KEY) && !shown.contains(IV), "{shown}");
        assert!(shown.contains("aes-256-cbc"), "{shown}");
    }
}
