// Envelope decryption inside wasm under Node, built with the worker's own release profile: the
// native criterion figures run on AES-NI-free soft AES too, but wasm is where the edge decrypts.
// The same bodies as the criterion bench: {iv, data} envelopes with a per-message IV. Prints JSON.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const wasm = require(process.argv[2]);
const key = 'k3y-for-hookmap-benchmarks-32chr';
const iv = 'iv-16-characters';

function measure(fn, ms = 400) {
  fn(3);
  let n = 1;
  for (;;) {
    const start = performance.now();
    fn(n);
    const took = performance.now() - start;
    if (took >= ms) return (took * 1000) / n;
    n = Math.max(n * 2, Math.ceil((n * ms) / Math.max(took, 0.001)));
  }
}

const out = [];
for (const [alg, ivLen] of [['aes-256-cbc', 16], ['aes-256-gcm', 12]]) {
  for (const size of [1024, 64 * 1024]) {
    const body = wasm.seal(alg, key, iv, 'x'.repeat(size), new Uint8Array(ivLen).fill(7));
    if (wasm.benchOpen(alg, key, iv, body, 1) !== size) throw new Error(`${alg}: round trip failed`);
    const us = measure((n) => wasm.benchOpen(alg, key, iv, body, n));
    out.push({ alg, size: `${size / 1024}KB`, us, mbs: size / us });
  }
}
console.log(JSON.stringify(out));
