//! What the page may offer, from the core's closed sets: the capabilities as plain structs. The
//! build script (build.rs) includes this file and writes them as JSON text, which the page's wasm
//! carries instead of the code that would serialize them (see `vocabulary.rs`).

use hookmap_core::auth::ApiKeyPlace;
use hookmap_core::envelope::{IV_LEN, KEY_LEN};
use hookmap_core::event::EventType;
use hookmap_core::expr::{self, Function};
use hookmap_core::joining::OnUnknownMember;
use hookmap_core::ops::CURRENCY_OPS;
use hookmap_core::profile::{Digest, Encoding, TOLERANCE_SECS};
use hookmap_core::shadow::ShadowKind;
use hookmap_core::{
    Algorithm, ChannelType, DeliveryStatus, FieldType, HistoryStatus, Location, MatchBy, Op,
    SignatureScheme, BUILT_IN_CURRENCIES,
};
use serde::Serialize;

// The sets as plain structs rather than `json!` values, serialized once, when the crate is built.

/// What the page may offer: `{ops, currency_ops, field_types: [{name, ops, value_kind}],
/// match_by, locations: [{name, does}], event_types, algorithms: [{name, webcrypto, key_len, iv_len,
/// message_iv_len}], default_algorithm,
/// currencies, history_statuses: [{name, icon, applied}], replayable, shadow_kinds: [{name, label,
/// means, fixes, breaks}], signature_schemes: [{name, label, headers, generates_secret, setup,
/// settings}], hmac_algorithms, signature_encodings, signature_tolerance, api_key_places: [{name,
/// label}], unknown_member_policies: [{name, label}], channel_types, expressions: {functions,
/// max_len}}`, every list in the core's order.
#[derive(Serialize)]
pub struct Capabilities {
    ops: [Op; Op::ALL.len()],
    currency_ops: [Op; CURRENCY_OPS.len()],
    field_types: Vec<FieldTypeShown>,
    match_by: [MatchBy; MatchBy::ALL.len()],
    locations: Vec<LocationShown>,
    event_types: [EventType; EventType::ALL.len()],
    algorithms: Vec<AlgorithmShown>,
    default_algorithm: Algorithm,
    currencies: [&'static str; BUILT_IN_CURRENCIES.len()],
    history_statuses: Vec<HistoryStatusShown>,
    replayable: [DeliveryStatus; DeliveryStatus::REPLAYABLE.len()],
    shadow_kinds: Vec<ShadowKindShown>,
    signature_schemes: Vec<SignatureSchemeShown>,
    hmac_algorithms: &'static [&'static str],
    signature_encodings: &'static [&'static str],
    signature_tolerance: u64,
    api_key_places: Vec<ApiKeyPlaceShown>,
    unknown_member_policies: Vec<PolicyShown>,
    channel_types: [ChannelType; ChannelType::ALL.len()],
    expressions: ExpressionsShown,
}

/// What an expression (a row's `value` or `when`, a mapping's `filter`) may call, and how long it
/// may be: the editor completes those names and stops at that length.
#[derive(Serialize)]
struct ExpressionsShown {
    functions: &'static [&'static str],
    max_len: usize,
}

#[derive(Serialize)]
struct FieldTypeShown {
    name: FieldType,
    ops: &'static [Op],
    value_kind: &'static str,
}

#[derive(Serialize)]
struct AlgorithmShown {
    name: Algorithm,
    webcrypto: &'static str,
    key_len: usize,
    iv_len: usize,
    message_iv_len: usize,
}

#[derive(Serialize)]
struct LocationShown {
    name: Location,
    does: &'static str,
}

#[derive(Serialize)]
struct HistoryStatusShown {
    name: HistoryStatus,
    icon: &'static str,
    applied: bool,
}

#[derive(Serialize)]
struct ShadowKindShown {
    name: ShadowKind,
    label: &'static str,
    means: &'static str,
    fixes: bool,
    breaks: bool,
}

#[derive(Serialize)]
struct SignatureSchemeShown {
    name: &'static str,
    label: &'static str,
    headers: &'static [&'static str],
    generates_secret: bool,
    setup: &'static str,
    /// Described by settings (header, algorithm, encoding...) rather than fixed by a provider.
    settings: bool,
}

#[derive(Serialize)]
struct ApiKeyPlaceShown {
    name: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct PolicyShown {
    name: &'static str,
    label: &'static str,
}

/// The capabilities, every list in the core's order.
pub fn capabilities() -> Capabilities {
    Capabilities {
        ops: Op::ALL,
        currency_ops: CURRENCY_OPS,
        field_types: FieldType::ALL
            .into_iter()
            .map(|t| FieldTypeShown {
                name: t,
                ops: t.ops(),
                value_kind: t.value_kind(),
            })
            .collect(),
        match_by: MatchBy::ALL,
        locations: Location::ALL
            .into_iter()
            .map(|l| LocationShown {
                name: l,
                does: does(l),
            })
            .collect(),
        event_types: EventType::ALL,
        algorithms: Algorithm::ALL
            .into_iter()
            .map(|a| AlgorithmShown {
                name: a,
                webcrypto: webcrypto(a),
                key_len: KEY_LEN,
                iv_len: IV_LEN,
                message_iv_len: a.message_iv_len(),
            })
            .collect(),
        // GCM authenticates the body; CBC is there for senders that only have CBC.
        default_algorithm: Algorithm::Aes256Gcm,
        currencies: BUILT_IN_CURRENCIES,
        // The console's history filter, and which of them a replay takes.
        history_statuses: HistoryStatus::ALL
            .into_iter()
            .map(|s| HistoryStatusShown {
                name: s,
                icon: icon(s),
                applied: s == HistoryStatus::Success,
            })
            .collect(),
        replayable: DeliveryStatus::REPLAYABLE,
        // What Engine.shadow calls each delivery, in the order its summary counts them.
        shadow_kinds: ShadowKind::ALL
            .into_iter()
            .map(|k| {
                let (label, means) = shown(k);
                ShadowKindShown {
                    name: k,
                    label,
                    means,
                    fixes: k == ShadowKind::WouldSucceed,
                    breaks: k == ShadowKind::WouldFail,
                }
            })
            .collect(),
        // The settings' section of an incoming webhook: one scheme, what its sender configures.
        signature_schemes: SignatureScheme::ALL
            .into_iter()
            .map(|s| s.descriptor())
            .map(|d| SignatureSchemeShown {
                name: d.name,
                label: d.label,
                headers: d.headers,
                generates_secret: d.generates_secret,
                setup: d.setup,
                settings: d.has_settings(),
            })
            .collect(),
        hmac_algorithms: &Digest::NAMES,
        signature_encodings: &Encoding::NAMES,
        signature_tolerance: TOLERANCE_SECS.unsigned_abs(),
        api_key_places: ApiKeyPlace::ALL
            .into_iter()
            .map(|p| ApiKeyPlaceShown {
                name: p.as_str(),
                label: key_place_label(p),
            })
            .collect(),
        // The settings' choice of what a delivery for a member who has not joined does.
        unknown_member_policies: OnUnknownMember::ALL
            .into_iter()
            .map(|p| PolicyShown {
                name: p.as_str(),
                label: unknown_member_label(p),
            })
            .collect(),
        channel_types: ChannelType::ALL,
        expressions: ExpressionsShown {
            functions: &Function::NAMES,
            max_len: expr::MAX_LEN,
        },
    }
}

/// How the console says where a sender puts the API key.
/// How the console names what a webhook does for a member who has not joined.
fn unknown_member_label(policy: OnUnknownMember) -> &'static str {
    match policy {
        OnUnknownMember::Fail => "fail the delivery (unknown_member)",
        OnUnknownMember::Hold => {
            "hold it until they join, then apply it once (needs an API key or a signature)"
        }
        OnUnknownMember::Create => {
            "create the member from the payload (the mapping's new member path; needs an API key or a signature)"
        }
    }
}

fn key_place_label(place: ApiKeyPlace) -> &'static str {
    match place {
        ApiKeyPlace::Header => "in a header: x-api-key or Authorization: Bearer",
        ApiKeyPlace::Query => "in the URL too: ?api_key=",
    }
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
        HistoryStatus::Filtered => "⊘",
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
        ShadowKind::WouldFilter => (
            "would be filtered",
            "the new mapping's filter turns it away: it would apply nothing",
        ),
        ShadowKind::FailedAfterPlanning => (
            "failed in storage",
            "it failed after planning (member, balance, channel): only a replay tells",
        ),
        ShadowKind::WouldCreate => (
            "would create",
            "it failed for an unknown member; the mapping names a valid new member: a webhook that creates members would create them and apply it",
        ),
        ShadowKind::WouldHold => (
            "would hold",
            "it waits for its member to join; the new mapping plans it, and it applies when they do",
        ),
        ShadowKind::Replayed => ("replayed", "already replayed: its replay has its own row"),
        ShadowKind::NoPayload => (
            "no payload",
            "the payload is gone or was cut: nothing to replay",
        ),
    }
}
