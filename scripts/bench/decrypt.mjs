// Envelope decryption inside wasm under Node, built with the worker's own release profile: the
// native criterion figures run on AES-NI-free soft AES too, but wasm is where the edge decrypts.
// The same bodies as the criterion bench: {iv, data} envelopes with a per-message IV, sealed by
// Node's crypto (the page's wasm no longer seals). Prints JSON.
import { createCipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import { measure } from './measure.mjs';

const require = createRequire(import.meta.url);
const wasm = require(process.argv[2]);
const key = 'k3y-for-hookmap-benchmarks-32chr';
const iv = 'iv-16-characters';

/** An `{iv, data}` envelope of `plaintext`, as a sender makes it (GCM's tag after the ciphertext). */
function seal(alg, plaintext, messageIv) {
  const cipher = createCipheriv(alg, Buffer.from(key), messageIv);
  const parts = [cipher.update(plaintext), cipher.final()];
  if (alg === 'aes-256-gcm') parts.push(cipher.getAuthTag());
  return JSON.stringify({ iv: messageIv.toString('base64'), data: Buffer.concat(parts).toString('base64') });
}

const out = [];
for (const [alg, ivLen] of [['aes-256-cbc', 16], ['aes-256-gcm', 12]]) {
  for (const size of [1024, 64 * 1024]) {
    const body = seal(alg, 'x'.repeat(size), Buffer.alloc(ivLen, 7));
    if (wasm.benchOpen(alg, key, iv, body, 1) !== size) throw new Error(`${alg}: round trip failed`);
    const us = measure((n) => wasm.benchOpen(alg, key, iv, body, n));
    out.push({ alg, size: `${size / 1024}KB`, us, mbs: size / us });
  }
}
console.log(JSON.stringify(out));
