// The mapping form: member identifier, idempotency path and one row per field mapping. It turns
// into the contract's mapping JSON and shows each engine error next to the part it names.


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
    this.idemPath = root.querySelector('#idem-path');
    this.rows = root.querySelector('#rows');
    this.rowTemplate = document.querySelector('#row-template');
    this.targetLabel = document.querySelector('#path-target');
    this.channelMode = root.querySelector('#channel-mode');
    this.channelId = root.querySelector('#channel-id');
    this.channelPath = root.querySelector('#channel-path');
    this.messageTemplate = root.querySelector('#template');
    this.topic = root.querySelector('#topic');
    this.setActive(this.userPath);
    for (const input of [this.userPath, this.idemPath, this.channelPath, this.messageTemplate, this.topic]) this.watchPath(input);
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

  /** Puts a mapping (as stored) into the form. */
  load(mapping) {
    const by = mapping?.user?.match;
    this.matchBy.value = this.caps.match_by.includes(by) ? by : this.caps.match_by[0];
    this.userPath.value = mapping?.user?.path ?? '';
    this.idemPath.value = mapping?.idempotency_path ?? '';
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
    if (userPath || fields.length || !message) mapping.user = { match: this.matchBy.value, path: userPath };
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

  /** A click in the sample tree: the path goes into the active path box, or into the message or
   * topic as a `{{path}}` placeholder at the cursor. */
  fillActive(path) {
    const input = this.active;
    if (input.classList.contains('template')) {
      const placeholder = `{{${path}}}`;
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

  /** Shows each error ({code, message, at}) beside the part its `at` names; clears the others. */
  showErrors(errors) {
    const byPart = new Map();
    for (const error of errors) {
      const part = partOf(error.at);
      if (!byPart.has(part)) byPart.set(part, []);
      byPart.get(part).push(error);
    }
    const show = (el, list) => {
      el.hidden = !list?.length;
      el.textContent = (list ?? []).map((e) => e.message).join(' · ');
    };
    for (const el of this.root.querySelectorAll('[data-error-for]')) show(el, byPart.get(el.dataset.errorFor));
    [...this.rows.children].forEach((row, i) => {
      const list = byPart.get(`fields[${i}]`);
      row.classList.toggle('has-error', Boolean(list?.length));
      show(row.querySelector('.error'), list);
    });
  }

  addRow(row) {
    const li = this.rowTemplate.content.firstElementChild.cloneNode(true);
    this.rows.append(li);
    this.fillTargets(li, row.target);
    this.fillOps(li, row.op);
    const path = li.querySelector('.path');
    path.value = row.path ?? '';
    this.watchPath(path);
    li.querySelector('.target').addEventListener('change', () => {
      this.fillOps(li, li.querySelector('.op').value);
      this.onChange();
    });
    li.querySelector('.op').addEventListener('change', () => this.onChange());
    li.querySelector('.remove').addEventListener('click', () => {
      if (this.active === path) this.setActive(this.userPath);
      li.remove();
      this.renumber();
      this.onChange();
    });
    this.renumber();
    return li;
  }

  renumber() {
    [...this.rows.children].forEach((row, i) => {
      row.querySelector('.path').dataset.label = `the path of field mapping ${i + 1}`;
    });
    if (this.active) this.targetLabel.textContent = this.active.dataset.label;
  }

  watchPath(input) {
    input.addEventListener('focus', () => this.setActive(input));
    input.addEventListener('input', () => this.onChange());
  }

  readRow(row) {
    const [kind, name] = splitTarget(row.querySelector('.target').value);
    return {
      target: kind === 'currency' ? { currency: name } : { field: name },
      op: row.querySelector('.op').value,
      path: row.querySelector('.path').value.trim(),
    };
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
  if (at === 'idempotency_path' || at === 'fields') return at;
  return 'mapping';
}
