//! The signature profiles against vectors signed by Python's `hmac` (and GitHub's published
//! example): tests/vectors/make_signature_vectors.py.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use hookmap_core::Profile;
use serde_json::Value;

#[test]
fn every_profile_verifies_exactly_the_vectors() {
    let corpus: Value =
        serde_json::from_str(include_str!("../../../tests/vectors/signatures.json")).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() >= 25);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let profile = Profile::parse(&case["signature"], "signature").unwrap();
        let secret = case["signature"]["secret"].as_str().unwrap();
        profile.check_secret(secret).unwrap();
        let headers = case["headers"].as_object().unwrap();
        // Header names are case-insensitive, as the Fetch API's Headers are.
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str().map(str::to_owned))
        };
        let body = case["body"].as_str().unwrap().as_bytes();
        let got = profile.verify(secret, &header, body, case["now"].as_i64().unwrap());
        match (&case["expect"]["ok"], got) {
            (Value::Null, Ok(v)) => panic!("{name}: verified {v:?}, expected a refusal"),
            (Value::Null, Err(e)) => assert_eq!(e.code(), case["expect"]["error"], "{name}"),
            (ok, Err(e)) => panic!("{name}: refused ({e}), expected {ok}"),
            (ok, Ok(v)) => {
                assert_eq!(
                    v.delivery_id.as_deref(),
                    ok["delivery_id"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    v.guard.is_some(),
                    ok["guarded"].as_bool().unwrap(),
                    "{name}"
                );
            }
        }
    }
}

/// A scheme without vectors of both kinds is not tested against an independent signer.
#[test]
fn every_scheme_has_vectors_that_verify_and_vectors_that_are_refused() {
    let corpus: Value =
        serde_json::from_str(include_str!("../../../tests/vectors/signatures.json")).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    for scheme in hookmap_core::SignatureScheme::NAMES {
        let of = |kind: &str| {
            cases
                .iter()
                .any(|c| c["signature"]["scheme"] == scheme && !c["expect"][kind].is_null())
        };
        assert!(of("ok"), "{scheme}: no vector that verifies");
        assert!(of("error"), "{scheme}: no vector that is refused");
    }
}
