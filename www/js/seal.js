// Encrypts a body as a sender would, with the browser's WebCrypto rather than the engine: the
// ciphers were 20 KB of the page's gzipped wasm, and an implementation independent of the edge's
// RustCrypto makes every request the edge opens a check of both. The formats are hookmap-core's
// envelope (crates/hookmap-core/src/envelope.rs): base64 of the ciphertext under the configured
// IV, or `{iv, data}` with a per-message IV; the key and IV are the bytes of ASCII text.

/** The bytes of a key or IV typed as text: exactly `length` ASCII characters, else thrown. */
function exact(text, length, what) {
  const count = [...text].length;
  if (count !== length || !/^[\x00-\x7f]*$/.test(text)) {
    throw new Error(`the ${what} must be exactly ${length} single-byte (ASCII) characters, not ${count}`);
  }
  return new TextEncoder().encode(text);
}

/** Standard base64 with padding, as the envelope writes it. */
function base64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Seals `plaintext` under `algorithm` (an entry of capabilities().algorithms: its `webcrypto`
 * name, `key_len`, `iv_len`). With `messageIv` (bytes) the body is the `{iv, data}` envelope;
 * without, base64 of the ciphertext under `iv`. A key or IV of the wrong length is thrown.
 */
export async function seal(algorithm, key, iv, plaintext, messageIv) {
  const keyBytes = exact(key, algorithm.key_len, 'key');
  const ivBytes = exact(iv, algorithm.iv_len, 'iv');
  // Browsers offer WebCrypto only to https pages and to localhost.
  if (!globalThis.crypto?.subtle) throw new Error('encrypting in the page needs https (or localhost)');
  const name = algorithm.webcrypto;
  // WebCrypto's AES-CBC pads with PKCS#7 and AES-GCM appends its 128-bit tag: the envelope's format.
  const cryptoKey = await crypto.subtle.importKey('raw', keyBytes, name, false, ['encrypt']);
  const data = await crypto.subtle.encrypt({ name, iv: messageIv ?? ivBytes }, cryptoKey, new TextEncoder().encode(plaintext));
  const body = base64(new Uint8Array(data));
  return messageIv ? JSON.stringify({ iv: base64(messageIv), data: body }) : body;
}
