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

/** What every view gets: the API, the engine, the shared editor, and the page's status line. */
const ctx = {
  api: null,
  session: null,
  wasm: null,
  caps: null,
  editor: null,
  view: $('#view'),
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
  ['playground', () => playground()],
  ['webhooks', () => webhooks.list(ctx)],
  ['webhooks/new', () => webhooks.create(ctx)],
  ['webhooks/:wid', (p) => webhook.show(ctx, p.wid, 'settings')],
  ['webhooks/:wid/:tab', (p) => webhook.show(ctx, p.wid, p.tab)],
  ['outgoing', () => outgoing.list(ctx)],
  ['outgoing/new', () => outgoing.create(ctx)],
  ['outgoing/:sid', (p) => outgoing.show(ctx, p.sid)],
  ['members', () => members.search(ctx)],
  ['members/:uid', (p) => members.show(ctx, p.uid)],
  ['logs', () => logs.show(ctx)],
  ['channels', () => chat.show(ctx)],
  ['channels/:chid', (p) => chat.show(ctx, p.chid)],
];

function match(steps) {
  for (const [pattern, draw] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== steps.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? (params[w.slice(1)] = steps[i]) !== undefined : w === steps[i]))) {
      return () => draw(params);
    }
  }
  return null;
}

/** The mapping editor on its own: no webhook, nothing saved. Needs no sign-in. */
function playground() {
  $('#where').textContent = 'mapping playground';
  ctx.editor.offline();
  fill(ctx.view, h('h2', { class: 'view-title' }, 'Mapping playground'),
    h('p', { class: 'hint' }, 'Try a mapping on a sample payload. Nothing here is saved: sign in and open a webhook to save one.'));
  show(ctx.editor.root);
}

/** Puts the editor into the view (it is one set of elements, moved where it is needed). */
function show(editorRoot) {
  editorRoot.hidden = false;
  ctx.view.append(editorRoot);
}

async function route() {
  const steps = decodeURIComponent(location.hash.replace(/^#\/?/, '')).split('/').filter(Boolean);
  // The editor goes back home before a view is drawn; the views that want it take it again.
  ctx.editor.root.hidden = true;
  document.body.append(ctx.editor.root);
  for (const a of document.querySelectorAll('#nav a')) {
    a.toggleAttribute('aria-current', a.dataset.section === steps[0]);
    if (a.hasAttribute('aria-current')) a.setAttribute('aria-current', 'page');
  }
  const draw = match(steps);
  if (steps[0] !== 'playground' && !ctx.api) {
    $('#where').textContent = 'sign in';
    return signin.show(ctx);
  }
  if (!draw) return ctx.go('#/webhooks');
  $('#where').textContent = 'console';
  try {
    await draw();
  } catch (e) {
    ctx.status(`Could not load this view: ${describe(e)}`, 'bad');
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
