//! The engine benchmark inside wasm (feature `bench`): the same workloads as the native criterion
//! bench, looped inside wasm so the timing the caller takes holds no boundary crossings.

#[path = "../../hookmap-core/benches/workloads.rs"]
#[allow(dead_code)]
mod workloads;

use hookmap_core::{payload, Algorithm, Catalog, Draft, Encryption, Mapping, MemberState};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// The workloads as JSON text, for the boundary measurement and the page's keystroke (an `Engine`
/// given the fields and mapping once, then each payload): `[{name, payloads, mapping, fields}]`.
#[wasm_bindgen(js_name = benchWorkloads)]
pub fn bench_workloads() -> String {
    let list: Vec<Value> = workloads::all()
        .into_iter()
        .map(|w| {
            let payloads: Vec<String> = w
                .payloads
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            let fields: serde_json::Map<String, Value> = w
                .fields
                .iter()
                .map(|(k, t)| (k.clone(), Value::from(t.as_str())))
                .collect();
            json!({"name": w.name, "payloads": payloads, "mapping": w.mapping.to_string(),
                   "fields": Value::Object(fields).to_string()})
        })
        .collect();
    Value::from(list).to_string()
}

thread_local! {
    // Built once: building the workloads (a hundred payloads) inside the timed call would bill
    // the setup to the engine.
    static PREPARED: Result<Vec<(workloads::Workload, Mapping)>, String> = workloads::prepared();
}

/// Runs workload `index` `iterations` times: serde_json parse alone, or the edge's parse + plan
/// (the same loop as the native benchmarks: `workloads::pass`).
#[wasm_bindgen(js_name = benchEngine)]
pub fn bench_engine(index: usize, iterations: u32, parse_only: bool) -> Result<usize, JsValue> {
    PREPARED.with(|prepared| {
        let prepared = prepared.as_ref().map_err(|e| JsValue::from_str(e))?;
        let (w, mapping) = prepared
            .get(index)
            .ok_or_else(|| JsValue::from_str("no such workload"))?;
        let mut seen = 0;
        for _ in 0..iterations {
            seen += workloads::pass(w, mapping, parse_only).map_err(|e| JsValue::from_str(&e))?;
        }
        Ok(seen)
    })
}

/// Takes a string in and hands one of the same length back: what crossing the wasm-bindgen
/// boundary costs a JSON payload, with no work inside.
#[wasm_bindgen(js_name = benchBoundary)]
pub fn bench_boundary(text: &str) -> String {
    text.to_owned()
}

/// Decrypts `body` (as the edge receives it) `iterations` times; returns the plaintext's length.
#[wasm_bindgen(js_name = benchOpen)]
pub fn bench_open(
    algorithm: &str,
    key: &str,
    iv: &str,
    body: &str,
    iterations: u32,
) -> Result<usize, JsValue> {
    let algorithm =
        Algorithm::parse(algorithm).ok_or_else(|| JsValue::from_str("unknown algorithm"))?;
    let encryption =
        Encryption::new(algorithm, key, iv).map_err(|e| JsValue::from_str(e.message()))?;
    let mut len = 0;
    for _ in 0..iterations {
        len = encryption
            .open(body.as_bytes())
            .map_err(|e| JsValue::from_str(e.message()))?
            .len();
    }
    Ok(len)
}

/// What [`crate::Engine`] does for one keystroke, looped inside wasm with no crossing and no
/// result handed out: the engine's own cost, against which the facade's is judged. In the sample
/// (`in_mapping` false) each payload is parsed with the edge's rules and previewed; in the mapping
/// the mapping text is parsed again and the first payload (parsed once) previewed. Both simulate
/// the effects on an empty member, as the page does.
#[wasm_bindgen(js_name = benchPreview)]
pub fn bench_preview(index: usize, iterations: u32, in_mapping: bool) -> Result<usize, JsValue> {
    let w = workloads::all()
        .into_iter()
        .nth(index)
        .ok_or_else(|| JsValue::from_str("no such workload"))?;
    let catalog = Catalog::with_fields(w.fields.clone());
    let mapping_text = w.mapping.to_string();
    let first = w
        .payloads
        .first()
        .ok_or_else(|| JsValue::from_str("a workload without payloads"))?;
    let first = payload::parse(first).map_err(|e| JsValue::from_str(e.message()))?;
    let member = MemberState::default();
    let mut draft = Draft::parse(&w.mapping, &catalog);
    let mut seen = 0;
    for _ in 0..iterations {
        if in_mapping {
            let value: Value = serde_json::from_str(std::hint::black_box(&mapping_text))
                .map_err(|e| JsValue::from_str(&e.to_string()))?;
            draft = Draft::parse(&value, &catalog);
            seen += shown(&draft, &first, &member);
        } else {
            for p in &w.payloads {
                let value = payload::parse(std::hint::black_box(p))
                    .map_err(|e| JsValue::from_str(e.message()))?;
                seen += shown(&draft, &value, &member);
            }
        }
    }
    Ok(seen)
}

fn shown(draft: &Draft, payload: &Value, member: &MemberState) -> usize {
    let preview = draft.preview(payload);
    let changes = hookmap_core::simulate(member, &preview.effects);
    std::hint::black_box(&preview).effects.len() + std::hint::black_box(changes).len()
}
