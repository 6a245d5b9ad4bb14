//! The engine benchmark inside wasm (feature `bench`): the same workloads as the native criterion
//! bench, looped inside wasm so the timing the caller takes holds no boundary crossings.

#[path = "../../hookmap-core/benches/workloads.rs"]
#[allow(dead_code)]
mod workloads;

use hookmap_core::{Algorithm, Encryption, Mapping};
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
