//! The engine benchmark inside wasm (feature `bench`): the same workloads as the native criterion
//! bench, looped inside wasm so the timing the caller takes holds no boundary crossings.

#[path = "../../hookmap-core/benches/workloads.rs"]
#[allow(dead_code)]
mod workloads;

use hookmap_core::{payload, plan, Algorithm, Encryption, Mapping};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// The workloads as JSON text, for the boundary measurement: `[{name, payloads, mapping, fields}]`.
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

/// Runs workload `index` `iterations` times: serde_json parse alone, or the edge's parse + plan.
#[wasm_bindgen(js_name = benchEngine)]
pub fn bench_engine(index: usize, iterations: u32, parse_only: bool) -> Result<u32, JsValue> {
    let all = workloads::all();
    let w = all
        .get(index)
        .ok_or_else(|| JsValue::from_str("no such workload"))?;
    let mapping =
        Mapping::parse(&w.mapping, &w.fields).map_err(|e| JsValue::from_str(e.message()))?;
    let mut planned = 0u32;
    for _ in 0..iterations {
        for p in &w.payloads {
            if parse_only {
                let v: Value =
                    serde_json::from_slice(p).map_err(|e| JsValue::from_str(&e.to_string()))?;
                planned += u32::from(v.is_object());
            } else {
                let v = payload::parse(p).map_err(|e| JsValue::from_str(e.message()))?;
                let plan =
                    plan(&mapping, &v, &w.fields).map_err(|e| JsValue::from_str(e.message()))?;
                planned += u32::try_from(plan.effects.len()).unwrap_or(0);
            }
        }
    }
    Ok(planned)
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
