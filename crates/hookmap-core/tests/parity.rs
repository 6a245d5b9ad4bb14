//! The shared parity corpus (tests/parity/cases.json) through the native core. The same file runs
//! through the wasm build (crates/hookmap-wasm/tests) and the edge (tests/e2e), and all three must
//! agree exactly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hookmap_core::inbound::decode_request;
use hookmap_core::needs::{self, Needs};
use hookmap_core::{form, plan, preview, Catalog, Draft, FieldType, Mapping, Sender};
use serde_json::{json, Value};

/// A case's payload: its `payload`, or what the edge makes of its `request` (a body, its content
/// type and a query string, read as the edge reads them).
fn payload_of(case: &Value) -> Result<Value, hookmap_core::Error> {
    let Some(request) = case.get("request") else {
        return Ok(case["payload"].clone());
    };
    let params = form::params(request["query"].as_str().unwrap_or(""))?;
    decode_request(
        request["body"].as_str().unwrap().as_bytes(),
        request["content_type"].as_str(),
        &params,
        None,
        Sender::Anonymous,
        None,
    )
    .map(|decoded| decoded.value)
}

/// A case's field definitions and currencies (besides the built-in ones); a type the core does
/// not know fails the test (a broken corpus).
fn catalog_of(case: &Value) -> Catalog {
    let fields = case["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.clone(), FieldType::parse(t.as_str().unwrap()).unwrap()))
        .collect();
    let currencies = case["currencies"].as_array().into_iter().flatten();
    Catalog::new(fields, currencies.map(|c| c.as_str().unwrap()))
}

/// What the core makes of one case, in the corpus's `expect` shape.
fn outcome(case: &Value) -> Value {
    let catalog = catalog_of(case);
    let result = Mapping::parse(&case["mapping"], &catalog)
        .and_then(|m| plan(&m, &payload_of(case)?, catalog.fields()));
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

/// The mapping page's Engine parses a mapping once ([`Draft`]) and previews or plans each new
/// payload with it: on every case that must be what the one-shot functions give.
#[test]
fn a_draft_parsed_once_gives_what_the_one_shot_functions_give() {
    let corpus: Value =
        serde_json::from_str(include_str!("../../../tests/parity/cases.json")).unwrap();
    for case in corpus["cases"].as_array().unwrap() {
        let catalog = catalog_of(case);
        let draft = Draft::parse(&case["mapping"], &catalog);
        let Ok(payload) = payload_of(case) else {
            continue; // no payload to plan from: nothing for a draft to agree on
        };
        let (mapping, payload) = (&case["mapping"], &payload);
        assert_eq!(
            draft.mapping().cloned().map_err(Clone::clone),
            Mapping::parse(mapping, &catalog),
            "{}",
            case["name"]
        );
        let one_shot =
            Mapping::parse(mapping, &catalog).and_then(|m| plan(&m, payload, catalog.fields()));
        assert_eq!(draft.plan(payload), one_shot, "{}", case["name"]);
        assert_eq!(
            draft.preview(payload),
            preview(mapping, payload, &catalog),
            "{}",
            case["name"]
        );
        // The same draft, reused on another payload, still answers as the one-shot functions.
        let other = json!({"unrelated": true});
        assert_eq!(
            draft.preview(&other),
            preview(mapping, &other, &catalog),
            "{}",
            case["name"]
        );
    }
}

/// The edge parses only what a mapping reads (`needs`): on every case that gives what the whole
/// payload gives, errors and their messages included.
#[test]
fn the_sparse_parse_plans_as_the_whole_payload() {
    let corpus: Value =
        serde_json::from_str(include_str!("../../../tests/parity/cases.json")).unwrap();
    for case in corpus["cases"].as_array().unwrap() {
        let catalog = catalog_of(case);
        let (Ok(mapping), Some(payload)) = (
            Mapping::parse(&case["mapping"], &catalog),
            case.get("payload"),
        ) else {
            continue; // nothing planned, or a request the edge reads whole (a form)
        };
        let text = payload.to_string();
        let sparse = needs::parse(&text, &Needs::of(&mapping)).unwrap();
        assert_eq!(
            plan(&mapping, &sparse, catalog.fields()),
            plan(&mapping, payload, catalog.fields()),
            "{}",
            case["name"]
        );
    }
}
