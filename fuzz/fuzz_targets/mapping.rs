//! Any JSON as a mapping: validation never panics, and a valid mapping round-trips.
#![no_main]

use hookmap_core::{Catalog, FieldType, FieldTypes, Mapping};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = hookmap_core::payload::parse(data) else {
        return;
    };
    let fields: FieldTypes = [
        ("tier".to_owned(), FieldType::Text),
        ("orders".to_owned(), FieldType::Number),
        ("vip".to_owned(), FieldType::Boolean),
    ]
    .into();
    let fields = Catalog::new(fields, ["gems"]);
    if let Ok(mapping) = Mapping::parse(&value, &fields) {
        let again = Mapping::parse(&mapping.to_value(), &fields).expect("a stored mapping parses");
        assert_eq!(again, mapping);
    }
});
