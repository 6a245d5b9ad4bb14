//! Any path text against any JSON document: parsing and lookup never panic, and every leaf path
//! the core offers finds its value.
#![no_main]

use hookmap_core::{path, Path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &[u8])| {
    let (text, doc) = input;
    let parsed = Path::parse(text);
    let Ok(doc) = hookmap_core::payload::parse(doc) else {
        return;
    };
    if let Ok(p) = parsed {
        let _ = p.lookup(&doc);
    }
    for leaf in path::leaves(&doc) {
        let p = Path::parse(&leaf.path).expect("a leaf path parses");
        assert_eq!(p.lookup(&doc), Some(leaf.value), "{}", leaf.path);
    }
});
