// The mapping editor: take a sample, build a mapping with the form, watch the preview on every
// edit, try the request, save. Offline (the playground) the fields and currencies are typed in;
// as a webhook's Mapping tab they come from the server. All mapping logic runs in the wasm engine.
import { attempt, describe } from './engine.js';
import { MappingForm } from './form.js';
import { PreviewPanel } from './preview.js';
import { PreviewState } from './preview_state.js';
import { RequestTester } from './request.js';
import { ShadowPanel } from './shadow.js';
import { renderTree } from './tree.js';
import { utf8Bytes } from './utf8.js';

const EXAMPLE_SAMPLE = {
  customer: { email: 'Ada@Example.com' },
  order: { id: 'A-1001' },
  reward: { coins: 50 },
  tier: 'gold',
  items: [{ qty: 3 }],
};

/** How often an open Mapping tab asks whether the sender sent something new. */
const CATCH_POLL_MS = 2000;

function showError(el, text) {
  el.textContent = text ?? '';
  el.hidden = !text;
}

export class MappingEditor {
  /** `root` holds the editor's markup (index.html, `#editor`); `wasm` is the loaded engine module. */
  constructor(root, wasm) {
    this.root = root;
    this.$ = (selector) => root.querySelector(selector);
    this.wasm = wasm;
    // The engine's capabilities(): every set the page offers, so the page spells none of them.
    this.caps = wasm.capabilities();
    // The one wasm Engine: told each input when it changes (and only then), so a keystroke in the
    // sample does not parse the mapping again, nor one in the mapping the sample.
    this.engine = new wasm.Engine('{}');
    // Its preview() answers what changed since the previous one; this keeps the whole.
    this.shown = new PreviewState();
    this.api = null;
    this.webhook = null;
    // Bumped by each connect and by the playground: a connect that an other one overtook stops.
    this.turn = 0;
    this.fields = {};
    this.last = { sample: null, mapping: null, member: null, sampleOk: false };
    const refresh = () => this.refresh();
    this.form = new MappingForm(this.$('#mapping-card'), this.caps, refresh);
    this.preview = new PreviewPanel(this.$('#preview-card'), this.caps, refresh);
    this.tester = new RequestTester(this.$('#encrypt-card'), wasm, () => this.$('#sample-text').value);
    this.shadow = new ShadowPanel(this.$('#shadow-card'), this.caps, () => this.shadowRun());
    const types = this.caps.field_types.map((t) => JSON.stringify(t.name));
    this.$('#field-types-hint').textContent = `{"key": ${types.join(' | ')}}`;
    this.$('#sample-text').value = JSON.stringify(EXAMPLE_SAMPLE, null, 2);
    this.$('#load-catch').addEventListener('click', () => this.loadCaught());
    this.$('#save').addEventListener('click', () => this.save());
    this.$('#sample-text').addEventListener('input', () => { this.edited = true; refresh(); });
    this.$('#fields-json').addEventListener('input', () => {
      if (!this.api) this.setFields(this.readOfflineFields());
      refresh();
    });
    this.$('#currencies-json').addEventListener('input', () => {
      if (!this.api) this.setCurrencies(this.readOfflineCurrencies());
      refresh();
    });
  }

  /** The playground: nothing saved, the fields and currencies typed in. */
  offline() {
    this.turn += 1;
    this.api = null;
    this.webhook = null;
    for (const id of ['#fields-json', '#currencies-json']) this.$(id).readOnly = false;
    for (const id of ['#webhook-parts', '#shadow-card', '#save', '#process-pending']) this.$(id).hidden = true;
    this.setFields(this.readOfflineFields());
    this.setCurrencies(this.readOfflineCurrencies());
    this.form.load(this.emptyMapping());
    this.tester.setUrl('');
    this.refresh();
  }

  /**
   * A webhook's Mapping tab: the community's fields, currencies and channels, its own mapping.
   * Answers false, changing nothing, when another connect or the playground came after it.
   */
  async connect(api, webhook) {
    const mine = ++this.turn;
    const [fields, currencies, channels] = await Promise.all([api.fields(), api.currencies(), api.channels()]);
    if (mine !== this.turn) return false;
    this.api = api;
    this.webhook = webhook;
    this.form.setChannels(channels);
    this.preview.channels = channels;
    const types = Object.fromEntries(fields.map((f) => [f.key, f.type]));
    this.$('#fields-json').value = JSON.stringify(types, null, 1);
    const own = currencies.filter((c) => !c.built_in).map((c) => c.key);
    this.$('#currencies-json').value = JSON.stringify(own);
    for (const id of ['#fields-json', '#currencies-json']) this.$(id).readOnly = true;
    this.setFields(types);
    this.setCurrencies(own);
    for (const id of ['#webhook-parts', '#shadow-card', '#save']) this.$(id).hidden = false;
    this.$('#save-result').textContent = '';
    this.$('#process-pending').hidden = true;
    this.$('#catch-info').textContent = '';
    this.$('#algorithm').value = webhook.encryption?.algorithm ?? '';
    this.tester.setUrl(webhook.url);
    // The form shows the webhook's own mapping: an empty one when it has none yet.
    this.form.load(webhook.mapping ?? this.emptyMapping());
    this.shadow.reset();
    this.refresh();
    // Start from what the sender sent last, when it has sent anything (the seeds' Catch), and
    // take what it sends while the tab is open.
    this.caughtAt = null;
    this.edited = false;
    await this.loadCaught({ quiet: true });
    this.watchCatch(mine);
    return mine === this.turn;
  }

  /** Field definitions typed in the playground (the last valid ones while they are not valid). */
  readOfflineFields() {
    const parsed = attempt(() => JSON.parse(this.$('#fields-json').value || '{}'));
    const valid = parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value);
    showError(this.$('#fields-error'), valid ? '' : 'Write the fields as a JSON object, e.g. {"tier": "text"}.');
    return valid ? parsed.value : this.fields;
  }

  /** The community's own currencies typed in the playground, or null while they are not valid. */
  readOfflineCurrencies() {
    const parsed = attempt(() => JSON.parse(this.$('#currencies-json').value || '[]'));
    const valid = parsed.ok && Array.isArray(parsed.value) && parsed.value.every((k) => typeof k === 'string');
    showError(this.$('#currencies-error'), valid ? '' : 'Write the currencies as a JSON array of keys, e.g. ["gems"].');
    return valid ? parsed.value : null;
  }

  setFields(fields) {
    this.fields = fields;
    this.engine.setFields(JSON.stringify(fields));
    this.form.setFields(fields);
    this.summarize();
  }

  /** The engine knows which currencies are built in; the form and the balances follow it. */
  setCurrencies(own) {
    if (!own) return;
    this.engine.setCurrencies(JSON.stringify(own));
    const all = this.engine.currencies();
    this.form.setCurrencies(all);
    this.preview.showBalanceInputs(all);
    this.summarize();
  }

  summarize() {
    const fields = Object.keys(this.fields).length;
    this.$('#fields-summary').textContent = `(${fields} fields, ${this.engine.currencies().length} currencies)`;
  }

  /** A mapping with nothing in it yet, for the form to start from. */
  emptyMapping() {
    return { user: { match: this.caps.match_by[0], path: '' }, fields: [] };
  }

  /** Re-renders the sample tree when the sample changed; answers whether it is valid JSON. */
  refreshSample(text) {
    if (text === this.last.sample) return this.last.sampleOk;
    this.last.sample = text;
    const leaves = attempt(() => {
      this.engine.setPayload(utf8Bytes(text));
      return this.engine.leaves();
    });
    this.last.sampleOk = leaves.ok;
    if (leaves.ok) {
      showError(this.$('#sample-error'), '');
      renderTree(this.$('#tree'), leaves.value, (path, leaf) => this.form.fillActive(path, leaf));
      this.form.setLeaves(leaves.value);
    } else {
      // The engine's message names the line and column of invalid JSON.
      showError(this.$('#sample-error'), describe(leaves.error));
    }
    return leaves.ok;
  }

  /** Tells the engine the form's mapping when it changed. */
  syncMapping() {
    const mapping = this.form.toMapping();
    const text = JSON.stringify(mapping);
    if (text !== this.last.mapping) {
      this.engine.setMapping(text);
      this.last.mapping = text;
      this.shadow.stale();
    }
    return mapping;
  }

  /** Runs on every edit: mapping JSON, errors next to their rows, and the preview. */
  refresh() {
    const mapping = this.syncMapping();
    this.$('#mapping-json').textContent = JSON.stringify(mapping, null, 2);
    const rows = (mapping.fields ?? []).length;
    this.preview.showFieldInputs(this.fields, (mapping.fields ?? []).map((row) => row.target.field).filter(Boolean));
    if (!this.refreshSample(this.$('#sample-text').value)) {
      this.form.showErrors([]);
      this.preview.render(null, rows);
      return;
    }
    const result = attempt(() => {
      const member = JSON.stringify(this.preview.member(this.fields));
      if (member !== this.last.member) {
        this.engine.setMember(member);
        this.last.member = member;
      }
      return this.shown.merge(this.engine.preview());
    });
    if (!result.ok) {
      this.preview.render(null, rows);
      return;
    }
    this.form.showErrors(result.value.errors);
    // Each expression row's steps on the sample (null for the others), evaluated by the engine.
    const steps = (mapping.fields ?? []).map((row, i) => (row.value === undefined && row.when === undefined
      ? null : attempt(() => this.engine.steps(i)).value ?? null));
    this.preview.render(result.value, rows, steps);
    // From the page's load to its first preview: the console's budget, read by scripts/bench/console.mjs.
    if (performance.getEntriesByName('first-preview').length === 0) performance.mark('first-preview');
  }

  /** The webhook's latest caught payload as the sample; `quiet` says nothing when there is none. */
  async loadCaught({ quiet = false } = {}) {
    const info = this.$('#catch-info');
    info.textContent = 'Loading…';
    const mine = this.turn;
    try {
      const caught = await this.api.caught(this.webhook.id);
      if (mine !== this.turn) return;
      this.showCaught(caught);
    } catch (e) {
      if (mine !== this.turn) return;
      info.textContent = quiet ? 'Nothing caught yet: send a delivery to the URL; it appears here by itself.' : describe(e);
    }
    this.refresh();
  }

  showCaught(caught) {
    if (caught.payload === null) throw new Error('the latest delivery has no payload to show');
    // Expressions reading headers["x-shopify-topic"] preview as the edge read them.
    this.engine.setHeaders(JSON.stringify(caught.headers ?? null));
    this.engine.setReceivedAt(caught.received_at ?? null);
    this.$('#sample-text').value = JSON.stringify(caught.payload, null, 2);
    this.caughtAt = caught.received_at;
    this.edited = false;
    this.$('#catch-info').textContent = `caught ${caught.received_at}`;
  }

  /**
   * While this webhook's Mapping tab is open, the first delivery caught becomes the sample by
   * itself (the seeds' "trigger the sender, then Catch", without a reload). A later one, or one
   * arriving after the admin edited the sample, is only announced: the sample being worked on
   * does not change under the admin's hands.
   */
  watchCatch(mine) {
    clearTimeout(this.watching);
    const look = async () => {
      if (mine !== this.turn || !this.root.isConnected || this.root.hidden) return;
      try {
        const caught = await this.api.caught(this.webhook.id);
        if (mine !== this.turn || caught.received_at === this.caughtAt || caught.payload === null) {
          // Nothing new.
        } else if (this.edited || this.caughtAt) {
          this.$('#catch-info').textContent = `a new delivery was caught ${caught.received_at}: Load caught sample to use it`;
        } else {
          this.showCaught(caught);
          this.refresh();
        }
      } catch {
        // Nothing caught yet, or the network blinked: look again.
      }
      if (mine === this.turn) this.watching = setTimeout(look, CATCH_POLL_MS);
    };
    this.watching = setTimeout(look, CATCH_POLL_MS);
  }

  /** The edited mapping over the webhook's latest stored payloads, in this page: nothing is sent. */
  async shadowRun() {
    this.syncMapping();
    const text = await this.api.deliveriesText(this.webhook.id, { per_page: 50 });
    return this.engine.shadow(text);
  }

  /**
   * Saves the mapping. Caught deliveries that waited for one are counted in the answer: the
   * admin may process them now (`process_pending`: a bulk replay), and sees how it went.
   */
  async save() {
    const out = this.$('#save-result');
    const process = this.$('#process-pending');
    process.hidden = true;
    out.className = '';
    out.textContent = 'Saving…';
    try {
      const mapping = this.form.toMapping();
      // The webhook keeps its location when the mapping fits it; the engine knows which fits.
      const location = this.wasm.suitedLocation(Boolean(mapping.fields?.length), Boolean(mapping.message), this.webhook.location);
      const saved = await this.api.updateWebhook(this.webhook.id, { mapping, location });
      Object.assign(this.webhook, saved);
      out.className = 'ok';
      const waiting = saved.pending_deliveries ?? 0;
      out.textContent = `Saved: version ${saved.version}. The edge uses this mapping from now on.${waiting
        ? ` ${waiting} caught ${waiting === 1 ? 'delivery waits' : 'deliveries wait'} for it.` : ''}`;
      if (waiting) {
        process.textContent = `Process the ${waiting} caught ${waiting === 1 ? 'delivery' : 'deliveries'} now`;
        process.hidden = false;
        process.onclick = () => this.processPending(mapping, location);
      }
    } catch (e) {
      out.className = 'bad';
      out.textContent = `Not saved: ${describe(e)}${e.at ? ` (at ${e.at})` : ''}`;
    }
  }

  /** Replays the caught deliveries with the saved mapping, and says what became of them. */
  async processPending(mapping, location) {
    const out = this.$('#save-result');
    const process = this.$('#process-pending');
    process.hidden = true;
    out.className = '';
    out.textContent = 'Processing the caught deliveries…';
    try {
      const saved = await this.api.updateWebhook(this.webhook.id, { mapping, location, process_pending: true });
      Object.assign(this.webhook, saved);
      let run = saved.replay;
      if (!run) {
        out.className = 'ok';
        out.textContent = 'No caught delivery waits any more.';
        return;
      }
      while (!run.finished) {
        out.textContent = `Processing: ${run.done} of ${run.queued} done…`;
        await new Promise((r) => setTimeout(r, 1000));
        run = await this.api.replayRun(this.webhook.id, run.id);
      }
      out.className = run.failed ? 'bad' : 'ok';
      out.textContent = `Processed ${run.done} caught ${run.done === 1 ? 'delivery' : 'deliveries'}: ${run.succeeded} applied, ${run.failed} failed, ${run.skipped} skipped${run.pending ? `, ${run.pending} still pending` : ''}. The Histories tab lists each.`;
    } catch (e) {
      out.className = 'bad';
      out.textContent = `Not processed: ${describe(e)}`;
    }
  }
}
