//! `Engine.shadow` under wasm: the history's list answer, as text, judged with the engine's
//! mapping and catalog exactly as the native core judges it, and unreadable text thrown.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hookmap_core::shadow::{self, ShadowKind};
use hookmap_core::{Catalog, Draft, FieldType};
use hookmap_wasm::Engine;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn value(js: &JsValue) -> Value {
    serde_json::from_str(&String::from(js_sys::JSON::stringify(js).unwrap())).unwrap()
}

fn prop(js: &JsValue, key: &str) -> String {
    js_sys::Reflect::get(js, &JsValue::from_str(key))
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

fn mapping() -> Value {
    json!({"filter": "!has(payload.test)", "user": {"match": "email", "path": "who", "create": {"username": "name"}},
           "fields": [{"target": {"currency": "gems"}, "op": "add", "path": "gems"},
                      {"target": {"field": "tier"}, "op": "overwrite", "path": "tier"}]})
}

fn item(id: &str, status: &str, code: Option<&str>, effects: Value, payload: Value) -> Value {
    json!({"id": id, "status": status, "http_status": 200, "user_id": null, "message_id": null,
           "error": code.map(|c| json!({"code": c, "message": "why", "at": null})),
           "idempotency_key": null, "effects": effects, "replay_of": null, "replayed_as": null,
           "created_at": "2026-11-30T03:00:00Z", "stale": false, "payload": payload,
           "payload_truncated": false, "payload_text": null, "payload_expired": false})
}

/// One delivery of each kind, under `mapping()` with the catalog below.
fn history() -> String {
    let gems = |n: u64| json!({"kind": "currency", "currency": "gems", "op": "add", "amount": n});
    let tier = json!({"kind": "field", "field": "tier", "type": "text", "op": "overwrite", "value": "gold"});
    let payload = |n: u64| json!({"who": "ada@example.com", "gems": n, "tier": "gold"});
    let mut expired = item("d7", "success", None, json!([gems(1)]), Value::Null);
    expired["payload_expired"] = json!(true);
    let items = vec![
        item("d1", "success", None, json!([tier, gems(2)]), payload(2)),
        item("d2", "success", None, json!([gems(1), tier]), payload(2)),
        item(
            "d3",
            "failed",
            Some("missing_path"),
            Value::Null,
            payload(3),
        ),
        item(
            "d4",
            "success",
            None,
            json!([gems(2), tier]),
            json!({"who": "ada@example.com"}),
        ),
        item(
            "d5",
            "failed",
            Some("wrong_type"),
            Value::Null,
            json!({"who": 5}),
        ),
        item(
            "d9",
            "success",
            None,
            json!([gems(2), tier]),
            json!({"who": "ada@example.com", "gems": 2, "tier": "gold", "test": true}),
        ),
        item(
            "d6",
            "failed",
            Some("insufficient_balance"),
            json!([gems(2), tier]),
            payload(2),
        ),
        // Held for a member who has not joined.
        item(
            "d10",
            "pending",
            Some("member_unknown"),
            Value::Null,
            payload(2),
        ),
        // Failed for an unknown member; the mapping names a valid new member.
        item(
            "d11",
            "failed",
            Some("unknown_member"),
            json!([gems(2), tier]),
            json!({"who": "new@example.com", "name": "newbie", "gems": 2, "tier": "gold"}),
        ),
        item(
            "d8",
            "replayed",
            Some("missing_path"),
            Value::Null,
            payload(2),
        ),
        expired,
    ];
    json!({"data": items, "page": 1, "per_page": 50, "total": 11,
           "totals": {"success": 4, "failed": 4, "pending": 1, "filtered": 0, "replayed": 1}})
    .to_string()
}

fn catalog() -> Catalog {
    Catalog::new([("tier".to_owned(), FieldType::Text)].into(), ["gems"])
}

fn engine() -> Engine {
    let mut engine = Engine::new(r#"{"tier": "text"}"#).unwrap();
    engine.set_currencies(r#"["gems"]"#).unwrap();
    engine.set_mapping(&mapping().to_string());
    engine
}

#[wasm_bindgen_test]
fn every_kind_comes_out_as_the_native_core_judges_it() {
    let shown = value(&engine().shadow(&history()).unwrap());
    let kinds: Vec<&str> = shown["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ShadowKind::NAMES,
        "one delivery of each kind, in order"
    );
    assert!(shown["summary"]
        .as_object()
        .unwrap()
        .values()
        .all(|n| *n == json!(1)));

    let draft = Draft::parse(&mapping(), &catalog());
    let creates = draft.mapping().ok().and_then(|m| m.user.as_ref());
    let native = shadow::judge_creating(
        &shadow::deliveries(&history()).unwrap(),
        |p| draft.plan(p),
        creates,
    );
    assert_eq!(shown, serde_json::to_value(&native).unwrap());

    let refused = &shown["items"][6];
    assert_eq!(refused["stored"]["error"]["code"], "insufficient_balance");
    assert_eq!(refused["effects_changed"], false);
    assert_eq!(
        shown["items"][7]["new"]["plan"]["effects"][0],
        json!({"kind": "currency", "currency": "gems", "op": "add", "amount": 2})
    );
    assert_eq!(shown["items"][10]["new"], Value::Null);
}

#[wasm_bindgen_test]
fn payload_numbers_stay_exact() {
    let mut engine = engine();
    engine.set_mapping(
        &json!({"user": {"match": "email", "path": "who"},
                "fields": [{"target": {"field": "tier"}, "op": "overwrite", "path": "id"}]})
        .to_string(),
    );
    let text = r#"{"data": [{"id": "d1", "status": "pending",
                   "payload": {"who": "a@b.io", "id": 9007199254740993}}]}"#;
    let shown = value(&engine.shadow(text).unwrap());
    let effect = &shown["items"][0]["new"]["plan"]["effects"][0];
    assert_eq!(effect["value"], "9007199254740993");
}

#[wasm_bindgen_test]
fn a_mapping_with_errors_fails_every_delivery_with_its_first_error() {
    let mut engine = engine();
    for mapping in [r#"{"user": {}}"#, "{not json"] {
        engine.set_mapping(mapping);
        let shown = value(&engine.shadow(&history()).unwrap());
        let items = shown["items"].as_array().unwrap();
        for item in items {
            let expected = match (item["stored"]["status"].as_str(), &item["new"]) {
                (Some("replayed"), _) => "replayed",
                (_, Value::Null) => "no_payload",
                (Some("failed"), _) => "still_fails",
                _ => "would_fail",
            };
            assert_eq!(item["kind"], expected, "{mapping}: {item}");
        }
        let first = &items[0]["new"]["error"];
        let code = if mapping.starts_with("{not") {
            "not_json"
        } else {
            "invalid_mapping"
        };
        assert_eq!(first["code"], code, "{mapping}");
    }
}

#[wasm_bindgen_test]
fn text_that_is_not_a_history_answer_is_thrown() {
    for text in [
        "{\"data\": [",
        "[]",
        r#"{"data": [{"id": "d1", "status": "lost"}]}"#,
    ] {
        let e = engine().shadow(text).unwrap_err();
        assert_eq!(prop(&e, "name"), "HookmapError");
        assert_eq!(prop(&e, "at"), "deliveries");
        assert!(["not_json", "wrong_type"].contains(&prop(&e, "code").as_str()));
    }
}
