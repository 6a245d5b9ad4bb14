// One incoming webhook: its URL, and three tabs: Settings, Mapping (the editor), Histories.
import { copyButton, fill, h } from '../dom.js';
import { describe } from '../engine.js';
import { histories } from './histories.js';
import { confirmThen, failingFlag } from './common.js';
import { webhookForm } from './webhook_form.js';

const TABS = [['settings', 'Settings'], ['mapping', 'Mapping'], ['histories', 'Histories']];

export async function show(ctx, wid, tab) {
  if (!TABS.some(([t]) => t === tab)) return ctx.go(`#/webhooks/${encodeURIComponent(wid)}/settings`);
  const webhook = await ctx.api.webhook(wid);
  const base = `#/webhooks/${encodeURIComponent(wid)}`;
  const body = h('div', { id: 'tab-body' });
  fill(ctx.view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/webhooks' }, 'Incoming webhooks'), ' / '),
    h('h2', { class: 'view-title', id: 'webhook-name' }, webhook.name, webhook.enabled ? null : h('span', { class: 'muted' }, ' (disabled)')),
    failingFlag(webhook.failing, true),
    h('div', { class: 'inline url' },
      h('input', { readonly: true, value: webhook.url, id: 'webhook-url', 'aria-label': 'Edge URL' }),
      copyButton('Copy URL', () => webhook.url)),
    h('nav', { class: 'tabs', 'aria-label': 'Webhook' },
      TABS.map(([t, label]) => h('a', { href: `${base}/${t}`, 'aria-current': t === tab ? 'page' : null, id: `tab-${t}` }, label))),
    body);
  if (tab === 'settings') settings(ctx, webhook, body);
  else if (tab === 'mapping') await mapping(ctx, webhook, body);
  else await histories(ctx, webhook, body);
}

function settings(ctx, webhook, body) {
  const del = h('button', { type: 'button', class: 'danger', id: 'delete-webhook' }, 'Delete this webhook');
  del.addEventListener('click', () => confirmThen(del, 'Delete it, its mapping and its URL? Its history stays until retention drops it.', async () => {
    try {
      await ctx.api.deleteWebhook(webhook.id);
      ctx.status(`Deleted ${webhook.name}.`, 'ok');
      ctx.go('#/webhooks');
    } catch (e) {
      ctx.status(`Not deleted: ${describe(e)}`, 'bad');
    }
  }));
  fill(body, webhookForm(ctx, webhook, (saved) => {
    Object.assign(webhook, saved);
    ctx.view.querySelector('#webhook-name').firstChild.textContent = saved.name;
  }), h('p', {}, del));
}

async function mapping(ctx, webhook, body) {
  // The editor is shared: only the view still on screen takes it.
  const editor = await ctx.loadEditor();
  if (!ctx.current() || !(await editor.connect(ctx.api, webhook)) || !ctx.current()) return;
  editor.root.hidden = false;
  body.append(editor.root);
}
