//! The encryption envelope of the contract: AES-256-CBC (PKCS#7) or AES-256-GCM (16-byte tag
//! appended, no associated data) under a 32-character key and a 16-character IV.
//!
//! A body is either base64 of the ciphertext (made with the configured IV) or the JSON envelope
//! `{"iv": "<base64 of 12 or 16 bytes>", "data": "<base64>"}` whose per-message IV overrides it.

use std::fmt;

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::vocabulary::vocabulary;

/// GCM with the contract's 16-byte IV used directly as the nonce.
type Aes256Gcm16 = AesGcm<aes::Aes256, U16>;

/// Standard alphabet; padding optional on input, written on output.
const B64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub const KEY_LEN: usize = 32;
pub const IV_LEN: usize = 16;
const TAG_LEN: usize = 16;
const BLOCK: usize = 16;

vocabulary! {
    pub enum Algorithm {
        Aes256Cbc = "aes-256-cbc",
        Aes256Gcm = "aes-256-gcm",
    }
}

impl Algorithm {
    /// The length of the IV a sender draws for each message: GCM's standard 96-bit nonce, CBC's
    /// one block.
    pub const fn message_iv_len(self) -> usize {
        match self {
            Self::Aes256Cbc => BLOCK,
            Self::Aes256Gcm => 12,
        }
    }
}

/// Who sent a body, as far as the edge knows before decrypting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sender {
    /// Proved by an API key or a signature.
    Authenticated,
    /// Anyone who knows the URL.
    Anonymous,
}

/// A webhook's encryption settings. The key and IV never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Encryption {
    algorithm: Algorithm,
    key: [u8; KEY_LEN],
    iv: [u8; IV_LEN],
}

impl fmt::Debug for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryption")
            .field("algorithm", &self.algorithm)
            .field("key", &"<redacted>")
            .field("iv", &"<redacted>")
            .finish()
    }
}

fn exact<const N: usize>(text: &str, what: &str) -> Result<[u8; N]> {
    let bytes = text.as_bytes();
    if text.chars().count() != N || bytes.len() != N {
        return Err(Error::new(
            ErrorKind::InvalidEncryption,
            format!(
                "the {what} must be exactly {N} single-byte (ASCII) characters, not {}",
                text.chars().count()
            ),
        )
        .at(format!("encryption.{what}")));
    }
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

impl Encryption {
    pub fn new(algorithm: Algorithm, key: &str, iv: &str) -> Result<Self> {
        Ok(Self {
            algorithm,
            key: exact::<KEY_LEN>(key, "key")?,
            iv: exact::<IV_LEN>(iv, "iv")?,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Decrypts a request body (base64 ciphertext, or the `{iv, data}` JSON envelope) from a sender
    /// whose identity is established otherwise, or who needs none (the page, tests, outgoing).
    pub fn open(&self, body: &[u8]) -> Result<Vec<u8>> {
        self.open_from(body, Sender::Authenticated)
    }

    /// Decrypts a body from `sender`. An anonymous sender may not choose a CBC IV: CBC decrypts
    /// anything, so with a chosen IV the difference between "bad padding" and any other outcome
    /// is a padding oracle that decrypts captured bodies and forges new ones. GCM authenticates
    /// whatever IV it is given, so its per-message IVs stay open to everyone.
    pub fn open_from(&self, body: &[u8], sender: Sender) -> Result<Vec<u8>> {
        let body = body.trim_ascii();
        if body.first() == Some(&b'{') {
            let envelope: Value = serde_json::from_slice(body).map_err(|e| {
                Error::new(
                    ErrorKind::BadEnvelope,
                    format!("the body starts with '{{' but is not a JSON envelope: {e}"),
                )
            })?;
            let field = |name: &str| -> Result<Option<Vec<u8>>> {
                match envelope.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => decode(s, &format!("envelope {name}")).map(Some),
                    Some(_) => Err(Error::new(
                        ErrorKind::BadEnvelope,
                        format!("the envelope's {name:?} must be a base64 string"),
                    )),
                }
            };
            let data = field("data")?.ok_or_else(|| {
                Error::new(
                    ErrorKind::BadEnvelope,
                    "the JSON envelope has no \"data\" member",
                )
            })?;
            let iv = field("iv")?;
            if let (Some(_), Algorithm::Aes256Cbc, Sender::Anonymous) =
                (&iv, self.algorithm, sender)
            {
                return Err(Error::new(
                    ErrorKind::MessageIvRefused,
                    "a per-message IV for AES-256-CBC is accepted only when the webhook also has an \
                     API key or a signing secret; send base64 under the configured IV, or add one",
                ));
            }
            return self.decrypt(&data, iv.as_deref().unwrap_or(&self.iv));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| Error::new(ErrorKind::NotBase64, "the body is not base64 text"))?;
        self.decrypt(&decode(text, "body")?, &self.iv)
    }

    /// Encrypts `plaintext`. With `iv` (a fresh random one per message, as recommended) the result
    /// is the JSON envelope; without, base64 of the ciphertext under the configured IV.
    pub fn seal(&self, plaintext: &[u8], iv: Option<&[u8]>) -> Result<String> {
        let ciphertext = self.encrypt(plaintext, iv.unwrap_or(&self.iv))?;
        Ok(match iv {
            None => B64.encode(ciphertext),
            Some(iv) => serde_json::json!({"iv": B64.encode(iv), "data": B64.encode(ciphertext)})
                .to_string(),
        })
    }

    fn check_iv(&self, iv: &[u8]) -> Result<()> {
        let ok = match self.algorithm {
            Algorithm::Aes256Cbc => iv.len() == IV_LEN,
            Algorithm::Aes256Gcm => iv.len() == 12 || iv.len() == IV_LEN,
        };
        if ok {
            return Ok(());
        }
        let allowed = match self.algorithm {
            Algorithm::Aes256Cbc => "16",
            Algorithm::Aes256Gcm => "12 or 16",
        };
        Err(Error::new(
            ErrorKind::BadLength,
            format!(
                "the IV is {} bytes; {} needs {allowed}",
                iv.len(),
                self.algorithm.as_str()
            ),
        ))
    }

    fn decrypt(&self, data: &[u8], iv: &[u8]) -> Result<Vec<u8>> {
        self.check_iv(iv)?;
        match self.algorithm {
            Algorithm::Aes256Cbc => {
                if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
                    return Err(Error::new(
                        ErrorKind::BadLength,
                        format!("the ciphertext is {} bytes; AES-256-CBC needs a non-zero multiple of 16", data.len()),
                    ));
                }
                let cipher = cbc::Decryptor::<aes::Aes256>::new(&self.key.into(), iv.into());
                cipher.decrypt_padded_vec_mut::<Pkcs7>(data).map_err(|_| {
                    Error::new(
                        ErrorKind::BadPadding,
                        "bad padding after AES-256-CBC decryption: wrong key or IV",
                    )
                })
            }
            Algorithm::Aes256Gcm => {
                if data.len() < TAG_LEN {
                    return Err(Error::new(
                        ErrorKind::BadLength,
                        format!("the ciphertext is {} bytes; AES-256-GCM needs at least the 16-byte tag", data.len()),
                    ));
                }
                let tag_mismatch = |_| {
                    Error::new(
                        ErrorKind::TagMismatch,
                        "the AES-256-GCM authentication tag does not match: wrong key or IV, or the body was altered",
                    )
                };
                if iv.len() == 12 {
                    Aes256Gcm::new(&self.key.into())
                        .decrypt(Nonce::from_slice(iv), data)
                        .map_err(tag_mismatch)
                } else {
                    Aes256Gcm16::new(&self.key.into())
                        .decrypt(Nonce::from_slice(iv), data)
                        .map_err(tag_mismatch)
                }
            }
        }
    }

    fn encrypt(&self, plaintext: &[u8], iv: &[u8]) -> Result<Vec<u8>> {
        self.check_iv(iv)?;
        let sealed = match self.algorithm {
            Algorithm::Aes256Cbc => Ok(cbc::Encryptor::<aes::Aes256>::new(
                &self.key.into(),
                iv.into(),
            )
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext)),
            Algorithm::Aes256Gcm if iv.len() == 12 => {
                Aes256Gcm::new(&self.key.into()).encrypt(Nonce::from_slice(iv), plaintext)
            }
            Algorithm::Aes256Gcm => {
                Aes256Gcm16::new(&self.key.into()).encrypt(Nonce::from_slice(iv), plaintext)
            }
        };
        // AES-GCM fails only for plaintexts beyond 64 GiB, which no request body reaches.
        sealed.map_err(|_| Error::new(ErrorKind::BadLength, "the plaintext is too long to encrypt"))
    }
}

fn decode(text: &str, what: &str) -> Result<Vec<u8>> {
    // Tools such as `openssl base64` wrap lines: whitespace is not part of the data.
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64.decode(compact.as_bytes()).map_err(|e| {
        Error::new(
            ErrorKind::NotBase64,
            format!("the {what} is not valid base64: {e}"),
        )
    })
}

/// Standard base64 with padding, as the envelope writes it.
pub fn base64_encode(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";
    const IV: &str = "abcdef9876543210";

    fn both() -> [Encryption; 2] {
        [Algorithm::Aes256Cbc, Algorithm::Aes256Gcm].map(|a| Encryption::new(a, KEY, IV).unwrap())
    }

    #[test]
    fn key_and_iv_lengths_are_exact() {
        let err = Encryption::new(Algorithm::Aes256Gcm, "short", IV).unwrap_err();
        assert_eq!(
            (err.kind(), err.location()),
            (ErrorKind::InvalidEncryption, Some("encryption.key"))
        );
        let err = Encryption::new(Algorithm::Aes256Gcm, KEY, "ééééééééé").unwrap_err();
        assert_eq!(err.location(), Some("encryption.iv"));
    }

    #[test]
    fn debug_hides_the_secrets() {
        let text = format!("{:?}", both()[0]);
        assert!(
            !text.contains(KEY) && !text.contains("abcdef98") && text.contains("redacted"),
            "{text}"
        );
    }

    #[test]
    fn round_trips_with_fixed_and_per_message_ivs() {
        for enc in both() {
            let body = enc.seal(b"{\"a\":1}", None).unwrap();
            assert_eq!(enc.open(body.as_bytes()).unwrap(), b"{\"a\":1}");
            let env = enc.seal(b"{\"b\":2}", Some(b"0123456789ab0123")).unwrap();
            assert!(
                env.starts_with("{\"data\"") || env.starts_with("{\"iv\""),
                "{env}"
            );
            assert_eq!(enc.open(env.as_bytes()).unwrap(), b"{\"b\":2}");
        }
        let gcm = &both()[1];
        let env = gcm.seal(b"x", Some(&[7u8; 12])).unwrap();
        assert_eq!(gcm.open(env.as_bytes()).unwrap(), b"x");
    }

    #[test]
    fn failures_name_their_cause() {
        let [cbc, gcm] = both();
        let kind = |enc: &Encryption, body: &[u8]| enc.open(body).unwrap_err().kind();
        assert_eq!(kind(&gcm, b"not base64!"), ErrorKind::NotBase64);
        assert_eq!(kind(&cbc, b"AAAA"), ErrorKind::BadLength);
        assert_eq!(kind(&gcm, b"AAAA"), ErrorKind::BadLength);
        assert_eq!(
            kind(&gcm, br#"{"iv": 5, "data": "AAAA"}"#),
            ErrorKind::BadEnvelope
        );
        assert_eq!(kind(&gcm, br#"{"iv": "AAAA"}"#), ErrorKind::BadEnvelope);
        assert_eq!(
            kind(
                &gcm,
                br#"{"iv": "AAAA", "data": "AAAAAAAAAAAAAAAAAAAAAA=="}"#
            ),
            ErrorKind::BadLength
        );
        let other = Encryption::new(Algorithm::Aes256Gcm, &KEY.replace('0', "1"), IV).unwrap();
        let body = other.seal(b"{}", None).unwrap();
        assert_eq!(kind(&gcm, body.as_bytes()), ErrorKind::TagMismatch);
        // Flip one bit of the ciphertext: the tag no longer matches.
        let mut raw = B64.decode(gcm.seal(b"{}", None).unwrap()).unwrap();
        raw[0] ^= 1;
        assert_eq!(
            kind(&gcm, B64.encode(raw).as_bytes()),
            ErrorKind::TagMismatch
        );
    }

    #[test]
    fn wrong_cbc_key_is_almost_always_bad_padding() {
        let [cbc, _] = both();
        let other = Encryption::new(Algorithm::Aes256Cbc, KEY, "ffffffffffffffff").unwrap();
        let body = cbc.seal(b"{\"hello\": \"world\"}", None).unwrap();
        // A wrong IV only garbles the first block; the padding in the last block survives.
        assert_ne!(
            other.open(body.as_bytes()).unwrap(),
            b"{\"hello\": \"world\"}"
        );
        let wrong_key = Encryption::new(Algorithm::Aes256Cbc, &KEY.replace('a', "b"), IV).unwrap();
        let errs = (0..64u8)
            .filter(|i| {
                wrong_key
                    .open(
                        cbc.seal(&[b'x'; 20].map(|b| b ^ i), None)
                            .unwrap()
                            .as_bytes(),
                    )
                    .is_err()
            })
            .count();
        assert!(
            errs > 48,
            "{errs} of 64 wrong-key decryptions failed on padding"
        );
    }

    #[test]
    fn unpadded_and_wrapped_base64_is_accepted() {
        let [_, gcm] = both();
        let body = gcm.seal(b"{\"k\":\"v\"}", None).unwrap();
        let wrapped = format!("{}\n{}", &body[..10], body[10..].trim_end_matches('='));
        assert_eq!(gcm.open(wrapped.as_bytes()).unwrap(), b"{\"k\":\"v\"}");
    }
}
