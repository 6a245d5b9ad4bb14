//! The wasm build, run by wasm-bindgen-test under Node: the shared parity corpus must come out of
//! the facade (the page's `Engine`) exactly as it comes out of the native core
//! (crates/hookmap-core/tests) and the edge (tests/e2e/parity.test.mjs), however long the engine
//! has been kept and in whatever order its inputs change.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hookmap_core::{Catalog, FieldType, MemberState};
use hookmap_wasm::{request_payload, Engine};
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

/// A preview's answer merged into `kept` (the whole preview; anything before the first answer), as
/// www/js/preview_state.js merges it for the page: the whole preview, as the page sees it.
fn merged(kept: &mut Value, answer: &JsValue) -> Value {
    let (rows, parts, changed) = split(answer);
    if parts["full"] == json!(true) {
        *kept = json!({"filtered": null, "member": null, "idempotency_key": null, "effects": [],
                       "message": null, "errors": [], "changes": []});
    }
    assert!(
        kept.is_object(),
        "an answer of changes with no whole preview before it"
    );
    for part in ["filtered", "member", "idempotency_key", "message", "errors"] {
        if let Some(v) = parts.get(part) {
            kept[part] = v.clone();
        }
    }
    for list in ["effects", "changes"] {
        let unnamed = json!("a row the answer did not name");
        kept[list].as_array_mut().unwrap().resize(rows, unnamed);
    }
    for row in changed {
        let i = usize::try_from(row[0].as_u64().unwrap()).unwrap();
        kept["effects"][i] = row[1].clone();
        kept["changes"][i] = match &row[1..] {
            [Value::Null, ..] => Value::Null,
            [_, before, after, Value::Null] => json!({"before": before, "after": after}),
            [_, before, after, error] => json!({"before": before, "after": after, "error": error}),
            _ => unreachable!("five items per row"),
        };
    }
    kept.clone()
}

/// A preview's answer, `[rows, parts | null, i, effect, before, after, error, ...]`, in its
/// three pieces: the row count, the parts (null when none changed), and each changed row's five
/// items.
fn split(answer: &JsValue) -> (usize, Value, Vec<Vec<Value>>) {
    let list = value(answer).as_array().unwrap().clone();
    let rows = usize::try_from(list[0].as_u64().unwrap()).unwrap();
    assert_eq!(
        (list.len() - 2) % 5,
        0,
        "five items per changed row: {list:?}"
    );
    let changed = list[2..].chunks(5).map(<[Value]>::to_vec).collect();
    (rows, list[1].clone(), changed)
}

/// The indexes of the rows an answer names.
fn named_rows(answer: &JsValue) -> Vec<u64> {
    split(answer)
        .2
        .iter()
        .map(|row| row[0].as_u64().unwrap())
        .collect()
}

/// The answer of a preview that must be whole (an engine's first, or its first after new fields,
/// currencies or member), as the page sees it.
fn whole(answer: &JsValue) -> Value {
    assert_eq!(split(answer).1["full"], json!(true));
    merged(&mut Value::Null, answer)
}

fn prop(js: &JsValue, key: &str) -> Value {
    let v = js_sys::Reflect::get(js, &JsValue::from_str(key)).unwrap();
    if v.is_undefined() {
        Value::Null
    } else {
        json!(v.as_string().unwrap())
    }
}

/// A case's currencies, as the page passes them (a JSON array; none: `[]`).
fn currencies(case: &Value) -> String {
    case.get("currencies")
        .cloned()
        .unwrap_or(json!([]))
        .to_string()
}

/// A case's payload text: its `payload`, or what `requestPayload` makes of its `request` (or
/// what that threw).
fn payload_text(case: &Value) -> Result<String, JsValue> {
    let Some(request) = case.get("request") else {
        return Ok(case["payload"].to_string());
    };
    let text = |k: &str| request[k].as_str().map(str::to_owned);
    request_payload(
        text("content_type"),
        &text("body").unwrap(),
        &text("query").unwrap_or_default(),
    )
}

/// An engine with the case's fields, currencies, mapping and payload set; or the error its request
/// threw.
fn engine(case: &Value) -> Result<Engine, JsValue> {
    let text = |k: &str| case[k].to_string();
    let mut engine = Engine::new(&text("fields")).unwrap();
    engine.set_currencies(&currencies(case)).unwrap();
    engine.set_mapping(&text("mapping"));
    engine.set_payload(payload_text(case)?.as_bytes()).unwrap();
    Ok(engine)
}

/// A thrown HookmapError in the corpus's `{code, at}` shape.
fn thrown(e: &JsValue) -> Value {
    assert_eq!(prop(e, "name"), "HookmapError");
    assert!(!prop(e, "message").as_str().unwrap().is_empty());
    json!({ "code": prop(e, "code"), "at": prop(e, "at") })
}

/// What the wasm facade makes of one case, in the corpus's `expect` shape.
fn outcome(engine: &Engine) -> Value {
    match engine.plan() {
        Ok(plan) => json!({ "plan": value(&plan) }),
        Err(e) => json!({ "error": thrown(&e) }),
    }
}

#[wasm_bindgen_test]
fn the_wasm_build_gives_every_expected_outcome() {
    let corpus = corpus(include_str!("../../../tests/parity/cases.json"));
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() >= 9);
    for case in cases {
        let got = match engine(case) {
            Ok(engine) => outcome(&engine),
            Err(e) => json!({ "error": thrown(&e) }),
        };
        assert_eq!(got, case["expect"], "{}", case["name"]);
    }
}

/// A preview without errors read as the edge's plan: its parts, the absent ones left out. The
/// rows a false `when` leaves out (null, with no error) are no effects; a payload the filter
/// turns away plans nothing but its idempotency key.
fn as_plan(shown: &Value) -> Value {
    let filtered = !shown["filtered"].is_null();
    let parts: &[&str] = if filtered {
        &["filtered", "idempotency_key"]
    } else {
        &["member", "idempotency_key", "message"]
    };
    let mut plan: serde_json::Map<String, Value> = parts
        .iter()
        .filter(|k| !shown[**k].is_null())
        .map(|k| (k.to_string(), shown[*k].clone()))
        .collect();
    let effects = shown["effects"].as_array().unwrap().iter();
    let effects = effects.filter(|e| !filtered && !e.is_null()).cloned();
    plan.insert("effects".into(), effects.collect());
    Value::Object(plan)
}

#[wasm_bindgen_test]
fn the_preview_shows_the_edges_plan_or_error_first() {
    let corpus = corpus(include_str!("../../../tests/parity/cases.json"));
    for case in corpus["cases"].as_array().unwrap() {
        let Ok(mut engine) = engine(case) else {
            continue; // no payload: the page shows the request's error, not a preview
        };
        let shown = whole(&engine.preview().unwrap());
        let expect = &case["expect"];
        if expect.get("plan").is_some() {
            assert_eq!(as_plan(&shown), expect["plan"], "{}", case["name"]);
            assert_eq!(shown["errors"], json!([]), "{}", case["name"]);
        } else {
            let first = &shown["errors"][0];
            let got = json!({"code": first["code"], "at": first.get("at").cloned().unwrap_or(Value::Null)});
            assert_eq!(got, expect["error"], "{}", case["name"]);
        }
    }
}

/// One engine, kept across the whole corpus as the page keeps it, set in every order: its
/// previews and plans are the stateless core's, whatever it held before.
#[wasm_bindgen_test]
fn one_engine_reused_over_the_corpus_gives_the_stateless_cores_results() {
    let corpus = corpus(include_str!("../../../tests/parity/cases.json"));
    let mut engine = Engine::new("{}").unwrap();
    // The whole preview as the page keeps it, and the fields and currencies last set.
    let mut kept = Value::Null;
    let mut set = (String::new(), String::new());
    for (i, case) in corpus["cases"].as_array().unwrap().iter().enumerate() {
        let Ok(payload) = payload_text(case) else {
            continue;
        };
        let text = |k: &str| match k {
            "payload" => payload.clone(),
            _ => case[k].to_string(),
        };
        let fields = case["fields"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, t)| (k.clone(), FieldType::parse(t.as_str().unwrap()).unwrap()))
            .collect();
        let keys: Vec<String> = serde_json::from_str(&currencies(case)).unwrap();
        let catalog = Catalog::new(fields, keys);
        // Alternate which of mapping, payload, currencies and fields changes first; every other
        // case sets the fields and currencies only when they differ, as the page does, so its
        // preview answers what changed since the previous case's.
        let catalog_texts = (text("fields"), currencies(case));
        if i % 2 == 0 {
            engine.set_payload(text("payload").as_bytes()).unwrap();
            engine.set_mapping(&text("mapping"));
            engine.set_currencies(&currencies(case)).unwrap();
            engine.set_fields(&text("fields")).unwrap();
        } else {
            if catalog_texts != set {
                engine.set_fields(&text("fields")).unwrap();
                engine.set_currencies(&currencies(case)).unwrap();
            }
            engine.set_mapping(&text("mapping"));
            engine.set_payload(text("payload").as_bytes()).unwrap();
        }
        set = catalog_texts;
        let payload: Value = serde_json::from_str(&payload).unwrap();
        let core = hookmap_core::preview(&case["mapping"], &payload, &catalog);
        // The page gets the core's preview without its `plan`, which repeats the other parts.
        let mut expected = serde_json::to_value(&core).unwrap();
        expected.as_object_mut().unwrap().remove("plan");
        let mut shown = merged(&mut kept, &engine.preview().unwrap());
        let changes = shown.as_object_mut().unwrap().remove("changes").unwrap();
        assert_eq!(shown, expected, "{}", case["name"]);
        let simulated = hookmap_core::simulate(&MemberState::default(), &core.effects);
        assert_eq!(
            changes,
            serde_json::to_value(simulated).unwrap(),
            "{}",
            case["name"]
        );
        assert_eq!(outcome(&engine), case["expect"], "{}", case["name"]);
    }
}

#[wasm_bindgen_test]
fn the_engine_keeps_a_mappings_error_until_a_valid_mapping_is_set() {
    let mut engine = Engine::new(r#"{"tier": "text"}"#).unwrap();
    // Until a mapping is set, the empty one: `user` is required.
    assert_eq!(thrown(&engine.plan().unwrap_err())["at"], "user");
    let bad = json!({"user": {"match": "email", "path": "who"},
                     "fields": [{"target": {"field": "tier"}, "op": "add", "path": "t"}]});
    engine.set_mapping(&bad.to_string());
    let error = json!({"code": "invalid_mapping", "at": "fields[0].op"});
    assert_eq!(thrown(&engine.mapping().unwrap_err()), error);
    for payload in [r#"{"who": "a@b.io", "t": "gold"}"#, "{}", r#"{"t": 1}"#] {
        engine.set_payload(payload.as_bytes()).unwrap();
        engine.set_member(r#"{"balances": {"xp": 1}}"#).unwrap();
        assert_eq!(thrown(&engine.mapping().unwrap_err()), error);
        assert_eq!(thrown(&engine.plan().unwrap_err()), error);
        let shown = whole(&engine.preview().unwrap());
        assert_eq!(shown["errors"][0]["at"], "fields[0].op");
    }
    // Not JSON at all: thrown by everything that needs the mapping, kept just the same.
    engine.set_mapping("{");
    let not_json = json!({"code": "not_json", "at": "mapping"});
    engine.set_payload("{}".as_bytes()).unwrap();
    assert_eq!(thrown(&engine.preview().unwrap_err()), not_json);
    assert_eq!(thrown(&engine.plan().unwrap_err()), not_json);
    assert_eq!(thrown(&engine.mapping().unwrap_err()), not_json);
    let good = json!({"user": {"match": "email", "path": "who"},
                      "fields": [{"target": {"field": "tier"}, "op": "overwrite", "path": "t"}]});
    engine.set_mapping(&good.to_string());
    engine
        .set_payload(r#"{"who": "A@B.io", "t": "gold"}"#.as_bytes())
        .unwrap();
    assert_eq!(value(&engine.mapping().unwrap()), good);
    assert_eq!(
        value(&engine.plan().unwrap()),
        json!({"member": {"match": "email", "value": "a@b.io"}, "effects": [
            {"kind": "field", "field": "tier", "type": "text", "op": "overwrite", "value": "gold"}]})
    );
}

#[wasm_bindgen_test]
fn setting_the_payload_alone_does_not_change_the_mappings_result() {
    let mapping = json!({"user": {"match": "username", "path": "u"}, "idempotency_path": "id",
        "fields": [{"target": {"currency": "xp"}, "op": "add", "path": "n"}]});
    let mut engine = Engine::new("{}").unwrap();
    engine.set_mapping(&mapping.to_string());
    let valid = value(&engine.mapping().unwrap());
    let mut kept = Value::Null;
    for (payload, plan) in [
        (r#"{"u": "ada", "id": "1", "n": 2}"#, Some(2)),
        (r#"{"u": "ada", "id": "1", "n": "two"}"#, None),
        (r#"{"u": "bob", "id": "2", "n": 5}"#, Some(5)),
    ] {
        engine.set_payload(payload.as_bytes()).unwrap();
        assert_eq!(value(&engine.mapping().unwrap()), valid);
        let shown = merged(&mut kept, &engine.preview().unwrap());
        assert_eq!(shown["effects"][0]["amount"], json!(plan), "{payload}");
        // A fresh engine given the same three agrees: nothing of the previous payload remains.
        let mut fresh = Engine::new("{}").unwrap();
        fresh.set_payload(payload.as_bytes()).unwrap();
        fresh.set_mapping(&mapping.to_string());
        assert_eq!(whole(&fresh.preview().unwrap()), shown, "{payload}");
    }
    // An invalid payload is thrown and kept until a valid one is set; the mapping stays valid.
    assert!(engine.set_payload("{".as_bytes()).is_err());
    assert_eq!(thrown(&engine.preview().unwrap_err())["code"], "not_json");
    assert_eq!(thrown(&engine.leaves().unwrap_err())["code"], "not_json");
    assert_eq!(value(&engine.mapping().unwrap()), valid);
    // Bytes that are not UTF-8 are refused as the edge refuses such a body, naming the offset.
    let e = engine.set_payload(b"{\"u\": \"\xff\"}").unwrap_err();
    assert_eq!(thrown(&e)["code"], "not_json");
    let message = prop(&e, "message");
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("not UTF-8 text (invalid byte at offset 7)"),
        "{message}"
    );
    assert_eq!(thrown(&engine.preview().unwrap_err())["code"], "not_json");
}

#[wasm_bindgen_test]
fn new_fields_check_the_kept_mapping_again() {
    let mapping = json!({"user": {"match": "username", "path": "u"},
        "fields": [{"target": {"field": "orders"}, "op": "add", "path": "n"}]});
    let mut engine = Engine::new("{}").unwrap();
    engine.set_mapping(&mapping.to_string());
    engine
        .set_payload(r#"{"u": "ada", "n": 3}"#.as_bytes())
        .unwrap();
    let error = thrown(&engine.plan().unwrap_err());
    assert_eq!(
        error,
        json!({"code": "unknown_field", "at": "fields[0].target.field"})
    );
    engine.set_fields(r#"{"orders": "number"}"#).unwrap();
    assert_eq!(
        value(&engine.plan().unwrap())["effects"][0]["value"],
        json!(3)
    );
    let e = engine.set_fields("[").unwrap_err();
    assert_eq!(thrown(&e), json!({"code": "not_json", "at": "fields"}));
    assert_eq!(thrown(&Engine::new("nope").unwrap_err())["at"], "fields");
}

#[wasm_bindgen_test]
fn the_preview_shows_before_and_after_for_the_typed_in_member() {
    let mapping = json!({"user": {"match": "username", "path": "u"}, "fields": [
        {"target": {"currency": "coins"}, "op": "subtract", "path": "n"},
        {"target": {"field": "orders"}, "op": "add", "path": "n"},
        {"target": {"currency": "gems"}, "op": "add", "path": "n"}]});
    let mut engine = Engine::new(r#"{"orders": "number"}"#).unwrap();
    engine.set_mapping(&mapping.to_string());
    engine
        .set_payload(r#"{"u": "ada", "n": 3}"#.as_bytes())
        .unwrap();
    engine
        .set_member(r#"{"balances": {"coins": 2, "gems": 4}, "fields": {"orders": 10}}"#)
        .unwrap();
    // Until the community's currencies are set, gems is not one of them.
    let shown = whole(&engine.preview().unwrap());
    assert_eq!(shown["errors"][0]["code"], "unknown_currency");
    engine.set_currencies(r#"["gems"]"#).unwrap();
    assert_eq!(engine.currencies(), ["coins", "gems", "xp"]);
    let shown = whole(&engine.preview().unwrap());
    assert_eq!(shown["changes"][0]["before"], json!(2));
    assert_eq!(shown["changes"][0]["after"], json!(-1));
    assert_eq!(shown["changes"][0]["error"]["code"], "insufficient_balance");
    assert_eq!(shown["changes"][1], json!({"before": 10, "after": 13}));
    assert_eq!(shown["changes"][2], json!({"before": 4, "after": 7}));
    let e = engine.set_currencies("[1]").unwrap_err();
    assert_eq!(thrown(&e)["at"], "currencies");
    let e = engine.set_member("{").unwrap_err();
    assert_eq!(thrown(&e)["at"], "member");
}

#[wasm_bindgen_test]
fn invalid_json_is_thrown_with_its_line_and_column() {
    let mut engine = Engine::new("{}").unwrap();
    let e = engine
        .set_payload("{\n  \"a\": 1,\n  \"b\": }".as_bytes())
        .unwrap_err();
    assert_eq!(prop(&e, "code"), "not_json");
    assert!(
        prop(&e, "message")
            .as_str()
            .unwrap()
            .contains("line 3 column 8"),
        "{}",
        prop(&e, "message")
    );
    engine.set_payload("{}".as_bytes()).unwrap();
    engine.set_mapping("{");
    let e = engine.preview().unwrap_err();
    assert_eq!(
        (prop(&e, "code"), prop(&e, "at")),
        (json!("not_json"), json!("mapping"))
    );
}

#[wasm_bindgen_test]
fn leaves_give_a_path_for_every_value() {
    let mut engine = Engine::new("{}").unwrap();
    engine
        .set_payload(r#"{"a": {"b c": [1, true]}, "d.e": null}"#.as_bytes())
        .unwrap();
    let list = value(&engine.leaves().unwrap());
    assert_eq!(
        list,
        json!([{"path": "a.b c[0]", "trail": ["a", "b c", 0], "value": 1},
               {"path": "a.b c[1]", "trail": ["a", "b c", 1], "value": true},
               {"path": "/d.e", "trail": ["d.e"], "value": null}])
    );
}

#[wasm_bindgen_test]
fn a_request_becomes_the_json_text_the_edge_keeps() {
    let form = Some("application/x-www-form-urlencoded".to_owned());
    let text = request_payload(
        form.clone(),
        "a[b]=1&a[c][]=x",
        "dry_run=true&api_key=k&q=2",
    );
    assert_eq!(text.unwrap(), r#"{"a":{"b":"1","c":["x"]},"q":"2"}"#);
    // A JSON body and no parameters: the body's own text, as typed.
    let json_body = "{ \"n\": 1.50 }";
    assert_eq!(
        request_payload(None, json_body, "dry_run=1").unwrap(),
        json_body
    );
    let e = request_payload(form, "a=1&a[b]=2", "").unwrap_err();
    assert_eq!(prop(&e, "code"), "invalid_form");
}

/// A row whose own effect is the same still moves when an earlier row on its currency or field
/// changed: its before -> after follows from theirs. Leaving it out would show a stale balance.
#[wasm_bindgen_test]
fn a_row_after_a_changed_row_on_its_target_is_answered_too() {
    let mapping = json!({"user": {"match": "username", "path": "u"},
        "fields": [{"target": {"currency": "xp"}, "op": "add", "path": "a"},
                   {"target": {"currency": "coins"}, "op": "add", "path": "c"},
                   {"target": {"currency": "xp"}, "op": "add", "path": "b"},
                   {"target": {"field": "n"}, "op": "add", "path": "a"},
                   {"target": {"field": "n"}, "op": "add", "path": "b"}]});
    let mut engine = Engine::new(r#"{"n": "number"}"#).unwrap();
    engine.set_mapping(&mapping.to_string());
    engine.set_member(r#"{"balances": {"xp": 10}}"#).unwrap();
    let mut kept = Value::Null;
    let payloads = [
        r#"{"u": "ada", "a": 1, "b": 2, "c": 5}"#,
        r#"{"u": "ada", "a": 4, "b": 2, "c": 5}"#,
        r#"{"u": "ada", "a": 4, "b": 3, "c": 5}"#,
    ];
    for (k, payload) in payloads.iter().enumerate() {
        engine.set_payload(payload.as_bytes()).unwrap();
        let answer = engine.preview().unwrap();
        let rows = named_rows(&answer);
        // `a` typed: its rows and the later rows on xp and n; coins is left alone.
        // `b` typed: only its own rows, which come last on their targets.
        let expected: &[u64] = match k {
            0 => &[0, 1, 2, 3, 4],
            1 => &[0, 2, 3, 4],
            _ => &[2, 4],
        };
        assert_eq!(rows, expected, "{payload}");
        let shown = merged(&mut kept, &answer);
        let mut fresh = Engine::new(r#"{"n": "number"}"#).unwrap();
        fresh.set_mapping(&mapping.to_string());
        fresh.set_member(r#"{"balances": {"xp": 10}}"#).unwrap();
        fresh.set_payload(payload.as_bytes()).unwrap();
        assert_eq!(whole(&fresh.preview().unwrap()), shown, "{payload}");
    }
    assert_eq!(kept["changes"][2], json!({"before": 14, "after": 17}));
}

/// What the preview answers of a keystroke: only the rows and parts that changed since the
/// engine's previous preview, and all of them again after new fields, currencies or member.
#[wasm_bindgen_test]
fn a_preview_answers_only_what_changed_since_the_previous_one() {
    let mapping = json!({"user": {"match": "username", "path": "u"}, "idempotency_path": "id",
        "fields": [{"target": {"currency": "coins"}, "op": "add", "path": "c"},
                   {"target": {"currency": "xp"}, "op": "add", "path": "x"},
                   {"target": {"field": "tier"}, "op": "overwrite", "path": "t"}]});
    let mut engine = Engine::new(r#"{"tier": "text"}"#).unwrap();
    engine.set_mapping(&mapping.to_string());
    engine
        .set_payload(r#"{"u": "ada", "id": "1", "c": 1, "x": 2, "t": "gold"}"#.as_bytes())
        .unwrap();
    let mut kept = Value::Null;
    let answer = engine.preview().unwrap();
    let (rows, parts, changed) = split(&answer);
    assert_eq!(parts["full"], json!(true));
    assert_eq!((rows, changed.len()), (3, 3));
    merged(&mut kept, &answer);
    // The same again: nothing changed, so nothing is named.
    assert_eq!(value(&engine.preview().unwrap()), json!([3, null]));
    // One value typed: only its row.
    engine
        .set_payload(r#"{"u": "ada", "id": "1", "c": 1, "x": 7, "t": "gold"}"#.as_bytes())
        .unwrap();
    let answer = engine.preview().unwrap();
    assert_eq!(
        value(&answer),
        json!([3, null, 1, {"kind": "currency", "currency": "xp", "op": "add", "amount": 7},
               0, 7, null])
    );
    let shown = merged(&mut kept, &answer);
    assert_eq!(shown["effects"][1]["amount"], json!(7));
    assert_eq!(shown["effects"][0]["amount"], json!(1));
    // The key and a row's error: the parts that changed, and nothing else.
    engine
        .set_payload(r#"{"u": "ada", "id": "2", "c": 1, "x": 7}"#.as_bytes())
        .unwrap();
    let answer = engine.preview().unwrap();
    merged(&mut kept, &answer);
    let (_, parts, changed) = split(&answer);
    assert_eq!(parts["idempotency_key"], json!("2"));
    assert_eq!(
        changed,
        [vec![
            json!(2),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ]]
    );
    assert_eq!(parts["errors"][0]["at"], "fields[2].path");
    assert!(parts.get("member").is_none() && parts.get("message").is_none());
    // A row fewer in the mapping: the count says so, the rows left are unchanged.
    let fewer = json!({"user": mapping["user"], "idempotency_path": "id",
                       "fields": [mapping["fields"][0], mapping["fields"][1]]});
    engine.set_mapping(&fewer.to_string());
    let answer = engine.preview().unwrap();
    assert_eq!(value(&answer), json!([2, {"errors": []}]));
    let shown = merged(&mut kept, &answer);
    // Thrown previews leave the previous one as the base of the next.
    engine.set_mapping("{");
    assert!(engine.preview().is_err());
    engine.set_mapping(&fewer.to_string());
    assert_eq!(merged(&mut kept, &engine.preview().unwrap()), shown);
    let mut fresh = Engine::new(r#"{"tier": "text"}"#).unwrap();
    fresh.set_mapping(&fewer.to_string());
    fresh
        .set_payload(r#"{"u": "ada", "id": "2", "c": 1, "x": 7}"#.as_bytes())
        .unwrap();
    assert_eq!(whole(&fresh.preview().unwrap()), shown);
    // New member, fields or currencies: the whole preview again.
    engine.set_member(r#"{"balances": {"xp": 3}}"#).unwrap();
    let shown = whole(&engine.preview().unwrap());
    assert_eq!(shown["changes"][1], json!({"before": 3, "after": 10}));
    assert_eq!(shown["idempotency_key"], json!("2"));
    engine.set_fields(r#"{"tier": "text"}"#).unwrap();
    assert_eq!(whole(&engine.preview().unwrap()), shown);
    engine.set_currencies("[]").unwrap();
    assert_eq!(whole(&engine.preview().unwrap()), shown);
}

/// The caught request's headers reach the sample's expressions, as the edge's reach its own.
#[wasm_bindgen_test]
fn the_samples_headers_reach_its_expressions() {
    let mut engine = Engine::new("{}").unwrap();
    let mapping = json!({"filter": "headers['x-shopify-topic'] == 'orders/paid'",
                         "user": {"match": "email", "path": "e"},
                         "fields": [{"target": {"currency": "xp"}, "op": "add", "value": "5"}]});
    engine.set_mapping(&mapping.to_string());
    engine.set_payload(br#"{"e": "a@b.io"}"#).unwrap();
    // Without them, the filter finds no topic.
    let missing = thrown(&engine.plan().unwrap_err());
    assert_eq!(
        (missing["code"].as_str(), missing["at"].as_str()),
        (Some("missing_path"), Some("filter"))
    );
    engine
        .set_headers(r#"{"x-shopify-topic": "orders/create"}"#)
        .unwrap();
    assert!(value(&engine.plan().unwrap())["filtered"].is_string());
    engine
        .set_headers(r#"{"x-shopify-topic": "orders/paid"}"#)
        .unwrap();
    assert_eq!(value(&engine.plan().unwrap())["effects"][0]["amount"], 5);
    assert!(engine.set_headers("[1]").is_err());
    engine.set_headers("null").unwrap();
    assert!(engine.plan().is_err());
}

/// The caught request's arrival time reaches `received_at`, as the edge's own does.
#[wasm_bindgen_test]
fn the_samples_arrival_reaches_received_at() {
    let mut engine = Engine::new(r#"{"day": "text"}"#).unwrap();
    let mapping = json!({"user": {"match": "email", "path": "e"},
                         "fields": [{"target": {"field": "day"}, "op": "overwrite",
                                     "value": "received_at"}]});
    engine.set_mapping(&mapping.to_string());
    engine.set_payload(br#"{"e": "a@b.io"}"#).unwrap();
    let missing = thrown(&engine.plan().unwrap_err());
    assert_eq!(
        (missing["code"].as_str(), missing["at"].as_str()),
        (Some("missing_path"), Some("fields[0].value"))
    );
    engine.set_received_at(Some("2026-12-06T04:40:00.000Z".into()));
    assert_eq!(
        value(&engine.plan().unwrap())["effects"][0]["value"],
        "2026-12-06T04:40:00.000Z"
    );
    engine.set_received_at(None);
    assert!(engine.plan().is_err());
}
