// The community's gamification logs and field histories, filtered by member and by webhook.
import { field, fill, h, table, when } from '../dom.js';
import { describe } from '../engine.js';
import { findMember, memberLink, title } from './common.js';

/** A select of the community's incoming webhooks, "any" first. */
export function webhookSelect(webhooks, id) {
  return h('select', { id }, h('option', { value: '' }, 'any'), webhooks.map((w) => h('option', { value: w.id }, w.name)));
}

export function logTable(rows) {
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No movements.');
  return table('Gamification logs', ['When', 'Member', 'Currency', 'Change', 'Balance after', 'Action'], rows, (r) => [
    when(r.created_at), memberLink(r.user_id), r.currency, r.delta > 0 ? `+${r.delta}` : String(r.delta), String(r.balance_after), r.action,
  ]);
}

export function fieldHistoryTable(rows) {
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No field changes.');
  return table('Field histories', ['When', 'Member', 'Field', 'Before', 'After', 'Source'], rows, (r) => [
    when(r.created_at), memberLink(r.user_id), r.field, JSON.stringify(r.old_value), JSON.stringify(r.new_value), r.source,
  ]);
}

/** The movements and field changes `query` selects, each as its table. */
export async function movements(api, query) {
  const [l, f] = await Promise.all([api.gamificationLogs(query), api.fieldHistories(query)]);
  return [logTable(l.data), fieldHistoryTable(f.data)];
}

export async function show(ctx) {
  const webhooks = await ctx.api.webhooks();
  const who = h('input', { id: 'logs-member', placeholder: 'email, username or id', spellcheck: 'false' });
  const from = webhookSelect(webhooks, 'logs-webhook');
  const out = h('div', { id: 'logs-out' });
  const form = h('form', { id: 'logs-filters', class: 'inline filters' }, field('Member', who), field('Webhook', from), h('button', { type: 'submit' }, 'Filter'));
  const load = async () => {
    try {
      const uid = await findMember(ctx.api, who.value);
      if (uid === null) return fill(out, h('p', {}, `No member is ${who.value.trim()}.`));
      const query = { user_id: uid, webhook_id: from.value, per_page: 50 };
      const [logs, changes] = await movements(ctx.api, query);
      fill(out, h('h3', {}, 'Gamification logs'), logs, h('h3', {}, 'Field histories'), changes);
    } catch (e) {
      fill(out, h('p', { class: 'bad' }, describe(e)));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  fill(ctx.view, title('Gamification logs'), form, out);
  await load();
}
