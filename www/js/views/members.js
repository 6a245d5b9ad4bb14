// Members: create one, find one by email or username; a member's balances, fields, gamification
// logs and field histories (the logs filtered by webhook).
import { field, fill, h, table, when } from '../dom.js';
import { describe } from '../engine.js';
import { memberQuery, title } from './common.js';
import { attemptTo, outcome } from './editing.js';
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
  fill(ctx.view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/members' }, 'Members'), ' / '),
    title(m.username, h('p', { class: 'muted' }, `${m.email} · ${m.id} · joined ${when(m.created_at)}`)),
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-label': 'Balances' }, h('h3', {}, 'Balances'),
        table('Balances', ['Currency', 'Amount'], balances, ([k, v]) => [k, String(v)])),
      h('section', { class: 'card', 'aria-label': 'Fields' }, h('h3', {}, 'Fields'),
        fields.length ? table('Fields', ['Field', 'Value'], fields, ([k, v]) => [k, JSON.stringify(v)]) : h('p', { class: 'muted' }, 'No field set.'))),
    h('section', { class: 'card' }, h('h3', {}, 'Gamification logs'), field('From webhook', from), logs,
      h('h3', {}, 'Field histories'), histories));
  await load();
}
