//! The shared parity corpus (tests/parity/cases.json) through the native core. The same file runs
//! through the wasm build (crates/hookmap-wasm/tests) and the edge (tests/e2e), and all three must
//! agree exactly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hookmap_core::{plan, FieldType, FieldTypes, Mapping};
use serde_json::{json, Value};

/// What the core makes of one case, in the corpus's `expect` shape.
fn outcome(case: &Value) -> Value {
    let fields: FieldTypes = case["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.clone(), FieldType::parse(t.as_str().unwrap()).unwrap()))
        .collect();
    let result =
        Mapping::parse(&case["mapping"], &fields).and_then(|m| plan(&m, &case["payload"], &fields));
    match result {
        Ok(plan) => json!({ "plan": plan }),
        Err(e) => json!({ "error": { "code": e.code(), "at": e.location() } }),
    }
}

#[test]
fn the_native_core_gives_every_expected_outcome() {
    let corpus: Value =
        serde_json::from_str(include_str!("../../../tests/parity/cases.json")).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() >= 9);
    for case in cases {
        assert_eq!(outcome(case), case["expect"], "{}", case["name"]);
    }
}
