// The console: sign in, then the community's incoming webhooks (settings, mapping, histories),
// outgoing webhooks, members and their logs, and chat. One page; the address's hash names the view
// (`#/webhooks/wh_1/mapping`), so the browser's back button and links work.
import { Api } from './js/api.js';
import { describe, loadEngine } from './js/engine.js';
import { MappingEditor } from './js/editor.js';
import { fill, h } from './js/dom.js';
import * as session from './js/session.js';
import * as signin from './js/views/signin.js';
import * as webhooks from './js/views/webhooks.js';
import * as webhook from './js/views/webhook.js';
import * as members from './js/views/members.js';
import * as logs from './js/views/logs.js';
import * as outgoing from './js/views/outgoing.js';
import * as chat from './js/views/chat.js';
import { useStatuses } from './js/views/common.js';

const $ = (selector) => document.querySelector(selector);

/** What every view gets (through its own `vctx`, see `route`): the API, the engine, the shared
 * editor, the page's status line, its container and whether it is still the view on screen. */
const ctx = {
  api: null,
  session: null,
  wasm: null,
  caps: null,
  editor: null,
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
  ['webhooks/:wid', (c, p) => webhook.show(c, p.wid, 'settings')],
  ['webhooks/:wid/:tab', (c, p) => webhook.show(c, p.wid, p.tab)],
  ['outgoing', (c) => outgoing.list(c)],
  ['outgoing/new', (c) => outgoing.create(c)],
  ['outgoing/:sid', (c, p) => outgoing.show(c, p.sid)],
  ['members', (c) => members.search(c)],
  ['members/:uid', (c, p) => members.show(c, p.uid)],
  ['logs', (c) => logs.show(c)],
  ['channels', (c) => chat.show(c)],
  ['channels/:chid', (c, p) => chat.show(c, p.chid)],
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
function playground(vctx) {
  $('#where').textContent = 'mapping playground';
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
  ctx.editor.root.hidden = true;
  document.body.append(ctx.editor.root);
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
  ctx.editor = new MappingEditor($('#editor'), ctx.wasm);
  const saved = session.load();
  if (saved) start(saved);
  else ctx.status('');
  $('#sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  await route();
  document.body.dataset.ready = 'true';
}

main();
