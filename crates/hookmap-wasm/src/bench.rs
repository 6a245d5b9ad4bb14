//! The engine benchmark inside wasm (feature `bench`): the same workloads as the native criterion
//! bench, looped inside wasm so the timing the caller takes holds no boundary crossings.

#[path = "../../hookmap-core/benches/workloads.rs"]
#[allow(dead_code)]
mod workloads;

use hookmap_core::{payload, Algorithm, Catalog, Draft, Encryption, MemberState};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// The workloads as JSON text, for the boundary measurement and the page's keystrokes (an `Engine`
/// given the fields once): `[{name, payloads, mapping, fields, keystrokes: {payloads: [[a, b]],
/// mappings: [a, b]}}]`, the keystrokes' texts as [`keystrokes`] makes them.
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
            let k = keystrokes(&w);
            let pairs: Vec<[String; 2]> = k
                .payloads
                .iter()
                .map(|pair| {
                    pair.clone()
                        .map(|p| String::from_utf8_lossy(&p).into_owned())
                })
                .collect();
            json!({"name": w.name, "payloads": payloads, "mapping": w.mapping.to_string(),
                   "fields": Value::Object(fields).to_string(),
                   "keystrokes": {"payloads": pairs, "mappings": k.mappings}})
        })
        .collect();
    Value::from(list).to_string()
}

thread_local! {
    // Built once: building the workloads (a hundred payloads) inside the timed call would bill
    // the setup to the engine.
    static PREPARED: Result<Vec<(workloads::Workload, workloads::Compiled)>, String> = workloads::prepared();
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

/// What the page's keystrokes type, for workload `w`: each keystroke changes one value, as typing
/// does. In the sample, each payload and a copy with one mapped value (`reward.xp`) one more, typed
/// in turn (`a, b` for each payload); in the mapping, the mapping and a copy whose row 1 reads an
/// other path (`reward.coins` for `reward.xp`, in its path or its expression), typed in turn.
struct Keystrokes {
    payloads: Vec<[Vec<u8>; 2]>,
    mappings: [String; 2],
}

fn keystrokes(w: &workloads::Workload) -> Keystrokes {
    let payloads = w
        .payloads
        .iter()
        .map(|p| {
            let mut other: Value = serde_json::from_slice(p).unwrap_or_default();
            if let Some(xp) = other.pointer_mut("/reward/xp") {
                *xp = Value::from(xp.as_u64().unwrap_or_default() + 1);
            }
            [p.clone(), other.to_string().into_bytes()]
        })
        .collect();
    let mut other = w.mapping.clone();
    if let Some(path) = other.pointer_mut("/fields/1/path") {
        *path = Value::from("reward.coins");
    }
    if let Some(value) = other.pointer_mut("/fields/1/value") {
        *value = Value::from("reward.coins * 2");
    }
    Keystrokes {
        payloads,
        mappings: [w.mapping.to_string(), other.to_string()],
    }
}

/// A workload's keystrokes with what stays the same between them: the catalog, the mapping parsed,
/// the first payload parsed.
struct Typing {
    keys: Keystrokes,
    catalog: Catalog,
    draft: Draft,
    first: Value,
}

thread_local! {
    // Built once, like PREPARED: building the texts inside the timed call would bill it to the
    // engine.
    static TYPING: Result<Vec<Typing>, String> = workloads::all()
        .iter()
        .map(|w| {
            let catalog = Catalog::with_fields(w.fields.clone());
            let first = w.payloads.first().ok_or("a workload without payloads")?;
            Ok(Typing {
                keys: keystrokes(w),
                draft: Draft::parse(&w.mapping, &catalog),
                first: payload::parse(first).map_err(|e| e.message().to_owned())?,
                catalog,
            })
        })
        .collect();
}

/// What [`crate::Engine`] does for the page's keystrokes ([`keystrokes`]), looped inside wasm with
/// no crossing and no result handed out: the engine's own cost, against which the facade's is
/// judged. In the sample (`in_mapping` false) each payload text is parsed with the edge's rules
/// and previewed; in the mapping each mapping text is parsed and previewed on the first payload
/// (parsed once). Both simulate the effects on an empty member, as the page does. What the facade
/// adds on top, comparing with the previous preview and serializing what changed, is not done
/// here: it is the facade's cost. One iteration types every keystroke once (`2 x payloads` in the
/// sample, 2 in the mapping).
#[wasm_bindgen(js_name = benchPreview)]
pub fn bench_preview(index: usize, iterations: u32, in_mapping: bool) -> Result<usize, JsValue> {
    TYPING.with(|typing| {
        let typing = typing.as_ref().map_err(|e| JsValue::from_str(e))?;
        let t = typing
            .get(index)
            .ok_or_else(|| JsValue::from_str("no such workload"))?;
        let member = MemberState::default();
        let mut seen = 0;
        for _ in 0..iterations {
            if in_mapping {
                for text in &t.keys.mappings {
                    let value: Value = serde_json::from_str(std::hint::black_box(text))
                        .map_err(|e| JsValue::from_str(&e.to_string()))?;
                    let draft = Draft::parse(&value, &t.catalog);
                    seen += shown(&draft, &t.first, &member);
                }
            } else {
                for p in t.keys.payloads.iter().flatten() {
                    let value = payload::parse(std::hint::black_box(p))
                        .map_err(|e| JsValue::from_str(e.message()))?;
                    seen += shown(&t.draft, &value, &member);
                }
            }
        }
        Ok(seen)
    })
}

fn shown(draft: &Draft, payload: &Value, member: &MemberState) -> usize {
    let preview = draft.preview(payload);
    let changes = hookmap_core::simulate(member, &preview.effects);
    std::hint::black_box(&preview).effects.len() + std::hint::black_box(changes).len()
}
