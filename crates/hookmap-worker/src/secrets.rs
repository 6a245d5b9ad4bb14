//! Secrets at rest under the `SECRETS_KEY` worker secret (see `hookmap_core::secretbox`): every
//! encryption key and signing secret is sealed before it is written to D1, and so also in the KV
//! cache, and opened only where it is used.

use hookmap_core::secretbox::{SecretsKey, NONCE_LEN};
use hookmap_core::signature;
use worker::Env;

use crate::error::{ApiError, ApiResult};

fn key(env: &Env) -> ApiResult<SecretsKey> {
    let text = env
        .secret("SECRETS_KEY")
        .map(|s| s.to_string())
        .or_else(|_| env.var("SECRETS_KEY").map(|v| v.to_string()))
        .map_err(|_| ApiError::internal("the SECRETS_KEY secret is not set"))?;
    SecretsKey::parse(&text).map_err(ApiError::internal)
}

/// Fills `buf` from the platform's generator. Every key, nonce, id and secret depends on it, so
/// its failure is the server's error, never something to work around.
pub fn fill_random(buf: &mut [u8]) -> ApiResult<()> {
    getrandom::fill(buf).map_err(|e| ApiError::internal(format!("no randomness: {e}")))
}

pub fn seal(env: &Env, plaintext: &str) -> ApiResult<String> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    key(env)?
        .seal(plaintext, &nonce)
        .map_err(ApiError::internal)
}

/// A new Standard Webhooks signing secret (`whsec_...`), to show once and store sealed.
pub fn new_signing_secret() -> ApiResult<String> {
    let mut bytes = [0u8; signature::SECRET_BYTES];
    fill_random(&mut bytes)?;
    Ok(signature::secret_from_bytes(&bytes))
}

pub fn open(env: &Env, stored: &str) -> ApiResult<String> {
    key(env)?.open(stored).map_err(ApiError::internal)
}
