//! hookmap-wasm: hookmap-core for the mapping page, compiled to wasm with wasm-bindgen.
//!
//! A thin facade: the page's state is an [`Engine`] (fields, mapping, payload and member, each
//! parsed once when it changes); each method converts its arguments, calls the core and converts
//! the result. The request tester seals with the browser's WebCrypto (www/js/seal.js), so the
//! ciphers stay out of this module.
//! JSON crosses the boundary as text, exactly as the admin typed it, so the page reads numbers and
//! nesting limits the way the edge reads a request body. Results come back as plain JS values;
//! failures are thrown as `HookmapError`s (see src/error.rs).

// A match over one of our closed sets (operators, signature schemes, event types, field types,
// outcomes...) names every variant, so that a new one fails to compile wherever it must be
// decided. An open foreign enum may keep a catch-all, with a local allow that says why.
#![deny(clippy::wildcard_enum_match_arm)]

#[cfg(feature = "bench")]
mod bench;
mod delta;
mod error;
mod vocabulary;

use delta::{Delta, Shown};
use hookmap_core::expr::Input;
use hookmap_core::shadow;
use hookmap_core::{
    path, payload, Catalog, Draft, Error, ErrorKind, FieldTypes, MemberState, Preview,
};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

pub use vocabulary::{capabilities, suited_location};

type JsResult<T = JsValue> = Result<T, JsValue>;

/// The mapping page's state, like ruff's playground `Workspace`: the community's fields and
/// currencies, the mapping and the sample payload are each parsed when they change, and kept;
/// [`Engine::preview`] and `Engine::plan` reuse them, so a keystroke in the payload does not parse
/// the mapping again, and one in the mapping does not parse the payload.
///
/// Until they are set, the currencies are the built-in ones, the mapping is `{}` (which is not
/// valid: `user` is required), the payload `{}` and the member empty.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    catalog: Catalog,
    /// The mapping as typed, parsed for previews, or why it is not JSON at all.
    mapping: Result<(Value, Draft), Error>,
    payload: Result<Value, Error>,
    /// The caught request's allow-listed headers (a JSON object), which expressions read as the
    /// edge did; none until [`Engine::set_headers`].
    headers: Option<Value>,
    /// When the caught request arrived (ISO 8601), which expressions read as `received_at`; none
    /// until [`Engine::set_received_at`].
    received_at: Option<String>,
    member: MemberState,
    /// What the last [`Engine::preview`] answered, for the next one to answer only what changed;
    /// none until the first, and again after new fields, currencies or member.
    shown: Option<Shown>,
}

#[wasm_bindgen]
impl Engine {
    /// An engine for field definitions `fields` (`{"key": "number"|"text"|"boolean"}`).
    #[wasm_bindgen(constructor)]
    pub fn new(fields: &str) -> JsResult<Engine> {
        let catalog = Catalog::with_fields(field_types(fields)?);
        let empty = Value::Object(serde_json::Map::new());
        let draft = Draft::parse(&empty, &catalog);
        Ok(Engine {
            catalog,
            mapping: Ok((empty.clone(), draft)),
            payload: Ok(empty),
            headers: None,
            received_at: None,
            member: MemberState::default(),
            shown: None,
        })
    }

    /// New field definitions: the mapping is checked against them again.
    #[wasm_bindgen(js_name = setFields)]
    pub fn set_fields(&mut self, fields: &str) -> JsResult<()> {
        let currencies: Vec<String> = self.catalog.currencies().map(str::to_owned).collect();
        self.set_catalog(Catalog::new(field_types(fields)?, currencies));
        Ok(())
    }

    /// The community's currencies (a JSON array of keys; the built-in ones are always there): the
    /// mapping is checked against them again.
    #[wasm_bindgen(js_name = setCurrencies)]
    pub fn set_currencies(&mut self, currencies: &str) -> JsResult<()> {
        let keys = json(currencies, "currencies")?;
        let keys = keys
            .as_array()
            .and_then(|keys| keys.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or_else(|| wrong("currencies", "a JSON array of currency keys"))?;
        self.set_catalog(Catalog::new(self.catalog.fields().clone(), keys));
        Ok(())
    }

    /// A new mapping (JSON text). Never throws: its errors, if any, are kept and reported by
    /// [`Engine::mapping`], [`Engine::plan`] and [`Engine::preview`] until a valid one is set.
    #[wasm_bindgen(js_name = setMapping)]
    pub fn set_mapping(&mut self, mapping: &str) {
        self.mapping = serde_json::from_str(mapping)
            .map(|value| {
                let draft = Draft::parse(&value, &self.catalog);
                (value, draft)
            })
            .map_err(|e| error::not_json("mapping", &e));
    }

    /// A new sample payload: its UTF-8 bytes, parsed as the edge parses a request's body (UTF-8,
    /// depth limit). The page passes its text encoded into a buffer it keeps (www/js/utf8.js):
    /// bytes cross the boundary in one copy, where a string is copied into wasm one character at a
    /// time by the glue's loop.
    /// Bytes that are not UTF-8 or not JSON are thrown, the message naming the offset or the line
    /// and column, and kept until a valid payload is set.
    #[wasm_bindgen(js_name = setPayload)]
    pub fn set_payload(&mut self, body: &[u8]) -> JsResult<()> {
        self.payload = payload::parse(body);
        self.payload.as_ref().map(|_| ()).map_err(error::to_js)
    }

    /// When the sample arrived (the catch's `received_at`), for expressions reading
    /// `received_at`; null when it is not known (they then fail with `missing_path`).
    #[wasm_bindgen(js_name = setReceivedAt)]
    pub fn set_received_at(&mut self, at: Option<String>) {
        self.received_at = at;
    }

    /// The headers that came with the sample (the catch's `headers`: a JSON object of
    /// allow-listed headers, or null), for expressions reading `headers[...]`. Text that is not a
    /// JSON object or null is thrown.
    #[wasm_bindgen(js_name = setHeaders)]
    pub fn set_headers(&mut self, headers: &str) -> JsResult<()> {
        self.headers = match serde_json::from_str(headers) {
            Ok(Value::Null) => None,
            Ok(object @ Value::Object(_)) => Some(object),
            Ok(_) => {
                return Err(thrown(Error::new(
                    ErrorKind::WrongType,
                    "the headers must be a JSON object (lowercase names -> values) or null",
                )))
            }
            Err(e) => return Err(thrown(error::not_json("headers", &e))),
        };
        Ok(())
    }

    /// The member whose balances and fields the preview shows before -> after:
    /// `{balances: {currency: amount}, fields: {key: value}}`, as the admin typed them.
    #[wasm_bindgen(js_name = setMember)]
    pub fn set_member(&mut self, member: &str) -> JsResult<()> {
        self.member = MemberState::from_json(&json(member, "member")?).map_err(thrown)?;
        self.shown = None;
        Ok(())
    }

    /// Every currency a mapping may name now, the built-in ones included, in key order.
    pub fn currencies(&self) -> Vec<String> {
        self.catalog.currencies().map(str::to_owned).collect()
    }

    /// Every leaf of the payload, in document order: `[{path, trail, value}]`, where `trail`
    /// lists the keys and indexes leading to it and `path` is what to put in a mapping to reach it.
    pub fn leaves(&self) -> JsResult {
        to_js(&path::leaves(self.payload()?))
    }

    /// What the page shows, as what changed since this engine's previous preview, in one flat
    /// list: `[rows, parts | null, i, effect | null, before, after, error | null, ...]`.
    /// - `rows` is the number of mapping rows.
    /// - `parts` holds `filtered` (why the mapping's filter turns the sample away, or null),
    ///   `member`, `idempotency_key`, `message` and `errors`, each only when it differs (null
    ///   when none does).
    /// - Then five items per row whose effect differs, or whose change may (an earlier row on its
    ///   currency or field changed: `delta::Delta::between`): its index, its effect, and its
    ///   change's `before`, `after` and `error` (all null when the row has no effect).
    ///
    /// The first preview, and the first after [`Engine::set_fields`], [`Engine::set_currencies`]
    /// or [`Engine::set_member`], names every part and row, and its parts say `full: true`.
    /// Merged (www/js/preview_state.js), the parts are `hookmap_core::Preview` without its `plan`,
    /// and `changes`: each effect's before -> after on the member. When `errors` is empty,
    /// `member`, `idempotency_key`, `effects` and `message` are the edge's plan ([`Engine::plan`]).
    /// Only a mapping that is not JSON at all and an invalid payload are thrown (the next preview
    /// then answers what changed since the last one that was not); the mapping's other errors are
    /// in `errors`. One keystroke changes one value, so usually one row: the page does not get the
    /// whole preview every time.
    pub fn preview(&mut self) -> JsResult {
        let preview: Preview = self.draft()?.preview(self.input()?);
        let changes = hookmap_core::simulate(&self.member, &preview.effects);
        let now = Shown {
            filtered: preview.filtered,
            member: preview.member,
            idempotency_key: preview.idempotency_key,
            effects: preview.effects,
            message: preview.message,
            errors: preview.errors,
        };
        let answer = to_js(&Delta::between(self.shown.as_ref(), &now, &changes));
        self.shown = Some(now);
        answer
    }

    /// Row `index`'s expressions on the sample, step by step, as the edge evaluates them:
    /// `{when, value}`, each null or `{steps: [{at, end, text, short, value}], value, error}`
    /// (`hookmap_core::preview::RowSteps`; `at` and `end` count characters, `short` is `text`
    /// with its earlier steps cut to `…`). Null for a row without an expression, or one that did
    /// not parse (its error is in the preview's). Thrown like [`Engine::preview`].
    pub fn steps(&self, index: usize) -> JsResult {
        to_js(&self.draft()?.steps(index, self.input()?))
    }

    /// The mapping, as it stands, replayed over a webhook's stored deliveries before it is saved:
    /// `deliveries` is the text of the history's list answer
    /// (`GET .../deliveries?include=payload&per_page=50`, `{data: [Delivery...], ...}`), passed as
    /// is so the payloads' numbers stay exact. Answers `{items: [{id, created_at, kind, stored:
    /// {status, error, effects}, new: {plan, error} | null, effects_changed}], summary: {kind:
    /// count}}` (`hookmap_core::shadow`; the kinds are `capabilities().shadow_kinds`). Text that
    /// is not such an answer is thrown. A mapping with errors, or not JSON at all, is not thrown:
    /// each delivery gets its first error as `new.error` (successes and pending deliveries are then
    /// `would_fail`, failures `still_fails`), as the edge would answer with it; the editor shows
    /// the mapping's errors beside their rows anyway.
    pub fn shadow(&self, deliveries: &str) -> JsResult {
        let list = shadow::deliveries(deliveries).map_err(thrown)?;
        let judged = match &self.mapping {
            Ok((_, draft)) => {
                let creates = draft.mapping().ok().and_then(|m| m.user.as_ref());
                shadow::judge_creating(&list, |payload| draft.plan(payload), creates)
            }
            Err(e) => shadow::judge(&list, |_| Err(e.clone())),
        };
        to_js(&judged)
    }
}

/// What the parity tests compare with the core and the edge; the page reads the same from its
/// preview, so its build leaves these out (feature `parity`).
#[cfg(feature = "parity")]
#[wasm_bindgen]
impl Engine {
    /// The mapping as the API would store it, or its first error (the one the API answers).
    pub fn mapping(&self) -> JsResult {
        to_js(self.draft()?.mapping().map_err(error::to_js)?)
    }

    /// What the edge does: the plan of the payload under the mapping, or the edge's error (the
    /// mapping's first, then the payload's).
    pub fn plan(&self) -> JsResult {
        let draft = self.draft()?;
        // The mapping's error outranks the payload's, as at the edge.
        draft.mapping().map_err(error::to_js)?;
        to_js(&draft.plan(self.input()?).map_err(thrown)?)
    }
}

impl Engine {
    fn set_catalog(&mut self, catalog: Catalog) {
        self.catalog = catalog;
        self.shown = None;
        if let Ok((value, draft)) = &mut self.mapping {
            *draft = Draft::parse(value, &self.catalog);
        }
    }

    fn draft(&self) -> JsResult<&Draft> {
        match &self.mapping {
            Ok((_, draft)) => Ok(draft),
            Err(e) => Err(error::to_js(e)),
        }
    }

    fn payload(&self) -> JsResult<&Value> {
        self.payload.as_ref().map_err(error::to_js)
    }

    /// The sample with its headers, as expressions read them.
    fn input(&self) -> JsResult<Input<'_>> {
        Ok(Input {
            payload: self.payload()?,
            headers: self.headers.as_ref(),
            received_at: self.received_at.as_deref(),
        })
    }
}

/// The JSON text a request to the edge URL becomes (a form body or query parameters made JSON,
/// `dry_run` and `api_key` left out), for [`Engine::set_payload`]: the text the edge would keep.
/// `content_type` as the header says it (none: not a form); `query` the text after `?`.
/// Built with the `request` feature (the tests'), not in the page's module (Cargo.toml).
#[cfg(feature = "parity")]
#[wasm_bindgen(js_name = requestPayload)]
pub fn request_payload(content_type: Option<String>, body: &str, query: &str) -> JsResult<String> {
    use hookmap_core::{form, inbound};
    let params = form::params(query).map_err(thrown)?;
    inbound::request_text(body.as_bytes(), content_type.as_deref(), &params).map_err(thrown)
}

/// An argument's JSON text as a value. The page's inputs are read from values by hand, not by
/// serde's typed deserializers, which would add 16 KB gzipped to it (BENCHMARKS.md).
fn json(text: &str, argument: &str) -> JsResult<Value> {
    serde_json::from_str(text).map_err(|e| thrown(error::not_json(argument, &e)))
}

fn wrong(argument: &str, expected: &str) -> JsValue {
    thrown(
        Error::new(
            ErrorKind::WrongType,
            format!("the {argument} must be {expected}"),
        )
        .at(argument),
    )
}

fn thrown(error: Error) -> JsValue {
    error::to_js(&error)
}

/// Field definitions as `{"key": "type"}`; unknown type names are left out, as at the edge.
fn field_types(text: &str) -> JsResult<FieldTypes> {
    let defs = json(text, "fields")?;
    let defs = defs
        .as_object()
        .ok_or_else(|| wrong("fields", r#"a JSON object ({"key": "type"})"#))?;
    Ok(Catalog::fields_from(
        defs.iter()
            .filter_map(|(k, t)| t.as_str().map(|t| (k.as_str(), t))),
    ))
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult {
    // Through JSON text: the page gets plain objects and arrays, numbers exactly as serde_json
    // prints them. Serializing these types cannot fail.
    let mut text = Text(Vec::with_capacity(256));
    serde_json::to_writer(&mut text, value)
        .map_err(|e| thrown(Error::new(ErrorKind::NotJson, e.to_string())))?;
    let text = String::from_utf8(text.0)
        .map_err(|e| thrown(Error::new(ErrorKind::NotJson, e.to_string())))?;
    js_sys::JSON::parse(&text)
}

/// serde_json's output, written a byte at a time: its writes are a few bytes each (a key, a
/// quote, a comma), and copying those with `memory.copy` costs more in wasm than the bytes do.
struct Text(Vec<u8>);

impl Text {
    // One copy of the loop, out of line; the callers see writes that cannot fail, so serde_json's
    // error paths for them fold away.
    #[inline(never)]
    fn push(&mut self, buf: &[u8]) {
        self.0.reserve(buf.len());
        for &b in buf {
            self.0.push(b);
        }
    }
}

impl std::io::Write for Text {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.push(buf);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
