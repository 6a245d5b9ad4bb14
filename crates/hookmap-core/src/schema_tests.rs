//! The JSON Schema subset's unit and property tests.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn fails_at(schema: &Value, data: &Value) -> Option<String> {
    validate(schema, data, "data")
        .err()
        .map(|e| e.location().unwrap_or_default().to_owned())
}

fn payment() -> Value {
    json!({
        "type": "object",
        "required": ["amount", "currency"],
        "properties": {
            "amount": {"type": "integer", "minimum": 1},
            "currency": {"type": "string", "enum": ["EUR", "USD"]},
            "note": {"type": ["string", "null"], "maxLength": 5},
            "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 2},
            "payer": {"type": "object", "properties": {"id": {"const": "usr_1"}}, "additionalProperties": false}
        },
        "additionalProperties": false,
        "description": "ignored", "title": "ignored"
    })
}

#[test]
fn valid_data_passes() {
    check(&payment(), "schema").unwrap();
    for data in [
        json!({"amount": 5, "currency": "EUR"}),
        json!({"amount": 5.0, "currency": "USD", "note": null, "tags": ["a"], "payer": {"id": "usr_1"}}),
        json!({"amount": 1, "currency": "EUR", "note": "hello", "tags": []}),
    ] {
        assert_eq!(fails_at(&payment(), &data), None, "{data}");
    }
}

#[test]
fn the_first_failing_place_is_named() {
    for (data, at) in [
        (json!({"currency": "EUR"}), "data.amount"),
        (json!({"amount": "5", "currency": "EUR"}), "data.amount"),
        (json!({"amount": 1.5, "currency": "EUR"}), "data.amount"),
        (json!({"amount": 0, "currency": "EUR"}), "data.amount"),
        (json!({"amount": 2, "currency": "GBP"}), "data.currency"),
        (
            json!({"amount": 2, "currency": "EUR", "note": "toolong"}),
            "data.note",
        ),
        (
            json!({"amount": 2, "currency": "EUR", "tags": ["a", ""]}),
            "data.tags[1]",
        ),
        (
            json!({"amount": 2, "currency": "EUR", "tags": ["a", "b", "c"]}),
            "data.tags",
        ),
        (
            json!({"amount": 2, "currency": "EUR", "payer": {"id": "usr_2"}}),
            "data.payer.id",
        ),
        (
            json!({"amount": 2, "currency": "EUR", "payer": {"x": 1}}),
            "data.payer.x",
        ),
        (
            json!({"amount": 2, "currency": "EUR", "odd key": 1}),
            "data[\"odd key\"]",
        ),
        (json!([1]), "data"),
    ] {
        assert_eq!(fails_at(&payment(), &data).as_deref(), Some(at), "{data}");
    }
    let e = validate(
        &payment(),
        &json!({"amount": "5", "currency": "EUR"}),
        "data",
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_event_data");
    assert_eq!(e.message(), "data.amount: must be integer, not string");
}

#[test]
fn unsupported_keywords_are_refused_by_name() {
    for (schema, at, word) in [
        (json!({"pattern": "^a"}), "schema.pattern", "pattern"),
        (
            json!({"properties": {"a": {"$ref": "#"}}}),
            "schema.properties.a.$ref",
            "$ref",
        ),
        (
            json!({"items": {"oneOf": []}}),
            "schema.items.oneOf",
            "oneOf",
        ),
        (
            json!({"additionalProperties": {}}),
            "schema.additionalProperties",
            "true or false",
        ),
        (json!({"items": [{}]}), "schema.items", "tuples"),
        (json!({"type": "int"}), "schema.type", "not one of"),
        (json!({"type": []}), "schema.type", "type name"),
        (json!({"enum": []}), "schema.enum", "non-empty"),
        (json!({"minLength": -1}), "schema.minLength", "whole number"),
        (json!({"maximum": "5"}), "schema.maximum", "number"),
        (
            json!({"required": ["a", "a"]}),
            "schema.required[1]",
            "twice",
        ),
        (json!(true), "schema", "JSON object"),
    ] {
        let e = check(&schema, "schema").unwrap_err();
        assert_eq!(
            (e.code(), e.location()),
            ("invalid_schema", Some(at)),
            "{schema}"
        );
        assert!(e.message().contains(word), "{}", e.message());
    }
}

#[test]
fn size_and_depth_are_bounded() {
    let mut deep = json!({"type": "string"});
    for _ in 0..=MAX_SCHEMA_DEPTH {
        deep = json!({"items": deep});
    }
    assert!(check(&deep, "schema")
        .unwrap_err()
        .message()
        .contains("deeper"));
    let mut ok = json!({"type": "string"});
    for _ in 0..MAX_SCHEMA_DEPTH {
        ok = json!({"items": ok});
    }
    check(&ok, "schema").unwrap();
    let big = json!({"enum": vec!["x".repeat(100); 200]});
    assert!(check(&big, "schema")
        .unwrap_err()
        .message()
        .contains("bytes"));
}

#[test]
fn numbers_compare_by_value() {
    assert_eq!(fails_at(&json!({"enum": [1]}), &json!(1.0)), None);
    assert_eq!(
        fails_at(&json!({"const": {"a": [2.0]}}), &json!({"a": [2]})),
        None
    );
    assert!(fails_at(&json!({"const": 1}), &json!(true)).is_some());
    assert_eq!(
        fails_at(&json!({"type": "integer"}), &json!(u64::MAX)),
        None
    );
    assert_eq!(fails_at(&json!({"maximum": -1}), &json!(-1)), None);
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z$ ]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("properties".to_owned()),
                    Just("items".to_owned()),
                    Just("enum".to_owned()),
                    Just("required".to_owned()),
                    Just("minimum".to_owned()),
                    Just("maxLength".to_owned()),
                    "[a-z]{1,3}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Any schema and any data: check and validate answer, never panic.
    #[test]
    fn never_panics(schema in any_json(), data in any_json()) {
        let _ = check(&schema, "schema");
        let _ = validate(&schema, &data, "data");
    }

    /// A checked schema's error always points inside `data`.
    #[test]
    fn errors_point_into_the_data(data in any_json()) {
        if let Err(e) = validate(&payment(), &data, "data") {
            prop_assert!(e.location().unwrap_or_default().starts_with("data"));
            prop_assert_eq!(e.code(), "invalid_event_data");
        }
    }

    /// Data always matches the empty schema, and its own const and enum.
    #[test]
    fn data_matches_itself(data in any_json()) {
        let empty = json!({});
        let itself = json!({"const": data.clone(), "enum": [data.clone()]});
        prop_assert!(validate(&empty, &data, "data").is_ok());
        prop_assert!(validate(&itself, &data, "data").is_ok());
    }
}
