//! hookmap-wasm: hookmap-core for the mapping page, compiled to wasm with wasm-bindgen.
//!
//! A thin facade: each function converts its arguments, calls the core and converts the result.
//! JSON crosses the boundary as text, exactly as the admin typed it, so the page reads numbers and
//! nesting limits the way the edge reads a request body. Results come back as plain JS values;
//! failures are thrown as `HookmapError`s (see [`error`]).

#[cfg(feature = "bench")]
mod bench;
mod error;

use hookmap_core::{
    mapping, path, payload, Algorithm, Change, Encryption, Error, ErrorKind, FieldTypes,
    MemberState, Preview,
};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

type JsResult<T = JsValue> = Result<T, JsValue>;

/// Parses a sample payload with the edge's rules (UTF-8, depth limit); the error names the line
/// and column of invalid JSON.
#[wasm_bindgen(js_name = parsePayload)]
pub fn parse_payload(text: &str) -> JsResult {
    to_js(&sample(text)?)
}

/// Every leaf of a payload, in document order: `[{path, trail, value}]`, where `trail` lists the
/// keys and indexes leading to it and `path` is what to put in a mapping to reach it.
#[wasm_bindgen]
pub fn leaves(payload: &str) -> JsResult {
    to_js(&path::leaves(&sample(payload)?))
}

/// Validates a mapping against field definitions (`{"key": "number"|"text"|"boolean"}`) and
/// returns it as the API would store it.
#[wasm_bindgen(js_name = validateMapping)]
pub fn validate_mapping(mapping: &str, fields: &str) -> JsResult {
    let fields = field_types(fields)?;
    let parsed = mapping::Mapping::parse(&json("mapping", mapping)?, &fields).map_err(thrown)?;
    to_js(&parsed)
}

/// What the edge does: the plan of `payload` under `mapping`, or the edge's error.
#[wasm_bindgen]
pub fn plan(mapping: &str, payload: &str, fields: &str) -> JsResult {
    let fields = field_types(fields)?;
    let mapping = mapping::Mapping::parse(&json("mapping", mapping)?, &fields).map_err(thrown)?;
    let plan = hookmap_core::plan(&mapping, &sample(payload)?, &fields).map_err(thrown)?;
    to_js(&plan)
}

/// What the page shows: every part's effect or error (`hookmap_core::Preview`), and `changes`:
/// each effect's before -> after on `member` (`{xp, coins, fields}`, as the admin typed them).
/// Only arguments that are not JSON at all are thrown; mapping and payload errors are in `errors`.
#[wasm_bindgen]
pub fn preview(mapping: &str, payload: &str, fields: &str, member: &str) -> JsResult {
    #[derive(Serialize)]
    struct Shown {
        #[serde(flatten)]
        preview: Preview,
        changes: Vec<Option<Change>>,
    }
    let fields = field_types(fields)?;
    let member: MemberState =
        serde_json::from_str(member).map_err(|e| thrown(error::not_json("member", &e)))?;
    let preview = hookmap_core::preview(&json("mapping", mapping)?, &sample(payload)?, &fields);
    let changes = hookmap_core::simulate(&member, &preview.effects);
    to_js(&Shown { preview, changes })
}

/// Encrypts `plaintext` as a sender would. With `message_iv` the body is the `{iv, data}`
/// envelope; without, base64 of the ciphertext under the webhook's configured `iv`.
#[wasm_bindgen]
pub fn seal(
    algorithm: &str,
    key: &str,
    iv: &str,
    plaintext: &str,
    message_iv: Option<Vec<u8>>,
) -> JsResult<String> {
    encryption(algorithm, key, iv)?
        .seal(plaintext.as_bytes(), message_iv.as_deref())
        .map_err(thrown)
}

/// Decrypts a body as the edge does and returns the plaintext.
#[wasm_bindgen]
pub fn open(algorithm: &str, key: &str, iv: &str, body: &str) -> JsResult<String> {
    let plain = encryption(algorithm, key, iv)?
        .open(body.as_bytes())
        .map_err(thrown)?;
    String::from_utf8(plain).map_err(|_| {
        thrown(Error::new(
            ErrorKind::NotJson,
            "the decrypted body is not UTF-8 text",
        ))
    })
}

fn thrown(error: Error) -> JsValue {
    error::to_js(&error)
}

fn sample(text: &str) -> JsResult<Value> {
    payload::parse(text.as_bytes()).map_err(thrown)
}

fn json(argument: &str, text: &str) -> JsResult<Value> {
    serde_json::from_str(text).map_err(|e| thrown(error::not_json(argument, &e)))
}

/// Field definitions as `{"key": "type"}`; unknown type names are left out, as at the edge.
fn field_types(text: &str) -> JsResult<FieldTypes> {
    let defs: serde_json::Map<String, Value> =
        serde_json::from_str(text).map_err(|e| thrown(error::not_json("fields", &e)))?;
    Ok(mapping::field_types(
        defs.iter()
            .filter_map(|(k, t)| t.as_str().map(|t| (k.as_str(), t))),
    ))
}

fn encryption(algorithm: &str, key: &str, iv: &str) -> JsResult<Encryption> {
    let algorithm = Algorithm::parse(algorithm).ok_or_else(|| {
        thrown(Error::new(
            ErrorKind::InvalidEncryption,
            format!("{algorithm:?} is not \"aes-256-cbc\" or \"aes-256-gcm\""),
        ))
    })?;
    Encryption::new(algorithm, key, iv).map_err(thrown)
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult {
    // Through JSON text: the page gets plain objects and arrays, numbers exactly as serde_json
    // prints them. Serializing these types cannot fail.
    let text = serde_json::to_string(value)
        .map_err(|e| thrown(Error::new(ErrorKind::NotJson, e.to_string())))?;
    js_sys::JSON::parse(&text)
}
