//! The wasm build, run by wasm-bindgen-test under Node: the shared parity corpus and the
//! independent envelope vectors must come out of the facade exactly as they come out of the native
//! core (crates/hookmap-core/tests) and the edge (tests/e2e/parity.test.mjs).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use base64::Engine;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn corpus(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A JS value back as serde_json, through JSON text.
fn value(js: &JsValue) -> Value {
    serde_json::from_str(&String::from(js_sys::JSON::stringify(js).unwrap())).unwrap()
}

fn prop(js: &JsValue, key: &str) -> Value {
    let v = js_sys::Reflect::get(js, &JsValue::from_str(key)).unwrap();
    if v.is_undefined() {
        Value::Null
    } else {
        json!(v.as_string().unwrap())
    }
}

/// What the wasm facade makes of one case, in the corpus's `expect` shape.
fn outcome(case: &Value) -> Value {
    let text = |k: &str| case[k].to_string();
    match hookmap_wasm::plan(&text("mapping"), &text("payload"), &text("fields")) {
        Ok(plan) => json!({ "plan": value(&plan) }),
        Err(e) => {
            assert_eq!(prop(&e, "name"), "HookmapError");
            assert!(!prop(&e, "message").as_str().unwrap().is_empty());
            json!({ "error": { "code": prop(&e, "code"), "at": prop(&e, "at") } })
        }
    }
}

#[wasm_bindgen_test]
fn the_wasm_build_gives_every_expected_outcome() {
    let corpus = corpus(include_str!("../../../tests/parity/cases.json"));
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() >= 9);
    for case in cases {
        assert_eq!(outcome(case), case["expect"], "{}", case["name"]);
    }
}

#[wasm_bindgen_test]
fn the_preview_shows_the_edges_plan_or_error_first() {
    let corpus = corpus(include_str!("../../../tests/parity/cases.json"));
    for case in corpus["cases"].as_array().unwrap() {
        let text = |k: &str| case[k].to_string();
        let shown = value(
            &hookmap_wasm::preview(&text("mapping"), &text("payload"), &text("fields"), "{}")
                .unwrap(),
        );
        let expect = &case["expect"];
        if expect.get("plan").is_some() {
            assert_eq!(shown["plan"], expect["plan"], "{}", case["name"]);
            assert_eq!(shown["errors"], json!([]), "{}", case["name"]);
        } else {
            let first = &shown["errors"][0];
            let got = json!({"code": first["code"], "at": first.get("at").cloned().unwrap_or(Value::Null)});
            assert_eq!(got, expect["error"], "{}", case["name"]);
            assert_eq!(shown["plan"], Value::Null, "{}", case["name"]);
        }
    }
}

#[wasm_bindgen_test]
fn the_preview_shows_before_and_after_for_the_typed_in_member() {
    let mapping = json!({"user": {"match": "username", "path": "u"}, "fields": [
        {"target": {"currency": "coins"}, "op": "subtract", "path": "n"},
        {"target": {"field": "orders"}, "op": "add", "path": "n"}]});
    let shown = value(
        &hookmap_wasm::preview(
            &mapping.to_string(),
            r#"{"u": "ada", "n": 3}"#,
            r#"{"orders": "number"}"#,
            r#"{"coins": 2, "fields": {"orders": 10}}"#,
        )
        .unwrap(),
    );
    assert_eq!(shown["changes"][0]["before"], json!(2));
    assert_eq!(shown["changes"][0]["after"], json!(-1));
    assert_eq!(shown["changes"][0]["error"]["code"], "insufficient_balance");
    assert_eq!(shown["changes"][1], json!({"before": 10, "after": 13}));
}

#[wasm_bindgen_test]
fn invalid_json_is_thrown_with_its_line_and_column() {
    let e = hookmap_wasm::parse_payload("{\n  \"a\": 1,\n  \"b\": }").unwrap_err();
    assert_eq!(prop(&e, "code"), "not_json");
    assert!(
        prop(&e, "message")
            .as_str()
            .unwrap()
            .contains("line 3 column 8"),
        "{}",
        prop(&e, "message")
    );
    let e = hookmap_wasm::preview("{", "{}", "{}", "{}").unwrap_err();
    assert_eq!(
        (prop(&e, "code"), prop(&e, "at")),
        (json!("not_json"), json!("mapping"))
    );
}

#[wasm_bindgen_test]
fn leaves_give_a_path_for_every_value() {
    let list = value(&hookmap_wasm::leaves(r#"{"a": {"b c": [1, true]}, "d.e": null}"#).unwrap());
    assert_eq!(
        list,
        json!([{"path": "a.b c[0]", "trail": ["a", "b c", 0], "value": 1},
               {"path": "a.b c[1]", "trail": ["a", "b c", 1], "value": true},
               {"path": "/d.e", "trail": ["d.e"], "value": null}])
    );
}

#[wasm_bindgen_test]
fn opens_and_seals_as_the_independent_implementation() {
    let v = corpus(include_str!("../../../tests/vectors/envelope.json"));
    let (key, iv) = (v["key"].as_str().unwrap(), v["iv"].as_str().unwrap());
    let b64 = base64::engine::general_purpose::STANDARD;
    for case in v["vectors"].as_array().unwrap() {
        let (alg, plaintext) = (
            case["algorithm"].as_str().unwrap(),
            case["plaintext"].as_str().unwrap(),
        );
        let body = case["body"].as_str().unwrap();
        assert_eq!(hookmap_wasm::open(alg, key, iv, body).unwrap(), plaintext);
        let sealed = match serde_json::from_str::<Value>(body) {
            Ok(envelope) => {
                let message_iv = b64.decode(envelope["iv"].as_str().unwrap()).unwrap();
                let sealed = hookmap_wasm::seal(alg, key, iv, plaintext, Some(message_iv)).unwrap();
                assert_eq!(corpus(&sealed), envelope);
                continue;
            }
            Err(_) => hookmap_wasm::seal(alg, key, iv, plaintext, None).unwrap(),
        };
        assert_eq!(sealed, body);
    }
    let e = hookmap_wasm::open("aes-256-gcm", key, iv, "AAAAAAAAAAAAAAAAAAAAAAAA").unwrap_err();
    assert_eq!(prop(&e, "code"), "tag_mismatch");
    let e = hookmap_wasm::seal("rot13", key, iv, "{}", None).unwrap_err();
    assert_eq!(prop(&e, "code"), "invalid_encryption");
}
