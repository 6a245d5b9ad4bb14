//! The benchmark workloads, shared by the native criterion bench (benches/engine.rs) and the wasm
//! bench (crates/hookmap-wasm, feature `bench`), so both measure exactly the same work.

use hookmap_core::needs::Needs;
use hookmap_core::{inbound, plan, Catalog, FieldType, FieldTypes, Mapping};
use serde_json::{json, Value};
use std::hint::black_box;

/// One planning workload: payload bytes (as received), the mapping, the fields, and how many
/// payloads one iteration plans.
#[derive(Debug)]
pub struct Workload {
    pub name: &'static str,
    pub payloads: Vec<Vec<u8>>,
    pub mapping: Value,
    pub fields: FieldTypes,
}

fn item(i: usize) -> Value {
    json!({"sku": format!("SKU-{i:05}"), "qty": 1 + i % 7, "price": 1999 + i,
           "title": "A reasonably descriptive product title", "tags": ["red", "wool", "winter"]})
}

fn order(i: usize, items: usize) -> Value {
    json!({
        "id": format!("evt_{i:08}"), "type": "order.paid", "created": 1_700_000_000 + i,
        "customer": {"email": format!("Customer{i}@Example.com"), "name": "Ada Lovelace", "tier": "gold",
                     "address": {"line1": "12 Analytical Way", "city": "London", "zip": "N1 9GU", "country": "GB"}},
        "order": {"id": format!("ord_{i:08}"), "currency": "EUR", "total": 12990 + i, "paid": true},
        "reward": {"coins": 50 + i % 10, "xp": 5},
        "items": (0..items).map(item).collect::<Vec<_>>(),
        "meta": {"source": "shop", "version": 3, "note": "x".repeat(200)}
    })
}

fn small_mapping() -> Value {
    json!({
        "user": {"match": "email", "path": "customer.email"},
        "idempotency_path": "order.id",
        "fields": [
            {"target": {"currency": "coins"}, "op": "add", "path": "reward.coins"},
            {"target": {"currency": "xp"}, "op": "add", "path": "reward.xp"},
            {"target": {"field": "tier"}, "op": "overwrite", "path": "customer.tier"},
            {"target": {"field": "orders"}, "op": "add", "path": "items[0].qty"},
            {"target": {"field": "paid"}, "op": "overwrite", "path": "/order/paid"}]
    })
}

/// The same five targets as [`small_mapping`], each computed: a division rounded, a product, a
/// lookup, a sum over the items, a condition; and a filter. Row 1 reads `reward.xp`, the value the
/// page's sample keystroke changes.
fn expression_mapping() -> Value {
    json!({
        "filter": "type == 'order.paid'",
        "user": {"match": "email", "path": "customer.email"},
        "idempotency_path": "order.id",
        "fields": [
            {"target": {"currency": "coins"}, "op": "add", "value": "floor(order.total / 100)"},
            {"target": {"currency": "xp"}, "op": "add", "value": "reward.xp * 2"},
            {"target": {"field": "tier"}, "op": "overwrite",
             "value": "{'gold': 'Gold', 'silver': 'Silver'}[customer.tier]"},
            {"target": {"field": "orders"}, "op": "add", "value": "items.map(i, i.qty).sum()"},
            {"target": {"field": "paid"}, "op": "overwrite",
             "value": "order.paid && customer.address.country == 'GB'", "when": "has(order.paid)"}]
    })
}

fn small_fields() -> FieldTypes {
    [
        ("tier".to_owned(), FieldType::Text),
        ("orders".to_owned(), FieldType::Number),
        ("paid".to_owned(), FieldType::Boolean),
    ]
    .into()
}

pub fn all() -> Vec<Workload> {
    let mut big_fields = small_fields();
    let mut big_rows = vec![
        json!({"target": {"currency": "coins"}, "op": "add", "path": "reward.coins"}),
        json!({"target": {"currency": "xp"}, "op": "add", "path": "reward.xp"}),
    ];
    for i in 0..18 {
        big_fields.insert(format!("f{i}"), FieldType::Number);
        big_rows.push(json!({"target": {"field": format!("f{i}")}, "op": "add", "path": format!("items[{i}].qty")}));
    }
    let big_mapping = json!({"user": {"match": "email", "path": "customer.email"},
                             "idempotency_path": "order.id", "fields": big_rows});
    vec![
        Workload {
            name: "1KB, 5 mappings",
            payloads: vec![order(1, 2).to_string().into_bytes()],
            mapping: small_mapping(),
            fields: small_fields(),
        },
        Workload {
            name: "16KB, 20 mappings",
            payloads: vec![order(2, 100).to_string().into_bytes()],
            mapping: big_mapping,
            fields: big_fields,
        },
        Workload {
            name: "1KB, 5 expression rows",
            payloads: vec![order(1, 2).to_string().into_bytes()],
            mapping: expression_mapping(),
            fields: small_fields(),
        },
        Workload {
            name: "batch of 100 x 1KB",
            payloads: (0..100)
                .map(|i| order(i, 2).to_string().into_bytes())
                .collect(),
            mapping: small_mapping(),
            fields: small_fields(),
        },
    ]
}

/// A workload's mapping as the edge keeps it for a webhook's version: parsed, and what it reads.
#[derive(Debug)]
pub struct Compiled {
    pub mapping: Mapping,
    pub needs: Needs,
}

/// Runs `w`'s payloads once: serde_json parsing alone, or what the edge does with each: decode
/// the body (only what the mapping reads is built) and `plan`. Returns a count that depends on
/// the results, so none of it is optimised away.
pub fn pass(w: &Workload, compiled: &Compiled, parse_only: bool) -> Result<usize, String> {
    let Compiled { mapping, needs } = compiled;
    let mut seen = 0;
    for p in &w.payloads {
        if parse_only {
            let value: Value = serde_json::from_slice(black_box(p)).map_err(|e| e.to_string())?;
            seen += usize::from(black_box(value).is_object());
        } else {
            let decoded =
                inbound::decode(black_box(p), None, Some(needs)).map_err(|e| e.to_string())?;
            let plan = plan(mapping, &decoded.value, &w.fields).map_err(|e| e.to_string())?;
            seen += black_box(plan).effects.len();
        }
    }
    Ok(seen)
}

/// Every workload with its mapping compiled, as the benchmarks loop over them.
pub fn prepared() -> Result<Vec<(Workload, Compiled)>, String> {
    all()
        .into_iter()
        .map(|w| {
            let mapping = Mapping::parse(&w.mapping, &Catalog::with_fields(w.fields.clone()))
                .map_err(|e| e.to_string())?;
            let needs = Needs::of(&mapping);
            Ok((w, Compiled { mapping, needs }))
        })
        .collect()
}
