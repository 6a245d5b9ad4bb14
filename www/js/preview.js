// The live preview: who the sample names, each effect with before -> after for the balances and
// field values the admin types in, each expression's steps, and whether the edge would apply it.
import { add, h } from './dom.js';

const shown = (value) => (value === null || value === undefined ? '(not set)' : JSON.stringify(value));

export class PreviewPanel {
  /** `caps`: the engine's capabilities(); a field's input follows its type's `value_kind`. */
  constructor(root, caps, onChange) {
    this.root = root;
    this.caps = caps;
    this.onChange = onChange;
    this.balanceBox = root.querySelector('#before-balances');
    this.fieldBox = root.querySelector('#before-fields');
    this.balances = {};
    this.values = {};
    this.channels = [];
  }

  /** The member as typed in: {balances: {currency: amount}, fields: {key: value}}. */
  member(fields) {
    const values = {};
    for (const key of Object.keys(fields)) {
      if (this.values[key] !== undefined) values[key] = this.values[key];
    }
    return { balances: { ...this.balances }, fields: values };
  }

  /** One balance input per currency of the community, keeping what was typed. */
  showBalanceInputs(currencies) {
    const have = [...this.balanceBox.children].map((label) => label.dataset.currency);
    if (currencies.join('\n') === have.join('\n')) return;
    this.balanceBox.replaceChildren(...currencies.map((key) => {
      const label = document.createElement('label');
      label.dataset.currency = key;
      const input = document.createElement('input');
      Object.assign(input, { type: 'number', min: '0', step: '1', value: String(this.balances[key] ?? 0) });
      input.addEventListener('input', () => {
        this.balances[key] = Math.max(0, Math.trunc(Number(input.value) || 0));
        this.onChange();
      });
      label.append(`${key} `, input);
      return label;
    }));
  }

  /** One input per field a mapping row targets, keeping what was typed. */
  showFieldInputs(fields, targeted) {
    const wanted = [...new Set(targeted)].filter((key) => key in fields);
    const have = [...this.fieldBox.children].map((label) => label.dataset.field);
    if (wanted.join('\n') === have.join('\n')) return;
    this.fieldBox.replaceChildren(...wanted.map((key) => this.fieldInput(key, fields[key])));
  }

  fieldInput(key, type) {
    const label = document.createElement('label');
    label.dataset.field = key;
    label.append(`${key} `);
    const kind = this.caps.field_types.find((t) => t.name === type)?.value_kind;
    let input;
    if (kind === 'boolean') {
      input = document.createElement('select');
      for (const [value, text] of [['', '(not set)'], ['true', 'true'], ['false', 'false']]) {
        const o = document.createElement('option');
        o.value = value;
        o.textContent = text;
        input.append(o);
      }
    } else {
      input = document.createElement('input');
      input.type = kind === 'number' ? 'number' : 'text';
      input.placeholder = '(not set)';
    }
    const current = this.values[key];
    input.value = current === undefined || current === null ? '' : String(current);
    input.addEventListener('input', () => {
      const raw = input.value;
      if (raw === '') delete this.values[key];
      else if (kind === 'number') this.values[key] = Number(raw);
      else if (kind === 'boolean') this.values[key] = raw === 'true';
      else this.values[key] = raw;
      this.onChange();
    });
    label.append(input);
    return label;
  }

  /** Renders the engine's preview (with `changes`), or why there is none; `steps[i]` is row i's
   * expressions evaluated step by step (the engine's `steps(i)`), or null. */
  render(result, rowCount, steps = []) {
    const member = this.root.querySelector('#preview-member');
    const key = this.root.querySelector('#preview-key');
    const list = this.root.querySelector('#effects');
    const verdict = this.root.querySelector('#preview-verdict');
    list.replaceChildren();
    if (!result) {
      this.renderMessage(null);
      member.textContent = 'Fix the sample payload to see the preview.';
      key.textContent = '';
      this.setVerdict(verdict, 'bad', 'No preview: the sample is not valid JSON.');
      return;
    }
    member.textContent = result.member
      ? `Member: the one whose ${result.member.match} is ${result.member.value}`
      : result.errors.some((e) => e.at?.startsWith('user')) ? 'Member: not found in the sample yet' : 'Member: none (the mapping only posts a message)';
    key.textContent = result.idempotency_key ? `Idempotency key: ${result.idempotency_key}` : '';
    const rowErrors = new Map();
    for (const e of result.errors) {
      const row = /^fields\[(\d+)\]/.exec(e.at ?? '');
      if (row && !rowErrors.has(Number(row[1]))) rowErrors.set(Number(row[1]), e);
    }
    // Filtered: the edge applies nothing, so the rows' effects are not what it would do.
    if (result.filtered) {
      list.append(h('li', { class: 'turned-away' }, h('span', { 'aria-hidden': 'true' }, '⊘ '), `filtered: ${result.filtered}`));
      rowCount = 0;
    }
    for (let i = 0; i < rowCount; i += 1) {
      const li = document.createElement('li');
      const effect = result.effects[i];
      const change = result.changes[i];
      if (effect && change) {
        li.append(describeEffect(effect), ': ', shown(change.before));
        const arrow = document.createElement('span');
        arrow.className = 'arrow';
        arrow.textContent = '→';
        const after = document.createElement('span');
        after.className = 'after';
        after.textContent = shown(change.after);
        li.append(' ', arrow, ' ', after);
        if (change.error) {
          li.classList.add('bad');
          li.append(` (${change.error.message})`);
        }
      } else if (!rowErrors.has(i) && steps[i]?.when?.value === false) {
        li.textContent = 'skipped: its condition is false';
      } else {
        li.classList.add('bad');
        li.textContent = `no effect: ${rowErrors.get(i)?.message ?? 'see the mapping row'}`;
      }
      add(li, stepLine('when', steps[i]?.when), stepLine('value', steps[i]?.value));
      list.append(li);
    }
    this.renderMessage(result.message);
    const refused = result.errors[0] ?? (result.filtered ? null : result.changes.find((c) => c?.error)?.error);
    if (refused) {
      this.setVerdict(verdict, 'bad', `The edge would refuse this payload: ${refused.code}: ${refused.message}`);
    } else if (result.filtered) {
      this.setVerdict(verdict, 'ok', `The edge would list this delivery as filtered and apply nothing: ${result.filtered}.`);
    } else {
      this.setVerdict(verdict, 'ok', summary(result));
    }
  }

  /** The message as the channel will show it: plain text, never markup. */
  renderMessage(message) {
    const box = this.root.querySelector('#preview-message');
    box.hidden = !message;
    if (!message) return;
    const channel = this.channels.find((c) => c.id === message.channel);
    this.root.querySelector('#preview-message-where').textContent =
      `The bot posts in ${channel ? `#${channel.name}` : message.channel}:`;
    this.root.querySelector('#preview-message-topic').textContent = message.topic ?? '';
    this.root.querySelector('#preview-message-text').textContent = message.text;
  }

  setVerdict(el, kind, text) {
    el.className = `verdict ${kind}`;
    el.textContent = text;
  }
}

/** What the edge would do with a preview that has no error (its parts are then the plan). */
function summary(plan) {
  const n = plan.effects.length;
  const effects = n ? `apply ${n} effect${n === 1 ? '' : 's'} to ${plan.member.value}` : '';
  if (!plan.message) return `The edge would ${effects}, if that member exists.`;
  if (!n) return 'The edge would post the message, if the channel exists.';
  return `The edge would ${effects} and post the message, if that member and the channel exist.`;
}

/** Most characters of a value a step shows. */
const STEP_VALUE_LEN = 60;

/** An expression's steps as one line: `value: total_price "24.99" → decimal(…) 24.99 → round(…) 25`,
 * ending with the error where it stopped. Nothing when there are none. */
function stepLine(label, evaluated) {
  if (!evaluated) return null;
  const parts = evaluated.steps.map((s) => `${s.short} ${clip(JSON.stringify(s.value))}`);
  if (evaluated.error) parts.push(`error: ${evaluated.error.message}`);
  return h('div', { class: `steps${evaluated.error ? ' bad' : ''}` }, h('span', { class: 'muted' }, `${label}: `), parts.join(' → '));
}

function clip(text) {
  return text.length > STEP_VALUE_LEN ? `${text.slice(0, STEP_VALUE_LEN - 1)}…` : text;
}

export function describeEffect(effect) {
  if (effect.kind === 'currency') return `${effect.currency} ${effect.op} ${effect.amount}`;
  return `${effect.field} (${effect.type}) ${effect.op} ${JSON.stringify(effect.value)}`;
}
