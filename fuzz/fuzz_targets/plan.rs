//! Any payload under a mapping that touches every kind of target and a message: planning never
//! panics, the preview agrees with the edge, and the edge's sparse decoding (only what the mapping
//! reads) accepts, refuses and plans exactly as the full parse.
#![no_main]

use hookmap_core::needs::Needs;
use hookmap_core::{inbound, plan, preview, Catalog, FieldType, FieldTypes, Mapping};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let fields: FieldTypes = [
        ("tier".to_owned(), FieldType::Text),
        ("orders".to_owned(), FieldType::Number),
        ("vip".to_owned(), FieldType::Boolean),
    ]
    .into();
    let raw = json!({
        "user": {"match": "email", "path": "a.email"},
        "idempotency_path": "/a/id",
        "fields": [
            {"target": {"currency": "coins"}, "op": "add", "path": "a.n"},
            {"target": {"currency": "xp"}, "op": "subtract", "path": "b[0]"},
            {"target": {"field": "tier"}, "op": "overwrite", "path": "t"},
            {"target": {"field": "orders"}, "op": "add", "path": "b[1]"},
            {"target": {"field": "vip"}, "op": "overwrite", "path": "/v"}],
        "message": {"channel": {"path": "c"}, "template": "{{a.email}} {{t | default: \"-\"}}", "topic": "{{b[2]}}"}
    });
    let Ok(mapping) = Mapping::parse(&raw, &Catalog::with_fields(fields.clone())) else {
        panic!("the fuzz mapping is valid");
    };
    let sparse = inbound::decode(data, None, Some(&Needs::of(&mapping)));
    let payload = match (hookmap_core::payload::parse(data), sparse) {
        (Err(full), Err(sparse)) => return assert_eq!(full, sparse),
        (Ok(payload), Ok(sparse)) => {
            assert_eq!(
                plan(&mapping, &sparse.value, &fields),
                plan(&mapping, &payload, &fields)
            );
            payload
        }
        (full, sparse) => panic!("the full parse gave {full:?}, the sparse one {sparse:?}"),
    };
    let edge = plan(&mapping, &payload, &fields);
    let shown = preview(&raw, &payload, &Catalog::with_fields(fields.clone()));
    match edge {
        Ok(p) => assert_eq!(shown.plan, Some(p)),
        Err(e) => assert_eq!(shown.errors.first(), Some(&e)),
    }
});
