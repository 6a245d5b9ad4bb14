//! hookmap-core's JSON Schema subset agrees with an independent implementation: every verdict in
//! tests/jsonschema/cases.json was made by Python's `jsonschema` (Draft 2020-12), by
//! tests/jsonschema/make_cases.py.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::Path;

use hookmap_core::schema;
use serde_json::Value;

#[test]
fn verdicts_equal_python_jsonschema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/jsonschema/cases.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() > 300, "only {} cases", cases.len());
    let mut disagree = Vec::new();
    for case in &cases {
        let s = &case["schema"];
        schema::check(s, "schema").unwrap();
        let ours = schema::validate(s, &case["data"], "data").is_ok();
        if ours != case["valid"].as_bool().unwrap() {
            disagree.push(format!(
                "{s} / {}: python says {}",
                case["data"], case["valid"]
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}
