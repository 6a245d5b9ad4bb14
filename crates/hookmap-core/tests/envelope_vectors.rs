//! Known-answer tests: bodies made by Python's `cryptography` (tests/vectors/) must open to their
//! plaintext, and what hookmap seals must equal them: byte for byte under the fixed IV, member for
//! member as an `{iv, data}` envelope under the vector's IV.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hookmap_core::{Algorithm, Encryption};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../../tests/vectors/envelope.json")).unwrap()
}

/// The encryption settings a vector was made under.
fn encryption(v: &Value, case: &Value) -> Encryption {
    let algorithm = Algorithm::parse(case["algorithm"].as_str().unwrap()).unwrap();
    Encryption::new(
        algorithm,
        v["key"].as_str().unwrap(),
        v["iv"].as_str().unwrap(),
    )
    .unwrap()
}

#[test]
fn opens_every_independent_vector() {
    let v = vectors();
    let list = v["vectors"].as_array().unwrap();
    assert_eq!(list.len(), 20);
    for case in list {
        let enc = encryption(&v, case);
        let body = case["body"].as_str().unwrap();
        let plaintext = enc
            .open(body.as_bytes())
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(
            String::from_utf8(plaintext).unwrap(),
            case["plaintext"].as_str().unwrap()
        );
    }
}

#[test]
fn seals_exactly_as_the_independent_implementation() {
    let v = vectors();
    let fixed_iv_cases = v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["body"].as_str().unwrap().starts_with('{'));
    let mut n = 0;
    for case in fixed_iv_cases {
        let enc = encryption(&v, case);
        let sealed = enc
            .seal(case["plaintext"].as_str().unwrap().as_bytes(), None)
            .unwrap();
        assert_eq!(sealed, case["body"].as_str().unwrap());
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn seals_envelopes_exactly_as_the_independent_implementation() {
    let v = vectors();
    let mut n = 0;
    for case in v["vectors"].as_array().unwrap() {
        let Ok(envelope) = serde_json::from_str::<Value>(case["body"].as_str().unwrap()) else {
            continue;
        };
        let message_iv = STANDARD.decode(envelope["iv"].as_str().unwrap()).unwrap();
        let sealed = encryption(&v, case)
            .seal(
                case["plaintext"].as_str().unwrap().as_bytes(),
                Some(&message_iv),
            )
            .unwrap();
        assert_eq!(serde_json::from_str::<Value>(&sealed).unwrap(), envelope);
        n += 1;
    }
    assert_eq!(n, 12);
}
