//! The core's closed sets for the page, so it offers exactly what the edge accepts and spells
//! none of them itself.

use hookmap_core::envelope::{IV_LEN, KEY_LEN};
use hookmap_core::event::EventType;
use hookmap_core::ops::CURRENCY_OPS;
use hookmap_core::shadow::ShadowKind;
use hookmap_core::{
    Algorithm, DeliveryStatus, FieldType, HistoryStatus, Location, MatchBy, Op, BUILT_IN_CURRENCIES,
};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use crate::{to_js, JsResult};

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|&t| name(t)).collect()
}

/// The sets as JSON: see [`capabilities`].
fn capabilities_value() -> Value {
    let field_types: Vec<Value> = FieldType::ALL
        .into_iter()
        .map(
            |t| json!({"name": t, "ops": names(t.ops(), Op::as_str), "value_kind": t.value_kind()}),
        )
        .collect();
    let algorithms: Vec<Value> = Algorithm::ALL
        .into_iter()
        .map(|a| {
            json!({"name": a, "webcrypto": webcrypto(a), "key_len": KEY_LEN, "iv_len": IV_LEN,
                   "message_iv_len": a.message_iv_len()})
        })
        .collect();
    let locations: Vec<Value> = Location::ALL
        .into_iter()
        .map(|l| json!({"name": l, "does": does(l)}))
        .collect();
    let shadow_kinds: Vec<Value> = ShadowKind::ALL
        .into_iter()
        .map(|k| {
            let (label, means) = shown(k);
            json!({"name": k, "label": label, "means": means,
                   "fixes": k == ShadowKind::WouldSucceed, "breaks": k == ShadowKind::WouldFail})
        })
        .collect();
    let history_statuses: Vec<Value> = HistoryStatus::ALL
        .into_iter()
        .map(|s| json!({"name": s, "icon": icon(s), "applied": s == HistoryStatus::Success}))
        .collect();
    json!({
        "ops": Op::NAMES,
        "currency_ops": names(&CURRENCY_OPS, Op::as_str),
        "field_types": field_types,
        "match_by": MatchBy::NAMES,
        "locations": locations,
        "event_types": EventType::NAMES,
        "algorithms": algorithms,
        // GCM authenticates the body; CBC is there for senders that only have CBC.
        "default_algorithm": Algorithm::Aes256Gcm,
        "currencies": BUILT_IN_CURRENCIES,
        // The console's history filter, and which of them a replay takes.
        "history_statuses": history_statuses,
        "replayable": names(&DeliveryStatus::REPLAYABLE, DeliveryStatus::as_str),
        // What Engine.shadow calls each delivery, in the order its summary counts them.
        "shadow_kinds": shadow_kinds,
    })
}

/// The WebCrypto algorithm the request tester seals with: the same cipher and padding (PKCS#7 for
/// CBC; GCM's 16-byte tag appended, no associated data), so the page needs no cipher of its own.
fn webcrypto(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Aes256Cbc => "AES-CBC",
        Algorithm::Aes256Gcm => "AES-GCM",
    }
}

/// How the page describes a webhook of each location.
fn does(location: Location) -> &'static str {
    match location {
        Location::UserFields => "maps to user fields",
        Location::Chat => "posts to chat",
    }
}

/// The seeds' icon for a delivery's status in the history (shown beside its name).
fn icon(status: HistoryStatus) -> &'static str {
    match status {
        HistoryStatus::Success => "✓",
        HistoryStatus::Failed => "✗",
        HistoryStatus::Pending => "○",
        HistoryStatus::Replayed => "↻",
    }
}

/// How the console names a shadow replay's verdict, and what it tells the admin.
fn shown(kind: ShadowKind) -> (&'static str, &'static str) {
    match kind {
        ShadowKind::Same => (
            "same",
            "the new mapping plans the effects the saved one applied",
        ),
        ShadowKind::EffectsChange => ("effects change", "both apply, with other effects"),
        ShadowKind::WouldSucceed => (
            "would succeed",
            "it failed on the mapping (or waited for one); the new mapping plans it",
        ),
        ShadowKind::WouldFail => (
            "would now fail",
            "it applied (or waits); the new mapping fails on it",
        ),
        ShadowKind::StillFails => ("still fails", "it failed, and the new mapping fails too"),
        ShadowKind::FailedAfterPlanning => (
            "failed in storage",
            "it failed after planning (member, balance, channel): only a replay tells",
        ),
        ShadowKind::Replayed => ("replayed", "already replayed: its replay has its own row"),
        ShadowKind::NoPayload => (
            "no payload",
            "the payload is gone or was cut: nothing to replay",
        ),
    }
}

/// What the page may offer: `{ops, currency_ops, field_types: [{name, ops, value_kind}],
/// match_by, locations: [{name, does}], event_types, algorithms: [{name, webcrypto, key_len, iv_len,
/// message_iv_len}], default_algorithm,
/// currencies, history_statuses: [{name, icon, applied}], replayable, shadow_kinds: [{name, label,
/// means, fixes, breaks}]}`, every list in the core's order.
#[wasm_bindgen]
pub fn capabilities() -> JsResult {
    to_js(&capabilities_value())
}

/// Where a mapping with these parts is saved: `current` when it fits, else the location that
/// does (see `hookmap_core::Location::suited`).
#[wasm_bindgen(js_name = suitedLocation)]
pub fn suited_location(has_fields: bool, has_message: bool, current: &str) -> String {
    let current = Location::parse(current).unwrap_or(Location::UserFields);
    Location::suited(has_fields, has_message, current).to_string()
}
