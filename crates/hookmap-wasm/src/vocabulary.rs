//! The core's closed sets for the page, so it offers exactly what the edge accepts and spells
//! none of them itself. `src/shown.rs` gathers them; the build script writes them as JSON text,
//! so the page's wasm holds that text rather than the code that serializes it (BENCHMARKS.md: the
//! page's budget).

use hookmap_core::Location;
use wasm_bindgen::prelude::*;

use crate::JsResult;

/// `shown::capabilities()` as JSON, written by build.rs.
const CAPABILITIES: &str = include_str!(concat!(env!("OUT_DIR"), "/capabilities.json"));

/// What the page may offer: `{ops, currency_ops, field_types: [{name, ops, value_kind}],
/// match_by, locations: [{name, does}], event_types, algorithms: [{name, webcrypto, key_len, iv_len,
/// message_iv_len}], default_algorithm,
/// currencies, history_statuses: [{name, icon, applied}], replayable, shadow_kinds: [{name, label,
/// means, fixes, breaks}], signature_schemes: [{name, label, headers, generates_secret, setup,
/// settings}], hmac_algorithms, signature_encodings, signature_tolerance, api_key_places: [{name,
/// label}], unknown_member_policies: [{name, label}], channel_types, expressions: {functions,
/// max_len}}`, every list in the core's order.
#[wasm_bindgen]
pub fn capabilities() -> JsResult {
    js_sys::JSON::parse(CAPABILITIES)
}

/// Where a mapping with these parts is saved: `current` when it fits, else the location that
/// does (see `hookmap_core::Location::suited`).
#[wasm_bindgen(js_name = suitedLocation)]
pub fn suited_location(has_fields: bool, has_message: bool, current: &str) -> String {
    let current = Location::parse(current).unwrap_or(Location::UserFields);
    Location::suited(has_fields, has_message, current).to_string()
}
