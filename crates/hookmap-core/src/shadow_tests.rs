#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use serde_json::json;

use super::*;
use crate::catalog::Catalog;
use crate::ops::FieldType;
use crate::preview::Draft;

fn catalog() -> Catalog {
    Catalog::new([("tier".to_owned(), FieldType::Text)].into(), ["gems"])
}

/// The saved mapping of the deliveries below: coins from `coins`, tier from `tier`.
fn saved() -> Value {
    json!({"user": {"match": "email", "path": "who"},
           "fields": [{"target": {"currency": "coins"}, "op": "add", "path": "coins"},
                      {"target": {"field": "tier"}, "op": "overwrite", "path": "tier"}]})
}

fn coins(n: i64) -> Value {
    json!({"kind": "currency", "currency": "coins", "op": "add", "amount": n})
}

fn tier(t: &str) -> Value {
    json!({"kind": "field", "field": "tier", "type": "text", "op": "overwrite", "value": t})
}

fn payload(n: i64) -> Value {
    json!({"who": "ada@example.com", "coins": n, "tier": "gold"})
}

/// A history answer, as the API sends it, around `items`.
fn page(items: Vec<Value>) -> String {
    json!({"data": items, "page": 1, "per_page": 50, "total": 9,
           "totals": {"success": 1, "failed": 1, "pending": 0, "replayed": 0}})
    .to_string()
}

fn delivery(id: &str, status: &str, error: Option<&str>, effects: Value, payload: Value) -> Value {
    json!({"id": id, "status": status, "http_status": 200,
           "error": error.map(|code| json!({"code": code, "message": "why", "at": null})),
           "user_id": null, "message_id": null, "idempotency_key": null, "effects": effects,
           "replay_of": null, "replayed_as": null, "created_at": "2026-11-30T03:00:00Z",
           "stale": false, "payload": payload, "payload_truncated": false,
           "payload_text": null, "payload_expired": false})
}

/// A success of the saved mapping: coins 5, tier gold.
fn applied(id: &str) -> Value {
    let effects = json!([coins(5), tier("gold")]);
    delivery(id, "success", None, effects, payload(5))
}

/// The same delivery refused by storage, its planned effects kept.
fn refused(id: &str, code: &str) -> Value {
    let effects = json!([coins(5), tier("gold")]);
    delivery(id, "failed", Some(code), effects, payload(5))
}

fn run(mapping: &Value, items: Vec<Value>) -> Shadow {
    let draft = Draft::parse(mapping, &catalog());
    judge(&deliveries(&page(items)).unwrap(), |p| draft.plan(p))
}

fn kinds(shadow: &Shadow) -> Vec<&'static str> {
    shadow.items.iter().map(|v| v.kind.as_str()).collect()
}

#[test]
fn the_saved_mapping_over_its_own_successes_is_same() {
    let s = run(&saved(), vec![applied("d1")]);
    assert_eq!(kinds(&s), ["same"]);
    assert_eq!(s.items[0].effects_changed, Some(false));
    assert_eq!(s.summary.get(ShadowKind::Same), 1);
}

#[test]
fn effects_on_other_targets_in_another_order_are_the_same() {
    let reordered = json!({"user": {"match": "email", "path": "who"},
        "fields": [{"target": {"field": "tier"}, "op": "overwrite", "path": "tier"},
                   {"target": {"currency": "coins"}, "op": "add", "path": "coins"}]});
    let s = run(&reordered, vec![applied("d1")]);
    assert_eq!(kinds(&s), ["same"]);
}

#[test]
fn another_order_on_one_target_or_another_amount_changes_the_effects() {
    let twice = json!({"user": {"match": "email", "path": "who"},
        "fields": [{"target": {"currency": "coins"}, "op": "subtract", "path": "one"},
                   {"target": {"currency": "coins"}, "op": "add", "path": "coins"}]});
    let subtract_one =
        json!({"kind": "currency", "currency": "coins", "op": "subtract", "amount": 1});
    let mut p = payload(5);
    p["one"] = json!(1);
    let s = run(
        &twice,
        vec![
            // The stored delivery added first, then subtracted: not what the new mapping does.
            delivery(
                "d1",
                "success",
                None,
                json!([coins(5), subtract_one]),
                p.clone(),
            ),
            delivery("d2", "success", None, json!([subtract_one, coins(5)]), p),
        ],
    );
    assert_eq!(kinds(&s), ["effects_change", "same"]);

    let doubled = json!({"user": {"match": "email", "path": "who"},
        "fields": [{"target": {"currency": "coins"}, "op": "add", "path": "double"},
                   {"target": {"field": "tier"}, "op": "overwrite", "path": "tier"}]});
    let mut p = payload(5);
    p["double"] = json!(10);
    let s = run(
        &doubled,
        vec![delivery(
            "d3",
            "success",
            None,
            json!([coins(5), tier("gold")]),
            p,
        )],
    );
    assert_eq!(kinds(&s), ["effects_change"]);
    assert_eq!(s.items[0].effects_changed, Some(true));
    let planned = serde_json::to_value(&s.items[0].new.as_ref().unwrap().plan).unwrap();
    assert_eq!(planned["effects"][0], coins(10));
}

#[test]
fn a_success_the_new_mapping_cannot_plan_would_fail() {
    let gems = json!({"user": {"match": "email", "path": "who"},
        "fields": [{"target": {"currency": "gems"}, "op": "add", "path": "gems"}]});
    let s = run(&gems, vec![applied("d1")]);
    assert_eq!(kinds(&s), ["would_fail"]);
    let error = s.items[0].new.as_ref().unwrap().error.as_ref().unwrap();
    assert_eq!(
        (error.code(), error.location()),
        ("missing_path", Some("fields[0].path"))
    );
    assert_eq!(s.items[0].effects_changed, None);
}

#[test]
fn a_planning_failure_or_a_pending_delivery_would_succeed_when_the_new_mapping_plans() {
    let mut wrong = payload(5);
    wrong["coins"] = json!("five");
    let fixed = json!({"user": {"match": "email", "path": "who"},
        "fields": [{"target": {"field": "tier"}, "op": "overwrite", "path": "tier"}]});
    let s = run(
        &fixed,
        vec![
            delivery(
                "d1",
                "failed",
                Some("wrong_type"),
                Value::Null,
                wrong.clone(),
            ),
            delivery("d2", "pending", None, Value::Null, payload(5)),
        ],
    );
    assert_eq!(kinds(&s), ["would_succeed", "would_succeed"]);
    // The saved mapping still fails on it, and fails on a pending one's missing path.
    let s = run(
        &saved(),
        vec![
            delivery("d1", "failed", Some("wrong_type"), Value::Null, wrong),
            delivery("d2", "pending", None, Value::Null, json!({"who": "a@b.io"})),
        ],
    );
    assert_eq!(kinds(&s), ["still_fails", "would_fail"]);
}

#[test]
fn a_storage_refusal_is_not_a_mapping_failure() {
    // unknown_member and insufficient_balance come from storage, with the planned effects kept;
    // unknown_field too when a field was deleted between planning and applying.
    let items = vec![
        refused("d1", "unknown_member"),
        refused("d2", "insufficient_balance"),
        refused("d3", "unknown_field"),
        // Keys disagreeing comes after planning too, without effects.
        delivery(
            "d4",
            "failed",
            Some("idempotency_conflict"),
            Value::Null,
            payload(5),
        ),
        // A code this build does not know is not claimed as the mapping's.
        delivery(
            "d5",
            "failed",
            Some("from_the_future"),
            Value::Null,
            payload(5),
        ),
    ];
    let s = run(&saved(), items.clone());
    assert!(
        kinds(&s).iter().all(|k| *k == "failed_after_planning"),
        "{:?}",
        kinds(&s)
    );
    assert_eq!(s.items[0].effects_changed, Some(false));
    assert_eq!(s.items[3].effects_changed, None);
    assert_eq!(
        s.items[0].stored.error.as_ref().unwrap().code,
        "unknown_member"
    );

    // Another amount is told, but whether storage would now take it is not claimed.
    let mut more = payload(5);
    more["coins"] = json!(7);
    let s = run(
        &saved(),
        vec![delivery(
            "d2",
            "failed",
            Some("insufficient_balance"),
            json!([coins(5), tier("gold")]),
            more,
        )],
    );
    assert_eq!(kinds(&s), ["failed_after_planning"]);
    assert_eq!(s.items[0].effects_changed, Some(true));

    // And a new mapping that cannot plan it fails either way.
    let s = run(&json!({"user": {}}), items);
    assert!(kinds(&s).iter().all(|k| *k == "still_fails"));
}

#[test]
fn a_planning_codes_unknown_field_without_effects_was_the_mappings() {
    let s = run(
        &saved(),
        vec![delivery(
            "d1",
            "failed",
            Some("unknown_field"),
            Value::Null,
            payload(5),
        )],
    );
    assert_eq!(kinds(&s), ["would_succeed"]);
}

#[test]
fn without_its_payload_a_delivery_cannot_be_replayed() {
    let mut expired = delivery("d1", "success", None, json!([coins(5)]), Value::Null);
    expired["payload_expired"] = json!(true);
    let mut cut = delivery(
        "d2",
        "failed",
        Some("missing_path"),
        Value::Null,
        Value::Null,
    );
    cut["payload_truncated"] = json!(true);
    cut["payload_text"] = json!("{\"who\": \"ad");
    let mut absent = delivery("d3", "pending", None, Value::Null, Value::Null);
    absent.as_object_mut().unwrap().remove("payload");
    let s = run(&saved(), vec![expired, cut, absent]);
    assert_eq!(kinds(&s), ["no_payload"; 3]);
    assert!(s
        .items
        .iter()
        .all(|v| v.new.is_none() && v.effects_changed.is_none()));
    assert_eq!(s.summary.get(ShadowKind::NoPayload), 3);
}

#[test]
fn a_replayed_delivery_is_judged_on_its_replay() {
    let mut replayed = delivery(
        "d1",
        "replayed",
        Some("missing_path"),
        Value::Null,
        payload(5),
    );
    replayed["replayed_as"] = json!("dlv_2");
    let s = run(&saved(), vec![replayed]);
    assert_eq!(kinds(&s), ["replayed"]);
    assert!(s.items[0].new.as_ref().unwrap().plan.is_some());
}

#[test]
fn the_summary_counts_every_kind_in_vocabulary_order() {
    let s = run(
        &saved(),
        vec![
            applied("d1"),
            applied("d2"),
            delivery("d3", "pending", None, Value::Null, payload(5)),
        ],
    );
    let text = serde_json::to_string(&s.summary).unwrap();
    let places: Vec<usize> = ShadowKind::NAMES
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{text}");
    let summary: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary.as_object().unwrap().len(), ShadowKind::ALL.len());
    assert_eq!(summary["same"], 2);
    assert_eq!(summary["would_succeed"], 1);
    assert_eq!(summary["still_fails"], 0);
    let item = serde_json::to_value(&s.items[2]).unwrap();
    assert_eq!(item["kind"], "would_succeed");
    assert_eq!(item["stored"]["status"], "pending");
    assert_eq!(item["new"]["error"], Value::Null);
    assert_eq!(item["new"]["plan"]["effects"][0], coins(5));
}

#[test]
fn big_numbers_are_read_as_the_edge_reads_them() {
    let big = json!({"user": {"match": "email", "path": "who"},
        "fields": [{"target": {"field": "tier"}, "op": "overwrite", "path": "id"}]});
    let text = r#"{"data": [{"id": "d1", "status": "pending", "payload": {"who": "a@b.io", "id": 18446744073709551615}}]}"#;
    let draft = Draft::parse(&big, &catalog());
    let s = judge(&deliveries(text).unwrap(), |p| draft.plan(p));
    let planned = serde_json::to_value(&s.items[0].new).unwrap();
    assert_eq!(
        planned["plan"]["effects"][0]["value"],
        "18446744073709551615"
    );
}

#[test]
fn unreadable_text_is_an_error_naming_the_argument() {
    for (text, code) in [
        ("{\"data\": [", "not_json"),
        ("[]", "wrong_type"),
        (
            "{\"data\": [{\"id\": \"d1\", \"status\": \"lost\"}]}",
            "wrong_type",
        ),
        ("{\"data\": [{\"status\": \"success\"}]}", "wrong_type"),
    ] {
        let e = deliveries(text).unwrap_err();
        assert_eq!(
            (e.code(), e.location()),
            (code, Some("deliveries")),
            "{text}: {e}"
        );
    }
    let e = deliveries("{\"data\": [{\"id\": \"d1\", \"status\": \"lost\"}]}").unwrap_err();
    assert!(e.message().contains("\"lost\" is not"), "{e}");
}

#[test]
fn each_member_of_a_delivery_is_read_by_its_type_and_named_when_wrong() {
    let read = |item: Value| deliveries(&json!({ "data": [item] }).to_string());
    // Absent and null alike mean none; other members are ignored.
    let d = read(
        json!({"id": "d1", "status": "pending", "error": null, "payload": null,
                         "payload_expired": null, "later": 1}),
    )
    .unwrap();
    assert_eq!((d[0].error.as_ref(), d[0].payload.as_ref()), (None, None));
    assert!(!d[0].payload_expired);
    let d = read(
        json!({"id": "d2", "status": "failed", "created_at": "2026-12-06T05:00:00Z",
                         "error": {"code": "missing_path", "at": "fields[0].path"},
                         "payload_truncated": true, "headers": {"x-a": "1"}}),
    )
    .unwrap();
    let error = d[0].error.as_ref().unwrap();
    assert_eq!(
        (
            error.code.as_str(),
            error.at.as_deref(),
            error.message.as_deref()
        ),
        ("missing_path", Some("fields[0].path"), None)
    );
    assert!(d[0].payload_truncated);
    assert_eq!(d[0].headers, Some(json!({"x-a": "1"})));
    for (item, named) in [
        (json!("d1"), "data[0] must be an object"),
        (
            json!({"id": 7, "status": "failed"}),
            "data[0].id must be a string",
        ),
        (
            json!({"id": "d1", "status": "failed", "error": {"at": "x"}}),
            "data[0].error.code is required",
        ),
        (
            json!({"id": "d1", "status": "failed", "error": "oops"}),
            "data[0].error must be an object",
        ),
        (
            json!({"id": "d1", "status": "failed", "payload_expired": "yes"}),
            "data[0].payload_expired must be true or false",
        ),
        (
            json!({"id": "d1", "status": "failed", "created_at": 5}),
            "data[0].created_at must be a string",
        ),
    ] {
        let e = read(item).unwrap_err();
        assert_eq!(
            (e.code(), e.location()),
            ("wrong_type", Some("deliveries")),
            "{e}"
        );
        assert!(e.message().ends_with(named), "{e}");
    }
}

#[test]
fn every_error_of_planning_has_a_planning_kind() {
    // What plan() and Mapping::parse answer are the codes the shadow reads as the mapping's.
    let cases = [
        (json!({"user": {}}), payload(5)),
        (saved(), json!({})),
        (saved(), json!({"who": "a@b.io", "coins": 1.5, "tier": "x"})),
        (saved(), json!({"who": 1, "coins": 1, "tier": "x"})),
        (
            json!({"user": {"match": "email", "path": "who"},
                "fields": [{"target": {"field": "gone"}, "op": "overwrite", "path": "x"}]}),
            payload(5),
        ),
        (
            json!({"message": {"channel": {"id": "c"}, "template": "{{"}}),
            payload(5),
        ),
        (
            json!({"message": {"channel": {"id": "c"}, "template": " {{e}} "}}),
            json!({"e": ""}),
        ),
    ];
    for (mapping, p) in cases {
        let e = Draft::parse(&mapping, &catalog()).plan(&p).unwrap_err();
        assert!(e.kind().is_planning(), "{e:?}");
    }
    for kind in [
        ErrorKind::InsufficientBalance,
        ErrorKind::IdempotencyConflict,
        ErrorKind::NotJson,
    ] {
        assert!(!kind.is_planning(), "{kind:?}");
    }
}
