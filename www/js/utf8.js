// The sample payload as the wasm Engine takes it (crates/hookmap-wasm, Engine::set_payload). No
// DOM and no wasm: the benchmark (scripts/bench/engine.mjs) runs it too.

const utf8 = new TextEncoder();
let scratch = new Uint8Array(4096);

/**
 * What `Engine.setPayload` takes: `text`'s UTF-8 bytes, which the engine reads as the edge reads a
 * request's body. Encoded into one buffer kept between keystrokes (no new array each time); the
 * call copies them into wasm, so the answer is good until the next call.
 */
export function utf8Bytes(text) {
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  return scratch.subarray(0, utf8.encodeInto(text, scratch).written);
}
