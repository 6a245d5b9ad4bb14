// The mapping form: member identifier, idempotency path, filter and one row per field mapping
// (a path, or an expression and its condition). It turns into the contract's mapping JSON and
// shows each engine error next to the part it names, an expression's at the character it names.
import { fill, h } from './dom.js';

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

export class MappingForm {
  /** `caps`: the engine's capabilities(), the one source of what each select offers. */
  constructor(root, caps, onChange) {
    this.root = root;
    this.caps = caps;
    this.onChange = onChange;
    this.fields = {};
    this.currencies = [];
    this.matchBy = root.querySelector('#match-by');
    this.matchBy.replaceChildren(...caps.match_by.map((by) => option(by, by)));
    this.userPath = root.querySelector('#user-path');
    // A new member needs the identifier the mapping does not match on, at this path.
    this.createPath = root.querySelector('#user-create-path');
    this.createOf = root.querySelector('#user-create-of');
    this.matchBy.addEventListener('change', () => this.showCreateOf());
    this.showCreateOf();
    this.idemPath = root.querySelector('#idem-path');
    this.rows = root.querySelector('#rows');
    this.rowTemplate = document.querySelector('#row-template');
    this.targetLabel = document.querySelector('#path-target');
    this.channelMode = root.querySelector('#channel-mode');
    this.channelId = root.querySelector('#channel-id');
    this.channelPath = root.querySelector('#channel-path');
    this.messageTemplate = root.querySelector('#template');
    this.topic = root.querySelector('#topic');
    this.filter = root.querySelector('#filter');
    // The expression inputs' completions: refilled for the one being typed in (`complete`).
    this.words = root.querySelector('#expr-words');
    this.leaves = [];
    this.setActive(this.userPath);
    for (const input of [this.userPath, this.createPath, this.idemPath, this.channelPath, this.messageTemplate, this.topic, this.filter]) this.watchPath(input);
    this.channelId.addEventListener('input', () => this.onChange());
    this.channelMode.addEventListener('change', () => {
      this.showChannelMode();
      this.onChange();
    });
    this.matchBy.addEventListener('change', () => this.onChange());
    root.querySelector('#add-row').addEventListener('click', () => {
      const row = this.addRow({ target: { currency: this.currencies[0] }, path: '' });
      this.setActive(row.querySelector('.path'));
      row.querySelector('.target').focus();
      this.onChange();
    });
  }

  /** The community's field definitions: {key: type}. Rows keep their choice when it still exists. */
  setFields(fields) {
    this.fields = fields;
    this.refillRows();
  }

  /** The community's currencies: [key], the built-in ones included. */
  setCurrencies(currencies) {
    this.currencies = currencies;
    this.refillRows();
  }

  refillRows() {
    for (const row of this.rows.children) {
      const { target, op } = this.readRow(row);
      this.fillTargets(row, target);
      this.fillOps(row, op);
    }
  }

  /** The community's channels, offered for a fixed channel: [{id, name, type}]. */
  setChannels(channels) {
    this.channels = channels;
    const list = this.root.querySelector('#channel-list');
    list.replaceChildren(...channels.map((c) => option(c.id, `#${c.name} (${c.type})`)));
  }

  /** Names the identifier a new member's path gives: the one the member is not matched on. */
  showCreateOf() {
    this.createOf.textContent = this.caps.match_by.find((by) => by !== this.matchBy.value) ?? '';
  }

  /** Puts a mapping (as stored) into the form. */
  load(mapping) {
    const by = mapping?.user?.match;
    this.matchBy.value = this.caps.match_by.includes(by) ? by : this.caps.match_by[0];
    this.userPath.value = mapping?.user?.path ?? '';
    this.createPath.value = Object.values(mapping?.user?.create ?? {})[0] ?? '';
    this.showCreateOf();
    this.idemPath.value = mapping?.idempotency_path ?? '';
    this.filter.value = mapping?.filter ?? '';
    this.rows.replaceChildren();
    for (const row of mapping?.fields ?? []) this.addRow(row);
    const message = mapping?.message;
    this.channelMode.value = message?.channel?.id !== undefined ? 'id' : message?.channel?.path !== undefined ? 'path' : '';
    this.channelId.value = message?.channel?.id ?? '';
    this.channelPath.value = message?.channel?.path ?? '';
    this.messageTemplate.value = message?.template ?? '';
    this.topic.value = message?.topic ?? '';
    this.showChannelMode();
    this.setActive(this.userPath);
  }

  /** The mapping the form describes, in the contract's shape. A mapping that only posts a
   * message leaves out the member and the fields when they are empty. */
  toMapping() {
    const fields = [...this.rows.children].map((row) => this.readRow(row));
    const message = this.readMessage();
    const userPath = this.userPath.value.trim();
    const mapping = {};
    // Expressions go as typed (blank: none), so an error's character is the input's.
    if (this.filter.value.trim()) mapping.filter = this.filter.value;
    if (userPath || fields.length || !message) mapping.user = { match: this.matchBy.value, path: userPath };
    const createPath = this.createPath.value.trim();
    if (mapping.user && createPath) mapping.user.create = { [this.createOf.textContent]: createPath };
    if (this.idemPath.value.trim()) mapping.idempotency_path = this.idemPath.value.trim();
    if (fields.length || !message) mapping.fields = fields;
    if (message) mapping.message = message;
    return mapping;
  }

  readMessage() {
    const mode = this.channelMode.value;
    if (!mode) return null;
    const channel = mode === 'id' ? { id: this.channelId.value.trim() } : { path: this.channelPath.value.trim() };
    const message = { channel, template: this.messageTemplate.value };
    if (this.topic.value.trim()) message.topic = this.topic.value;
    return message;
  }

  showChannelMode() {
    const mode = this.channelMode.value;
    this.root.querySelector('#channel-id-box').hidden = mode !== 'id';
    this.root.querySelector('#channel-path-box').hidden = mode !== 'path';
    this.root.querySelector('#message-box').hidden = !mode;
    if (!mode && this.active?.closest('[data-part="message"]')) this.setActive(this.userPath);
  }

  /** A click in the sample tree: the path goes into the active path box, into the message or
   * topic as a `{{path}}` placeholder at the cursor, or into an expression at the cursor as the
   * expression reads that value. */
  fillActive(path, leaf) {
    const input = this.active;
    const expr = input.classList.contains('expr');
    if (expr || input.classList.contains('template')) {
      const placeholder = expr ? exprPath(leaf.trail) : `{{${path}}}`;
      const start = input.selectionStart ?? input.value.length;
      const end = input.selectionEnd ?? start;
      input.value = input.value.slice(0, start) + placeholder + input.value.slice(end);
      input.selectionStart = input.selectionEnd = start + placeholder.length;
      // Back to the text, so the admin can go on typing after the placeholder.
      input.focus();
    } else {
      input.value = path;
    }
    this.onChange();
  }

  setActive(input) {
    this.active?.classList.remove('active');
    this.active = input;
    input.classList.add('active');
    this.targetLabel.textContent = input.dataset.label ?? 'this path';
  }

  /** Shows each error ({code, message, at, offset?}) beside the part its `at` names; clears the
   * others. `inputs(at)` is the expression input an error's `offset` counts in, if any. */
  showErrors(errors) {
    const byPart = new Map();
    for (const error of errors) {
      const part = partOf(error.at);
      if (!byPart.has(part)) byPart.set(part, []);
      byPart.get(part).push(error);
    }
    const show = (el, list, inputs) => {
      el.hidden = !list?.length;
      fill(el, (list ?? []).map((e, k) => [k ? ' · ' : '', explain(e, inputs(e.at))]));
    };
    const invalid = new Set();
    for (const el of this.root.querySelectorAll('[data-error-for]')) {
      show(el, byPart.get(el.dataset.errorFor), (at) => (at === 'filter' ? this.filter : null));
    }
    if (byPart.get('filter')) invalid.add(this.filter);
    [...this.rows.children].forEach((row, i) => {
      const list = byPart.get(`fields[${i}]`);
      row.classList.toggle('has-error', Boolean(list?.length));
      const input = (at) => row.querySelector(/\.(value|when)$/.exec(at ?? '')?.[0] ?? '.none');
      show(row.querySelector('.error'), list, input);
      for (const e of list ?? []) if (input(e.at)) invalid.add(input(e.at));
    });
    // Said to assistive technology too, not by the red border alone.
    for (const el of this.root.querySelectorAll('.expr')) el.toggleAttribute('aria-invalid', invalid.has(el));
  }

  /** The sample's leaves ([{path, trail, value}]): the paths an expression may complete to. */
  setLeaves(leaves) {
    const paths = new Set();
    for (const leaf of leaves) {
      // Every container on the way too: `items` for `items.map(i, i.qty)`.
      for (let n = 1; n <= leaf.trail.length; n += 1) paths.add(exprPath(leaf.trail.slice(0, n)));
    }
    this.leaves = [...paths];
  }

  /** Offers, for the expression `input` holds, its last word completed: a path of the sample or a
   * function of the engine (`capabilities().expressions`). A datalist offers whole values, so each
   * offer is the whole text with that word completed. */
  complete(input) {
    const text = input.value;
    const word = /[A-Za-z_][\w.[\]]*$/.exec(text)?.[0] ?? '';
    const dot = word.lastIndexOf('.');
    const functions = this.caps.expressions.functions;
    // After a dot, a function is called on what comes before it: `items.map(`.
    const names = [...this.leaves, ...functions.map((f) => `${f}(`),
      ...(dot > 0 ? functions.map((f) => `${word.slice(0, dot)}.${f}(`) : [])];
    const before = text.slice(0, text.length - word.length);
    const offers = names.filter((n) => n.startsWith(word) && n !== word).slice(0, MAX_OFFERS);
    fill(this.words, offers.map((n) => h('option', { value: before + n })));
  }

  addRow(row) {
    const li = this.rowTemplate.content.firstElementChild.cloneNode(true);
    this.rows.append(li);
    this.fillTargets(li, row.target);
    this.fillOps(li, row.op);
    const path = li.querySelector('.path');
    const value = li.querySelector('.value');
    const source = li.querySelector('.source');
    path.value = row.path ?? '';
    value.value = row.value ?? '';
    li.querySelector('.when').value = row.when ?? '';
    source.value = row.value === undefined ? 'path' : 'value';
    this.showSource(li);
    for (const input of li.querySelectorAll('.path, .expr')) this.watchPath(input);
    source.addEventListener('change', () => {
      // A path reads the same value as an expression: the expression starts from it.
      if (source.value === 'value' && !value.value) value.value = path.value;
      this.showSource(li);
      this.setActive(source.value === 'value' ? value : path);
      this.onChange();
    });
    li.querySelector('.target').addEventListener('change', () => {
      this.fillOps(li, li.querySelector('.op').value);
      this.onChange();
    });
    li.querySelector('.op').addEventListener('change', () => this.onChange());
    li.querySelector('.remove').addEventListener('click', () => {
      if (li.contains(this.active)) this.setActive(this.userPath);
      li.remove();
      this.renumber();
      this.onChange();
    });
    this.renumber();
    return li;
  }

  /** Shows the row's path or its expression, as its source says. */
  showSource(row) {
    const expression = row.querySelector('.source').value === 'value';
    row.querySelector('.path-box').hidden = expression;
    row.querySelector('.value-box').hidden = !expression;
  }

  renumber() {
    [...this.rows.children].forEach((row, i) => {
      row.querySelector('.path').dataset.label = `the path of field mapping ${i + 1}`;
      row.querySelector('.value').dataset.label = `the expression of field mapping ${i + 1}`;
      row.querySelector('.when').dataset.label = `the condition of field mapping ${i + 1}`;
    });
    if (this.active) this.targetLabel.textContent = this.active.dataset.label;
  }

  watchPath(input) {
    const expr = input.classList.contains('expr');
    if (expr) input.maxLength = this.caps.expressions.max_len;
    input.addEventListener('focus', () => {
      this.setActive(input);
      if (expr) this.complete(input);
    });
    input.addEventListener('input', () => {
      if (expr) this.complete(input);
      this.onChange();
    });
  }

  readRow(row) {
    const [kind, name] = splitTarget(row.querySelector('.target').value);
    const read = {
      target: kind === 'currency' ? { currency: name } : { field: name },
      op: row.querySelector('.op').value,
    };
    // An expression goes as typed, so that its errors' characters are the input's.
    if (row.querySelector('.source').value === 'value') read.value = row.querySelector('.value').value;
    else read.path = row.querySelector('.path').value.trim();
    const when = row.querySelector('.when').value;
    if (when.trim()) read.when = when;
    return read;
  }

  fillTargets(row, target) {
    const select = row.querySelector('.target');
    const chosen = target?.currency ? `currency:${target.currency}` : `field:${target?.field ?? ''}`;
    const currencies = document.createElement('optgroup');
    currencies.label = 'Currency';
    for (const c of this.currencies) currencies.append(option(`currency:${c}`, c));
    // A currency the community no longer has stays visible too.
    if (target?.currency && !this.currencies.includes(target.currency)) {
      currencies.append(option(chosen, `${target.currency} (not a currency)`));
    }
    const fields = document.createElement('optgroup');
    fields.label = 'User field';
    for (const [key, type] of Object.entries(this.fields)) fields.append(option(`field:${key}`, `${key} (${type})`));
    // A field the community no longer has stays visible, so its error has something to point at.
    if (chosen.startsWith('field:') && !(target.field in this.fields)) {
      fields.append(option(chosen, `${target.field} (not a field)`));
    }
    select.replaceChildren(currencies, fields);
    select.value = chosen;
  }

  /** Offers the operators the engine accepts on the row's target; every one for a field of a type
   * the engine does not know, so the engine's error shows. */
  fillOps(row, wanted) {
    const select = row.querySelector('.op');
    const [kind, name] = splitTarget(row.querySelector('.target').value);
    const ops = kind === 'currency' ? this.caps.currency_ops : this.caps.field_types.find((t) => t.name === this.fields[name])?.ops ?? this.caps.ops;
    select.replaceChildren(...ops.map((op) => option(op, op)));
    select.value = ops.includes(wanted) ? wanted : ops[0];
  }
}

/** Most completions offered at once. */
const MAX_OFFERS = 40;

/** How an expression reads the value at `trail` (keys and indexes): `items[0].qty`, or
 * `payload["odd key"]` where a key is not a name. */
function exprPath(trail) {
  let out = '';
  for (const step of trail) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_]\w*$/.test(step)) out += out ? `.${step}` : step;
    else out = `${out || 'payload'}[${JSON.stringify(step)}]`;
  }
  return out;
}

/** An error's message; for one at a character of an expression, that expression with the
 * character marked, and a button that selects it in its input. Offsets count characters (code
 * points), the input's selection UTF-16 units. */
function explain(error, input) {
  if (error.offset === undefined || !input) return error.message;
  const chars = Array.from(input.value);
  const at = error.offset;
  const start = chars.slice(0, at).join('').length;
  const end = start + (chars[at]?.length ?? 0);
  const select = () => {
    input.focus();
    input.setSelectionRange(start, end);
  };
  return h('span', { class: 'expr-error' }, error.message, ' ',
    h('code', { class: 'expr-at' }, chars.slice(0, at).join(''), h('mark', {}, chars[at] ?? ' '), chars.slice(at + 1).join('')), ' ',
    h('button', { type: 'button', class: 'small', onclick: select }, `Select character ${at}`));
}

function splitTarget(value) {
  const cut = value.indexOf(':');
  return [value.slice(0, cut), value.slice(cut + 1)];
}

/** Which part of the form an engine error's `at` belongs to: `fields[2].op` -> `fields[2]`. */
function partOf(at) {
  if (!at) return 'mapping';
  const row = /^fields\[\d+\]/.exec(at);
  if (row) return row[0];
  if (at.startsWith('user')) return 'user';
  if (at.startsWith('message')) return 'message';
  if (at === 'filter') return 'filter';
  if (at === 'idempotency_path' || at === 'fields') return at;
  return 'mapping';
}
