// The mapping page: connect (or work offline), take a sample, build a mapping with the form, watch
// the preview on every edit, try the request, save. All mapping logic runs in the wasm engine.
import { Api } from './js/api.js';
import { attempt, describe, loadEngine } from './js/engine.js';
import { MappingForm } from './js/form.js';
import { PreviewPanel } from './js/preview.js';
import { RequestTester } from './js/request.js';
import { renderTree } from './js/tree.js';

const $ = (selector) => document.querySelector(selector);

const EXAMPLE_SAMPLE = {
  customer: { email: 'Ada@Example.com' },
  order: { id: 'A-1001' },
  reward: { coins: 50 },
  tier: 'gold',
  items: [{ qty: 3 }],
};


const page = {
  wasm: null,
  // The engine's capabilities(): every set the page offers (operators, identifiers, locations,
  // algorithms), so the page spells none of them itself.
  caps: null,
  // The one wasm Engine: told each input when it changes (and only then), so a keystroke in the
  // sample does not parse the mapping again, nor one in the mapping the sample.
  engine: null,
  api: null,
  webhooks: [],
  webhook: null,
  fields: {},
  lastSample: null,
  lastMapping: null,
  lastMember: null,
};

function status(text, kind = '') {
  const el = $('#status');
  el.textContent = text;
  el.className = kind;
}

function showError(el, text) {
  el.textContent = text ?? '';
  el.hidden = !text;
}

/** Field definitions: the server's when connected, else the offline editor's. */
function readOfflineFields() {
  const parsed = attempt(() => JSON.parse($('#fields-json').value || '{}'));
  const valid = parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value);
  showError($('#fields-error'), valid ? '' : 'Write the fields as a JSON object, e.g. {"tier": "text"}.');
  return valid ? parsed.value : page.fields;
}

function setFields(fields) {
  page.fields = fields;
  summarize();
  page.engine?.setFields(JSON.stringify(fields));
  form.setFields(fields);
}

/** A mapping with nothing in it yet, for the form to start from. */
function emptyMapping() {
  return { user: { match: page.caps.match_by[0], path: '' }, fields: [] };
}

/** The community's own currencies (keys): the server's when connected, else the offline editor's. */
function readOfflineCurrencies() {
  const parsed = attempt(() => JSON.parse($('#currencies-json').value || '[]'));
  const valid = parsed.ok && Array.isArray(parsed.value) && parsed.value.every((k) => typeof k === 'string');
  showError($('#currencies-error'), valid ? '' : 'Write the currencies as a JSON array of keys, e.g. ["gems"].');
  return valid ? parsed.value : null;
}

/** The engine knows which currencies are built in; the form and the balances follow it. */
function setCurrencies(own) {
  if (!page.engine || !own) return;
  page.engine.setCurrencies(JSON.stringify(own));
  const all = page.engine.currencies();
  form.setCurrencies(all);
  preview.showBalanceInputs(all);
  summarize();
}

function summarize() {
  const fields = Object.keys(page.fields).length;
  const currencies = page.engine ? page.engine.currencies().length : 0;
  $('#fields-summary').textContent = `(${fields} fields, ${currencies} currencies)`;
}

/** Re-renders the sample tree when the sample changed; answers whether it is valid JSON. */
function refreshSample(text) {
  if (text === page.lastSample) return page.sampleOk;
  page.lastSample = text;
  const leaves = attempt(() => {
    page.engine.setPayload(text);
    return page.engine.leaves();
  });
  page.sampleOk = leaves.ok;
  if (leaves.ok) {
    showError($('#sample-error'), '');
    renderTree($('#tree'), leaves.value, (path) => form.fillActive(path));
  } else {
    // The engine's message names the line and column of invalid JSON.
    showError($('#sample-error'), describe(leaves.error));
  }
  return leaves.ok;
}

/** Runs on every edit: mapping JSON, errors next to their rows, and the preview. */
function refresh() {
  if (!page.engine) return;
  const mapping = form.toMapping();
  $('#mapping-json').textContent = JSON.stringify(mapping, null, 2);
  preview.showFieldInputs(page.fields, (mapping.fields ?? []).map((row) => row.target.field).filter(Boolean));
  const text = $('#sample-text').value;
  if (!refreshSample(text)) {
    form.showErrors([]);
    preview.render(null, (mapping.fields ?? []).length);
    return;
  }
  const mappingText = JSON.stringify(mapping);
  if (mappingText !== page.lastMapping) {
    page.engine.setMapping(mappingText);
    page.lastMapping = mappingText;
  }
  const result = attempt(() => {
    const member = JSON.stringify(preview.member(page.fields));
    if (member !== page.lastMember) {
      page.engine.setMember(member);
      page.lastMember = member;
    }
    return page.engine.preview();
  });
  if (!result.ok) {
    status(describe(result.error), 'bad');
    return;
  }
  form.showErrors(result.value.errors);
  preview.render(result.value, (mapping.fields ?? []).length);
}

async function connect(event) {
  event.preventDefault();
  const api = new Api($('#api-key').value.trim());
  status('Connecting…');
  try {
    const community = await api.community();
    const [webhooks, fields, currencies, channels] = await Promise.all([api.webhooks(), api.fields(), api.currencies(), api.channels()]);
    form.setChannels(channels);
    preview.channels = channels;
    page.api = api;
    page.webhooks = webhooks;
    const types = Object.fromEntries(fields.map((f) => [f.key, f.type]));
    $('#fields-json').value = JSON.stringify(types, null, 1);
    $('#fields-json').readOnly = true;
    setFields(types);
    const own = currencies.map((c) => c.key);
    $('#currencies-json').value = JSON.stringify(own);
    $('#currencies-json').readOnly = true;
    setCurrencies(own);
    const select = $('#webhook');
    select.replaceChildren(...webhooks.map((w) => new Option(`${w.name}${w.enabled ? '' : ' (disabled)'}`, w.id)));
    $('#webhook-box').hidden = false;
    status(`Connected to ${community.name}: ${webhooks.length} incoming webhook${webhooks.length === 1 ? '' : 's'}.`, 'ok');
    if (webhooks.length) pickWebhook(webhooks[0].id);
    else $('#webhook-info').textContent = 'This community has no incoming webhooks yet: create one with the API.';
  } catch (e) {
    status(`Could not connect: ${describe(e)}`, 'bad');
  }
  refresh();
}

function pickWebhook(id) {
  const webhook = page.webhooks.find((w) => w.id === id);
  page.webhook = webhook;
  $('#webhook').value = id;
  $('#webhook-info').textContent = [
    webhook.url,
    page.caps.locations.find((l) => l.name === webhook.location)?.does ?? webhook.location,
    webhook.encryption ? `encrypted with ${webhook.encryption.algorithm}` : 'not encrypted',
    webhook.api_key ? 'requires its API key' : 'no API key',
    webhook.mapping ? 'has a mapping' : 'no mapping yet: deliveries wait as pending',
  ].join(' · ');
  $('#load-catch').disabled = false;
  $('#save').disabled = false;
  if (webhook.encryption) $('#algorithm').value = webhook.encryption.algorithm;
  else $('#algorithm').value = '';
  tester.setUrl(webhook.url);
  // The form shows the picked webhook's own mapping: an empty one when it has none yet.
  form.load(webhook.mapping ?? emptyMapping());
  refresh();
}

async function loadCaught() {
  const info = $('#catch-info');
  info.textContent = 'Loading…';
  try {
    const caught = await page.api.caught(page.webhook.id);
    $('#sample-text').value = JSON.stringify(caught.payload, null, 2);
    info.textContent = `caught ${caught.received_at}`;
  } catch (e) {
    info.textContent = describe(e);
  }
  refresh();
}

async function save() {
  const out = $('#save-result');
  out.className = '';
  out.textContent = 'Saving…';
  try {
    const mapping = form.toMapping();
    // The webhook keeps its location when the mapping fits it; the engine knows which fits.
    const location = page.wasm.suitedLocation(Boolean(mapping.fields?.length), Boolean(mapping.message), page.webhook.location);
    const saved = await page.api.saveMapping(page.webhook.id, mapping, location);
    Object.assign(page.webhook, saved);
    out.className = 'ok';
    out.textContent = `Saved: version ${saved.version}. The edge uses this mapping from now on.`;
  } catch (e) {
    out.className = 'bad';
    out.textContent = `Not saved: ${describe(e)}${e.at ? ` (at ${e.at})` : ''}`;
  }
}

// Made once the engine has loaded: what they offer comes from it.
let form;
let preview;
let tester;

async function main() {
  $('#sample-text').value = JSON.stringify(EXAMPLE_SAMPLE, null, 2);
  try {
    page.wasm = await loadEngine();
    page.engine = new page.wasm.Engine('{}');
  } catch (e) {
    status(`The mapping engine did not load: ${e.message}`, 'bad');
    return;
  }
  page.caps = page.wasm.capabilities();
  form = new MappingForm($('#mapping-card'), page.caps, refresh);
  preview = new PreviewPanel($('#preview-card'), page.caps, refresh);
  form.load(emptyMapping());
  const types = page.caps.field_types.map((t) => JSON.stringify(t.name));
  $('#field-types-hint').textContent = `{"key": ${types.join(' | ')}}`;
  tester = new RequestTester($('#encrypt-card'), page.wasm, () => $('#sample-text').value);
  setFields(readOfflineFields());
  setCurrencies(readOfflineCurrencies());
  $('#connect-form').addEventListener('submit', connect);
  $('#webhook').addEventListener('change', (e) => pickWebhook(e.target.value));
  $('#load-catch').addEventListener('click', loadCaught);
  $('#save').addEventListener('click', save);
  $('#sample-text').addEventListener('input', refresh);
  $('#fields-json').addEventListener('input', () => {
    if (!page.api) setFields(readOfflineFields());
    refresh();
  });
  $('#currencies-json').addEventListener('input', () => {
    if (!page.api) setCurrencies(readOfflineCurrencies());
    refresh();
  });
  status('Offline: the preview runs in this page. Connect to load samples and save.');
  document.body.dataset.ready = 'true';
  refresh();
}

main();
