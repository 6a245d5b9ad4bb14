// The incoming webhooks: the list (with each one's latest delivery and counts per status), and
// creating one.
import { copyButton, fill, h, table, when } from '../dom.js';
import { failingFlag, shownOnce, statusBadge, title } from './common.js';
import { schemeLabel, shownSecret } from './signature.js';
import { API_KEY, webhookForm } from './webhook_form.js';

export async function list(ctx) {
  const webhooks = await ctx.api.webhooks();
  const does = Object.fromEntries(ctx.caps.locations.map((l) => [l.name, l.does]));
  // Each webhook's latest delivery and totals, filled in as they arrive.
  const cells = new Map(webhooks.map((w) => [w.id, { last: h('span', { class: 'muted' }, '…'), counts: h('span', { class: 'muted' }, '…') }]));
  fill(ctx.view,
    title('Incoming webhooks'),
    h('p', { class: 'inline spread' }, h('a', { href: '#/webhooks/new', class: 'button', id: 'new-webhook' }, 'New incoming webhook'),
      h('a', { href: '#/histories', id: 'to-histories' }, 'Histories of every webhook')),
    webhooks.length === 0
      ? h('p', { class: 'hint' }, 'No incoming webhooks yet. Create one, give its URL to the sender, and build its mapping from the first delivery it catches.')
      : table('Incoming webhooks', ['Name', 'Location', 'Enabled', 'Signature', 'Last delivery', 'Deliveries'], webhooks, (w) => [
        [h('a', { href: `#/webhooks/${encodeURIComponent(w.id)}/histories` }, w.name), w.failing ? ' ' : null, failingFlag(w.failing)],
        does[w.location] ?? w.location,
        w.enabled ? 'yes' : 'no',
        h('span', { class: 'signed-by' }, schemeLabel(ctx.caps, w.signature)),
        cells.get(w.id).last,
        cells.get(w.id).counts,
      ], (w) => ({ dataset: { webhook: w.id } })));
  await Promise.all(webhooks.map(async (w) => {
    const c = cells.get(w.id);
    try {
      const answer = await ctx.api.deliveries(w.id, { per_page: 1 });
      const last = answer.data[0];
      fill(c.last, last ? [statusBadge(last.status), ' ', when(last.created_at)] : 'none yet');
      fill(c.counts, Object.entries(answer.totals).map(([k, n]) => h('span', { class: `count ${k}` }, `${n} ${k}`)));
    } catch {
      fill(c.last, 'could not load');
      c.counts.textContent = '';
    }
  }));
}

export function create(ctx) {
  const done = h('div', { id: 'created' });
  fill(ctx.view, title('New incoming webhook'), webhookForm(ctx, null, (saved) => {
    fill(done,
      h('h3', {}, `${saved.name} is ready`),
      h('p', {}, 'Its URL: senders POST their events here.'),
      h('div', { class: 'inline' }, h('input', { readonly: true, value: saved.url, id: 'created-url', 'aria-label': 'Edge URL' }), copyButton('Copy URL', () => saved.url)),
      typeof saved.api_key === 'string' ? shownOnce(API_KEY.label, saved.api_key, API_KEY.use) : null,
      shownSecret(saved),
      h('p', {}, 'Next: send a first delivery to it (it is caught and kept pending), then ',
        h('a', { href: `#/webhooks/${encodeURIComponent(saved.id)}/mapping`, id: 'to-mapping' }, 'build its mapping from it'), '.'));
    ctx.view.querySelector('#webhook-form').hidden = true;
    done.querySelector('a')?.focus();
  }), done);
  ctx.view.querySelector('#wh-name').focus();
}
