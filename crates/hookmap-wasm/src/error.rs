//! The one error adapter: a hookmap-core error becomes a thrown JS `Error` whose `name` is
//! `HookmapError`, with the core's stable `code`, its human `message` and, when known, `at` (the
//! place in the mapping, e.g. `fields[2].path`), so the page can put it next to the row at fault.

use hookmap_core::{Error, ErrorKind};
use wasm_bindgen::JsValue;

pub fn to_js(error: &Error) -> JsValue {
    let out = js_sys::Error::new(error.message());
    out.set_name("HookmapError");
    let set = |key: &str, value: JsValue| {
        // Setting a plain property on a fresh Error object cannot fail; if it ever did, the
        // message alone still reaches the page.
        let _ = js_sys::Reflect::set(&out, &JsValue::from_str(key), &value);
    };
    set("code", JsValue::from_str(error.code()));
    if let Some(at) = error.location() {
        set("at", JsValue::from_str(at));
    }
    out.into()
}

/// A JSON argument that does not parse: named after the argument, with serde's line and column.
pub fn not_json(argument: &str, e: &serde_json::Error) -> Error {
    Error::new(
        ErrorKind::NotJson,
        format!(
            "the {argument} is not valid JSON: line {} column {}",
            e.line(),
            e.column()
        ),
    )
    .at(argument)
}
