//! The ids and the times rows carry.

use crate::error::ApiResult;

/// `prefix_` + 32 hex digits of randomness: opaque, unguessable ids.
pub fn new_id(prefix: &str) -> ApiResult<String> {
    Ok(format!("{prefix}_{}", random_hex(16)?))
}

pub fn random_hex(bytes: usize) -> ApiResult<String> {
    let mut buf = vec![0u8; bytes];
    crate::secrets::fill_random(&mut buf)?;
    Ok(hookmap_core::auth::hex(&buf))
}

/// Now, as milliseconds since the epoch and as the RFC 3339 text stored in rows.
pub fn now() -> (u64, String) {
    let date = worker::js_sys::Date::new_0();
    (date.get_time() as u64, String::from(date.to_iso_string()))
}

/// The stored text of the instant `ms` (milliseconds since the epoch), as `now` writes it.
/// Milliseconds fit an f64 exactly until the year 287396.
pub fn iso(ms: u64) -> String {
    let date = worker::js_sys::Date::new(&worker::wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_iso_string())
}

/// The instant (milliseconds since the epoch) of a stored time, as `now` writes it; `None` when
/// the text is not one.
pub fn parse_ms(text: &str) -> Option<u64> {
    let ms = worker::js_sys::Date::parse(text);
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

/// Orders rows newest first: the millisecond clock, then randomness to break ties.
pub fn sequence(ms: u64) -> ApiResult<i64> {
    let mut buf = [0u8; 2];
    crate::secrets::fill_random(&mut buf)?;
    Ok(i64::try_from(ms).unwrap_or(i64::MAX / 1000) * 1000
        + i64::from(u16::from_le_bytes(buf) % 1000))
}
