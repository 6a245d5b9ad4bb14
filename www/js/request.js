// The request tester: encrypts the sample as a sender would (with the browser's WebCrypto,
// seal.js), shows the body and a ready-to-paste curl command, and can send it to the edge URL.
import { seal } from './seal.js';

/** Quotes a string for a POSIX shell. */
function sh(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

export class RequestTester {
  constructor(root, wasm, sample) {
    this.root = root;
    this.wasm = wasm;
    this.sample = sample;
    this.el = (id) => root.querySelector(`#${id}`);
    this.algorithms = wasm.capabilities().algorithms;
    const select = this.el('algorithm');
    for (const a of this.algorithms) select.append(new Option(a.name.toUpperCase(), a.name));
    select.value = wasm.capabilities().default_algorithm;
    this.request = null;
    // Sealing is asynchronous: only the latest build may show its request.
    this.builds = 0;
    this.el('encrypt-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.build();
    });
    this.el('dry-run').addEventListener('change', () => this.request && this.build());
    this.el('send').addEventListener('click', () => this.send());
  }

  setUrl(url) {
    this.el('hook-url').value = url ?? '';
  }

  /** Builds the request from the form: body, headers, URL and the curl command. Until it is
   * built, the body and the command are empty and Send is disabled. */
  async build() {
    const build = ++this.builds;
    this.el('encrypt-error').hidden = true;
    this.request = null;
    this.el('enc-body').value = '';
    this.el('curl').value = '';
    this.el('send').disabled = true;
    const algorithm = this.algorithms.find((a) => a.name === this.el('algorithm').value);
    const plaintext = this.sample();
    let body = plaintext;
    if (algorithm) {
      const perMessage = this.el('per-message-iv').checked;
      const iv = perMessage ? crypto.getRandomValues(new Uint8Array(algorithm.message_iv_len)) : undefined;
      try {
        body = await seal(algorithm, this.el('enc-key').value, this.el('enc-iv').value, plaintext, iv);
      } catch (e) {
        if (build === this.builds) this.fail(`Not encrypted: ${e.message}`);
        return;
      }
      if (build !== this.builds) return;
    }
    const base = this.el('hook-url').value.trim();
    if (!base) {
      this.fail('Enter the edge URL (pick a webhook after connecting, or paste its URL).');
      return;
    }
    const url = new URL(base, window.location.href);
    const key = this.el('hook-key').value.trim();
    // A dry run tells a member's balances, so the edge answers one only to a proved sender
    // (401 proof_required otherwise); the tester proves itself with the webhook's API key.
    if (this.el('dry-run').checked) {
      if (!key) {
        this.fail('A dry run needs the webhook\'s API key: enter it above (a webhook without a key or a signature cannot be dry-run).');
        return;
      }
      url.searchParams.set('dry_run', 'true');
    }
    const headers = { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' };
    if (key) headers['x-api-key'] = key;
    this.request = { url: url.href, headers, body };
    this.el('enc-body').value = body;
    this.el('curl').value = [
      `curl -sS -X POST ${sh(url.href)}`,
      ...Object.entries(headers).map(([k, v]) => `  -H ${sh(`${k}: ${v}`)}`),
      `  --data-raw ${sh(body)}`,
    ].join(' \\\n');
    this.el('send').disabled = false;
  }

  fail(message) {
    const error = this.el('encrypt-error');
    error.textContent = message;
    error.hidden = false;
    this.request = null;
    this.el('send').disabled = true;
  }

  /** Sends the built request and shows the edge's answer. */
  async send() {
    if (!this.request) return;
    const status = this.el('send-status');
    const out = this.el('send-body');
    this.el('send-result').hidden = false;
    status.className = '';
    status.textContent = 'Sending…';
    out.textContent = '';
    try {
      const res = await fetch(this.request.url, { method: 'POST', headers: this.request.headers, body: this.request.body });
      const text = await res.text();
      let pretty = text;
      try {
        pretty = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // Not JSON: show the text as it came.
      }
      status.className = res.ok ? 'ok' : 'bad';
      status.textContent = `HTTP ${res.status} ${res.statusText}`;
      out.textContent = pretty;
    } catch (e) {
      status.className = 'bad';
      status.textContent = `The request failed: ${e.message}`;
    }
  }
}
