// The console: sign in, then the community's settings as the seeds lay them out: Integrations
// (incoming webhooks with their settings, mapping and histories, outgoing webhooks, one history of
// every delivery), user fields, currencies, chat, members and their logs, API keys, event types,
// quotas. One page; the address's hash names the view (`#/webhooks/wh_1/mapping`), so the
// browser's back button and links work.
// The first load is sign-in and the webhooks list (scripts/budgets: at most 60 KB gzipped); every
// other view, and the mapping editor, is its own module, imported when it is first opened.
import { Api } from './js/api.js';
import { describe, loadEngine } from './js/engine.js';
import { fill, h } from './js/dom.js';
import * as session from './js/session.js';
import * as signin from './js/views/signin.js';
import * as webhooks from './js/views/webhooks.js';
import { useStatuses } from './js/views/common.js';

/** The views loaded when opened (the budget check reads these `import()`s). */
const lazy = {
  webhook: () => import('./js/views/webhook.js'),
  histories: () => import('./js/views/histories.js'),
  outgoing: () => import('./js/views/outgoing.js'),
  members: () => import('./js/views/members.js'),
  logs: () => import('./js/views/logs.js'),
  chat: () => import('./js/views/chat.js'),
  fields: () => import('./js/views/fields.js'),
  currencies: () => import('./js/views/currencies.js'),
  keys: () => import('./js/views/keys.js'),
  eventTypes: () => import('./js/views/event_types.js'),
  quotas: () => import('./js/views/quotas.js'),
};

const $ = (selector) => document.querySelector(selector);

/** What every view gets (through its own `vctx`, see `route`): the API, the engine, the shared
 * editor, the page's status line, its container and whether it is still the view on screen. */
const ctx = {
  api: null,
  session: null,
  wasm: null,
  caps: null,
  // The mapping editor, made by `loadEditor` when a view first needs it.
  editor: null,
  async loadEditor() {
    if (!ctx.editor) {
      const { MappingEditor } = await import('./js/editor.js');
      ctx.editor ??= new MappingEditor($('#editor'), ctx.wasm);
    }
    return ctx.editor;
  },
  // Each drawing of a view gets its own container in #view (see `route`).
  view: null,
  current: () => true,
  status(text, kind = '') {
    const el = $('#status');
    el.textContent = text;
    el.className = kind;
  },
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  // The key this tab signed in with was rotated: it goes on with the new one.
  useToken(token) {
    ctx.session = { ...ctx.session, token };
    session.save(ctx.session);
    ctx.api.token = token;
  },
  signedIn(s) {
    session.save(s);
    start(s);
    ctx.go('#/webhooks');
  },
};

/** Routes: a pattern of path steps (`:name` takes one) and the view that draws it. */
const ROUTES = [
  ['playground', (c) => playground(c)],
  ['webhooks', (c) => webhooks.list(c)],
  ['webhooks/new', (c) => webhooks.create(c)],
  ['webhooks/:wid', async (c, p) => (await lazy.webhook()).show(c, p.wid, 'settings')],
  ['webhooks/:wid/:tab', async (c, p) => (await lazy.webhook()).show(c, p.wid, p.tab)],
  ['histories', async (c) => (await lazy.histories()).show(c)],
  ['outgoing', async (c) => (await lazy.outgoing()).list(c)],
  ['outgoing/new', async (c) => (await lazy.outgoing()).create(c)],
  ['outgoing/:sid', async (c, p) => (await lazy.outgoing()).show(c, p.sid)],
  ['members', async (c) => (await lazy.members()).search(c)],
  ['members/:uid', async (c, p) => (await lazy.members()).show(c, p.uid)],
  ['logs', async (c) => (await lazy.logs()).show(c)],
  ['channels', async (c) => (await lazy.chat()).show(c)],
  ['channels/:chid', async (c, p) => (await lazy.chat()).show(c, p.chid)],
  ['fields', async (c) => (await lazy.fields()).show(c)],
  ['currencies', async (c) => (await lazy.currencies()).show(c)],
  ['keys', async (c) => (await lazy.keys()).show(c)],
  ['event-types', async (c) => (await lazy.eventTypes()).show(c)],
  ['quotas', async (c) => (await lazy.quotas()).show(c)],
];

function match(steps) {
  for (const [pattern, draw] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== steps.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? (params[w.slice(1)] = steps[i]) !== undefined : w === steps[i]))) {
      return (vctx) => draw(vctx, params);
    }
  }
  return null;
}

/** The mapping editor on its own: no webhook, nothing saved. Needs no sign-in. */
async function playground(vctx) {
  $('#where').textContent = 'mapping playground';
  await vctx.loadEditor();
  if (!vctx.current()) return;
  vctx.editor.offline();
  fill(vctx.view, h('h2', { class: 'view-title' }, 'Mapping playground'),
    h('p', { class: 'hint' }, 'Try a mapping on a sample payload. Nothing here is saved: sign in and open a webhook to save one.'));
  vctx.editor.root.hidden = false;
  vctx.view.append(vctx.editor.root);
}

let turn = 0;

/**
 * Draws the view the address names. Each drawing gets a fresh container in #view and a `current()`
 * that stays true until the address changes again: a view still loading when the admin moves on
 * draws into a container no longer on the page, and takes nothing shared (the editor) from the
 * view that replaced it.
 */
async function route() {
  const mine = ++turn;
  const steps = decodeURIComponent(location.hash.replace(/^#\/?/, '')).split('/').filter(Boolean);
  // The editor goes back home before a view is drawn; the views that want it take it again.
  if (ctx.editor) {
    ctx.editor.root.hidden = true;
    document.body.append(ctx.editor.root);
  }
  const container = h('div', { class: 'view-body' });
  fill($('#view'), container);
  const vctx = Object.create(ctx, { view: { value: container }, current: { value: () => mine === turn } });
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.section === steps[0]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const draw = match(steps);
  if (steps[0] !== 'playground' && !ctx.api) {
    $('#where').textContent = 'sign in';
    return signin.show(vctx);
  }
  if (!draw) return ctx.go('#/webhooks');
  $('#where').textContent = 'console';
  try {
    await draw(vctx);
  } catch (e) {
    if (vctx.current()) ctx.status(`Could not load this view: ${describe(e)}`, 'bad');
  }
}

/** Signed in: the API speaks for `s.cid` from now on. */
function start(s) {
  ctx.session = s;
  ctx.api = new Api(s.token);
  ctx.api.use(s.cid);
  $('#nav').hidden = false;
  $('#who').hidden = false;
  $('#who-name').textContent = `${s.name}${s.admin ? ' (as admin)' : ''}`;
  ctx.status('');
}

function signOut() {
  session.clear();
  ctx.session = null;
  ctx.api = null;
  $('#who').hidden = true;
  $('#nav').hidden = true;
  ctx.go('#/');
}

async function main() {
  try {
    ctx.wasm = await loadEngine();
  } catch (e) {
    ctx.status(`The mapping engine did not load: ${e.message}`, 'bad');
    return;
  }
  ctx.caps = ctx.wasm.capabilities();
  useStatuses(ctx.caps);
  const saved = session.load();
  if (saved) start(saved);
  else ctx.status('');
  $('#sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  await route();
  document.body.dataset.ready = 'true';
}

main();
