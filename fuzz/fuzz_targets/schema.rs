//! Any JSON as a schema and as data: the JSON Schema subset's check and validation never panic,
//! and a failure always names a place inside the data.
#![no_main]

use hookmap_core::schema;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = hookmap_core::payload::parse(data) else {
        return;
    };
    // `[schema, data]` tries one against the other; anything else is tried against itself.
    let (s, d) = match &value {
        Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
        other => (other, other),
    };
    let _ = schema::check(s, "schema");
    if let Err(e) = schema::validate(s, d, "data") {
        assert!(e.location().is_some_and(|at| at.starts_with("data")));
    }
});
