//! What the page offers comes from the core: `capabilities()` lists each core set in order, and
//! every operator it offers for a target is one the core accepts there (and no other).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hookmap_core::auth::ApiKeyPlace;
use hookmap_core::event::EventType;
use hookmap_core::expr::{Expr, Function, MAX_LEN};
use hookmap_core::joining::OnUnknownMember;
use hookmap_core::profile::{Digest, Encoding, TOLERANCE_SECS};
use hookmap_core::shadow::ShadowKind;
use hookmap_core::{
    Algorithm, Catalog, ChannelType, DeliveryStatus, FieldType, HistoryStatus, Location, Mapping,
    MatchBy, Op, Profile, SignatureScheme, BUILT_IN_CURRENCIES,
};
use hookmap_wasm::{capabilities, suited_location};
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

fn caps() -> Value {
    let js = capabilities().unwrap();
    serde_json::from_str(&String::from(js_sys::JSON::stringify(&js).unwrap())).unwrap()
}

/// The `name` of each entry of the list `caps[key]`.
fn names_in<'a>(caps: &'a Value, key: &str) -> Vec<&'a str> {
    caps[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap())
        .collect()
}

fn accepted(target: Value, op: &str) -> bool {
    let fields = Catalog::with_fields(FieldType::ALL.map(|t| (t.to_string(), t)).into());
    let mapping = json!({"user": {"match": "email", "path": "e"},
                         "fields": [{"target": target, "op": op, "path": "n"}]});
    Mapping::parse(&mapping, &fields).is_ok()
}

#[wasm_bindgen_test]
fn the_lists_are_the_core_sets() {
    let caps = caps();
    assert_eq!(caps["ops"], json!(Op::NAMES));
    assert_eq!(caps["match_by"], json!(MatchBy::NAMES));
    let locations = names_in(&caps, "locations");
    assert_eq!(locations, Location::NAMES);
    assert_eq!(caps["event_types"], json!(EventType::NAMES));
    assert_eq!(caps["currencies"], json!(BUILT_IN_CURRENCIES));
    let statuses = names_in(&caps, "history_statuses");
    assert_eq!(statuses, HistoryStatus::NAMES);
    assert_eq!(
        caps["history_statuses"][0]["applied"], true,
        "success applied"
    );
    let replayable: Vec<&str> = DeliveryStatus::REPLAYABLE
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(caps["replayable"], json!(replayable));
    let kinds = names_in(&caps, "shadow_kinds");
    assert_eq!(kinds, ShadowKind::NAMES);
    let algorithms = names_in(&caps, "algorithms");
    assert_eq!(algorithms, Algorithm::NAMES);
    assert_eq!(caps["default_algorithm"], "aes-256-gcm");
    assert_eq!(caps["algorithms"][1]["message_iv_len"], 12);
    // What the request tester checks a typed key and IV against, and seals with.
    for (a, webcrypto) in caps["algorithms"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["AES-CBC", "AES-GCM"])
    {
        assert_eq!(a["key_len"], hookmap_core::envelope::KEY_LEN);
        assert_eq!(a["iv_len"], hookmap_core::envelope::IV_LEN);
        assert_eq!(a["webcrypto"], webcrypto);
    }
    let types = names_in(&caps, "field_types");
    assert_eq!(types, FieldType::NAMES);
}

#[wasm_bindgen_test]
fn offered_operators_are_exactly_the_accepted_ones() {
    let caps = caps();
    let offered = |list: &Value, op: Op| list.as_array().unwrap().contains(&json!(op));
    for op in Op::ALL {
        for (i, t) in FieldType::ALL.into_iter().enumerate() {
            let list = &caps["field_types"][i]["ops"];
            assert_eq!(
                offered(list, op),
                accepted(json!({"field": t}), op.as_str()),
                "{op} on {t}"
            );
        }
        for currency in caps["currencies"].as_array().unwrap() {
            let target = json!({ "currency": currency });
            assert_eq!(
                offered(&caps["currency_ops"], op),
                accepted(target, op.as_str()),
                "{op} on {currency}"
            );
        }
    }
}

#[wasm_bindgen_test]
fn the_signature_choices_are_the_core_sets() {
    let caps = caps();
    assert_eq!(names_in(&caps, "signature_schemes"), SignatureScheme::NAMES);
    assert_eq!(caps["hmac_algorithms"], json!(Digest::NAMES));
    assert_eq!(caps["signature_encodings"], json!(Encoding::NAMES));
    assert_eq!(caps["signature_tolerance"], TOLERANCE_SECS);
    assert_eq!(names_in(&caps, "api_key_places"), ApiKeyPlace::NAMES);
    assert_eq!(caps["channel_types"], json!(ChannelType::NAMES));
    assert_eq!(
        names_in(&caps, "unknown_member_policies"),
        OnUnknownMember::NAMES
    );
    for (shown, scheme) in caps["signature_schemes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(SignatureScheme::ALL)
    {
        assert_eq!(shown["headers"], json!(scheme.headers()), "{scheme}");
        assert_eq!(
            shown["generates_secret"],
            scheme.generates_secret(),
            "{scheme}"
        );
        assert_eq!(shown["setup"], scheme.setup(), "{scheme}");
        assert!(!shown["label"].as_str().unwrap().is_empty(), "{scheme}");
    }
}

/// The page sends a scheme alone, or with the HMAC settings where `settings` says it has them:
/// each offered scheme, hash and encoding is one the core accepts, in the members the page fills.
#[wasm_bindgen_test]
fn offered_signatures_are_accepted() {
    let caps = caps();
    for shown in caps["signature_schemes"].as_array().unwrap() {
        let name = shown["name"].as_str().unwrap();
        let settings = shown["settings"].as_bool().unwrap();
        let alone = Profile::parse(&json!({ "scheme": name }), "signature");
        assert_eq!(alone.is_ok(), !settings, "{name} alone");
        for algorithm in caps["hmac_algorithms"].as_array().unwrap() {
            for encoding in caps["signature_encodings"].as_array().unwrap() {
                // Every member the page's HMAC section fills.
                let described = json!({
                    "scheme": name, "header": "X-Sig", "algorithm": algorithm, "encoding": encoding,
                    "prefix": "v1=", "timestamp_header": "X-Ts", "signed_content": "{timestamp}.{body}",
                    "id_header": "X-Id", "tolerance": caps["signature_tolerance"],
                });
                let parsed = Profile::parse(&described, "signature");
                assert_eq!(
                    parsed.is_ok(),
                    settings,
                    "{name} with {algorithm} {encoding}"
                );
            }
        }
    }
}

/// The editor completes the functions `capabilities()` lists and stops at its length: each one
/// parses when called with its fewest arguments (`has` takes a member), a name it does not list does not, and the
/// longest expression it lets through parses.
#[wasm_bindgen_test]
fn offered_expression_functions_and_length_are_the_accepted_ones() {
    let caps = caps();
    let offered = &caps["expressions"];
    assert_eq!(offered["functions"], json!(Function::NAMES));
    assert_eq!(offered["max_len"], MAX_LEN);
    for name in offered["functions"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        let function = Function::parse(name).unwrap();
        let call = if function.is_macro() {
            format!("[1].{name}(x, x)")
        } else {
            let (fewest, _) = function.arity();
            format!("{name}({})", vec!["a.b"; fewest].join(", "))
        };
        assert!(Expr::parse(&call).is_ok(), "{call}");
    }
    assert!(Expr::parse("frobnicate(1)").is_err());
    let longest = "a".repeat(MAX_LEN);
    assert!(Expr::parse(&longest).is_ok());
    assert!(Expr::parse(&format!("{longest}a")).is_err());
}

#[wasm_bindgen_test]
fn a_mapping_is_saved_where_it_fits() {
    assert_eq!(suited_location(false, true, "user_fields"), "chat");
    assert_eq!(suited_location(true, false, "chat"), "user_fields");
    assert_eq!(suited_location(true, true, "chat"), "chat");
}
