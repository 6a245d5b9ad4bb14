// The mapping engine: hookmap-core compiled to wasm (crates/hookmap-wasm, built into ../pkg by
// scripts/build-page.sh). The preview runs the very code the edge runs.
import init, * as wasm from '../pkg/hookmap_wasm.js';

/** The wasm module: its `Engine` class (the page keeps one: fields, mapping, payload and member,
 * each parsed when it changes), `capabilities` and `suitedLocation`. */
export async function loadEngine() {
  await init();
  return wasm;
}

/** Runs `fn`: `{ok: true, value}`, or `{ok: false, error}` with the thrown HookmapError. */
export function attempt(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** "code: message", the way the page shows any error. */
export function describe(error) {
  return error.code ? `${error.code}: ${error.message}` : String(error.message ?? error);
}
