// Members: create one, find one by email or username; a member's balances, fields, adjustments by
// hand (made and listed here), gamification logs and field histories (the logs filtered by webhook).
import { field, fill, h, table, when } from '../dom.js';
import { describe } from '../engine.js';
import { describeEffect } from '../preview.js';
import { memberQuery, pager, title } from './common.js';
import { attemptTo, outcome, said } from './editing.js';
import { movements, webhookSelect } from './logs.js';

export function search(ctx) {
  const who = h('input', { id: 'member-query', placeholder: 'ada@example.com or ada', spellcheck: 'false', required: true });
  const out = h('div', { id: 'member-results' });
  const form = h('form', { id: 'member-search', class: 'inline' }, field('Email or username', who), h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = who.value.trim();
    try {
      const { data } = await ctx.api.users(memberQuery(text));
      fill(out, data.length === 0
        ? h('p', {}, `No member is ${text}.`)
        : table('Members found', ['Member', 'Email', ...balanceKeys(data)], data, (m) => [
          h('a', { href: `#/members/${encodeURIComponent(m.id)}` }, m.username), m.email, ...balanceKeys(data).map((k) => String(m.balances?.[k] ?? 0)),
        ]));
    } catch (e) {
      fill(out, h('p', { class: 'bad' }, describe(e)));
    }
  });
  fill(ctx.view, title('Members'), form, out, newMember(ctx));
  who.focus();
}

/** The form that creates a member (what the platform does when someone joins). */
function newMember(ctx) {
  const email = h('input', { id: 'new-member-email', required: true, maxlength: 254, autocomplete: 'off', spellcheck: 'false' });
  const username = h('input', { id: 'new-member-username', required: true, maxlength: 64, autocomplete: 'off', spellcheck: 'false' });
  const line = outcome('new-member-result');
  const made = h('p', { id: 'new-member-link' });
  const form = h('form', { id: 'new-member', class: 'card' }, h('h3', {}, 'New member'),
    h('div', { class: 'inline' }, field('Email', email), field('Username', username)),
    h('button', { type: 'submit' }, 'Create member'), line, made);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const m = await attemptTo(line, () => ctx.api.createUser({ email: email.value.trim(), username: username.value.trim() }),
      (u) => `Created ${u.username} (${u.id}).`);
    if (!m) return;
    form.querySelectorAll('input').forEach((i) => { i.value = ''; });
    fill(made, h('a', { href: `#/members/${encodeURIComponent(m.id)}` }, `Open ${m.username}`));
  });
  return form;
}

function balanceKeys(members) {
  return [...new Set(members.flatMap((m) => Object.keys(m.balances ?? {})))].sort();
}

export async function show(ctx, uid) {
  const [m, webhooks] = await Promise.all([ctx.api.user(uid), ctx.api.webhooks()]);
  const balances = Object.entries(m.balances ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const fields = Object.entries(m.fields ?? {});
  const from = webhookSelect(webhooks, 'member-webhook');
  const logs = h('div', { id: 'member-logs' });
  const histories = h('div', { id: 'member-field-histories' });
  const load = async () => {
    const [moved, changed] = await movements(ctx.api, { user_id: uid, webhook_id: from.value, per_page: 50 });
    fill(logs, moved);
    fill(histories, changed);
  };
  from.addEventListener('change', load);
  const adjustments = h('section', { class: 'card', id: 'member-adjustments', 'aria-label': 'Adjustments by hand' });
  const loadAdjustments = async (page = 1) => {
    const answer = await ctx.api.adjustments(uid, { page, per_page: 10 });
    fill(adjustments, h('h3', {}, 'Adjustments by hand'), answer.data.length === 0
      ? h('p', { class: 'muted' }, 'None yet.')
      : table('Adjustments by hand', ['When', 'Reason', 'Changes'], answer.data, (a) => [
        when(a.created_at), a.reason, h('ul', {}, a.effects.map((e) => h('li', {}, describeEffect(e)))),
      ], (a) => ({ dataset: { adjustment: a.id } })),
    answer.total > answer.per_page ? pager(answer, loadAdjustments) : null);
  };
  fill(ctx.view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/members' }, 'Members'), ' / '),
    title(m.username, h('p', { class: 'muted' }, `${m.email} · ${m.id} · joined ${when(m.created_at)}`)),
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-label': 'Balances' }, h('h3', {}, 'Balances'),
        table('Balances', ['Currency', 'Amount'], balances, ([k, v]) => [k, String(v)])),
      h('section', { class: 'card', 'aria-label': 'Fields' }, h('h3', {}, 'Fields'),
        fields.length ? table('Fields', ['Field', 'Value'], fields, ([k, v]) => [k, JSON.stringify(v)]) : h('p', { class: 'muted' }, 'No field set.'))),
    adjustForm(ctx, m, balances.map(([k]) => k), await ctx.api.fields(), () => show(ctx, uid)),
    adjustments,
    h('section', { class: 'card' }, h('h3', {}, 'Gamification logs'), field('From webhook', from), logs,
      h('h3', {}, 'Field histories'), histories));
  await Promise.all([load(), loadAdjustments()]);
}

/**
 * Adjusting a member by hand: a balance added to or subtracted from, a field set, or both, with
 * the reason the logs keep. One request, with a fresh Idempotency-Key per form filled: a double
 * submit adjusts once. `redraw()` shows the member as the server left them.
 */
function adjustForm(ctx, m, currencies, fields, redraw) {
  const options = (list) => list.map((v) => h('option', { value: v }, v));
  const reason = h('input', { id: 'adjust-reason', required: true, maxlength: 200, autocomplete: 'off' });
  const currency = h('select', { id: 'adjust-currency' }, h('option', { value: '' }, '(no balance change)'), options(currencies));
  const currencyOp = h('select', { id: 'adjust-currency-op' }, options(ctx.caps.currency_ops));
  const amount = h('input', { id: 'adjust-amount', inputmode: 'numeric', pattern: '[1-9][0-9]{0,12}', autocomplete: 'off' });
  const typeOf = Object.fromEntries(fields.map((f) => [f.key, f.type]));
  const fieldKey = h('select', { id: 'adjust-field' }, h('option', { value: '' }, '(no field change)'), options(fields.map((f) => f.key)));
  const fieldOp = h('select', { id: 'adjust-field-op' });
  const value = h('input', { id: 'adjust-value', autocomplete: 'off', spellcheck: 'false' });
  const typed = () => {
    const type = ctx.caps.field_types.find((t) => t.name === typeOf[fieldKey.value]);
    fill(fieldOp, options(type?.ops ?? []));
    value.placeholder = type ? `a ${type.value_kind}` : '';
  };
  fieldKey.addEventListener('change', typed);
  typed();
  const line = outcome('adjust-result');
  let key = crypto.randomUUID();
  const form = h('form', { id: 'adjust', class: 'card' }, h('h3', {}, 'Adjust by hand'),
    h('p', { class: 'hint' }, 'Balances never go below zero; the gamification log and the field history keep the reason as admin:<reason>.'),
    field('Reason', reason),
    h('div', { class: 'inline' }, field('Currency', currency), field('Operator', currencyOp), field('Amount', amount)),
    h('div', { class: 'inline' }, field('Field', fieldKey), field('Field operator', fieldOp), field('Value', value)),
    h('button', { type: 'submit' }, 'Adjust'), line);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { reason: reason.value.trim(), balances: [], fields: [] };
    if (currency.value) body.balances.push({ currency: currency.value, op: currencyOp.value, amount: Number(amount.value) });
    if (fieldKey.value) body.fields.push({ field: fieldKey.value, op: fieldOp.value, value: fieldValue(ctx, typeOf[fieldKey.value], value.value) });
    const done = await attemptTo(line, () => ctx.api.adjust(m.id, body, key),
      (a) => `Adjusted ${m.username}: ${Object.entries(a.member.balances).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
    if (!done) return;
    key = crypto.randomUUID();
    const told = line.textContent;
    await redraw();
    const again = ctx.view.querySelector('#adjust-result');
    if (again) said(again, told, 'ok');
    ctx.view.querySelector('#adjust-reason')?.focus();
  });
  return form;
}

/** A field's value as its type takes it: a number or a boolean from its text, else the text. */
function fieldValue(ctx, type, text) {
  const kind = ctx.caps.field_types.find((t) => t.name === type)?.value_kind;
  if (kind === 'number' && /^-?[0-9]+(\.[0-9]+)?$/.test(text.trim())) return Number(text.trim());
  if (kind === 'boolean' && (text.trim() === 'true' || text.trim() === 'false')) return text.trim() === 'true';
  return text;
}
