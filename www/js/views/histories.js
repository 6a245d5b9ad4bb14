// Histories: every delivery with the seeds' icons, filters, a details panel (payload as a tree,
// effects, error, the answer the sender got), and replay: one, or all the filter shows. A
// webhook's tab shows its own; the community's (`show`, the seeds' Histories at the top right of
// the Webhooks page) shows every webhook's, with the webhook as a column and a filter.
import { field, fill, h, table, when } from '../dom.js';
import { attempt, describe } from '../engine.js';
import { describeEffect } from '../preview.js';
import { renderTree } from '../tree.js';
import { applied, errorLine, findMember, memberLink, pager, statusBadge, title, totalsLine } from './common.js';
import { utf8Bytes } from '../utf8.js';

/** How long to wait between looks at a bulk replay's progress. */
const POLL_MS = 700;
/** How often the first page looks for new deliveries while it is shown. */
const LIVE_MS = 3000;

/** The community's history: every incoming webhook's deliveries. */
export async function show(ctx) {
  const webhooks = await ctx.api.webhooks();
  const body = h('div', { id: 'tab-body' });
  fill(ctx.view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/webhooks' }, 'Incoming webhooks'), ' / '),
    title('Histories', h('p', { class: 'hint' }, 'Every delivery of every incoming webhook, newest first.')),
    body);
  await histories(ctx, null, body, webhooks);
}

/**
 * The deliveries of `webhook`, or with `webhook` null, of all of `webhooks` (the community's
 * history: each row names its webhook, and a filter picks one).
 */
export async function histories(ctx, webhook, body, webhooks = []) {
  const names = new Map(webhooks.map((w) => [w.id, w.name]));
  const from = webhook ? null : h('select', { id: 'f-webhook' }, h('option', { value: '' }, 'any'),
    webhooks.map((w) => h('option', { value: w.id }, w.name)));
  const fetchPage = (q) => (webhook ? ctx.api.deliveries(webhook.id, q) : ctx.api.communityDeliveries(q));
  const status = h('select', { id: 'f-status' }, h('option', { value: '' }, 'any'),
    ctx.caps.history_statuses.map((s) => h('option', { value: s.name }, s.name)));
  const since = h('input', { id: 'f-since', type: 'date' });
  const until = h('input', { id: 'f-until', type: 'date' });
  const member = h('input', { id: 'f-member', placeholder: 'email, username or id', spellcheck: 'false' });
  const code = h('input', { id: 'f-code', placeholder: 'e.g. missing_path', spellcheck: 'false' });
  const filters = h('form', { id: 'history-filters', class: 'inline filters' },
    from ? field('Webhook', from) : null, field('Status', status), field('From', since), field('Before', until), field('Member', member), field('Error code', code),
    h('button', { type: 'submit' }, 'Filter'));
  const summary = h('p', { id: 'history-totals', role: 'status' });
  const list = h('div', { id: 'history-list' });
  const details = h('section', { id: 'delivery-details', class: 'card', hidden: true, 'aria-label': 'Delivery details', tabindex: '-1' });
  const replayAll = h('button', { type: 'button', id: 'replay-all' }, 'Replay what the filter shows');
  const replayOut = h('p', { id: 'replay-all-result', role: 'status' });
  const live = h('input', { type: 'checkbox', id: 'live', checked: true });
  fill(body, filters, h('div', { class: 'inline' }, replayAll, replayOut, h('label', { class: 'check' }, live, 'Show new deliveries as they arrive')),
    summary, h('div', { class: 'split' }, list, details));

  let query = {};
  let shown = { page: 1, newest: null };
  const load = async (page = 1) => {
    const answer = await fetchPage({ ...query, page, per_page: 20 });
    shown = { page, newest: answer.data[0]?.id ?? null, total: answer.total };
    summary.textContent = `${totalsLine(answer.totals)} (all time).`;
    fill(list, answer.data.length === 0
      ? h('p', { class: 'hint' }, 'No deliveries match. Senders\' deliveries appear here as they arrive.')
      : table('Deliveries', [...(webhook ? [] : ['Webhook']), 'Status', 'Received', 'Member', 'Idempotency key', 'Error or reason', ''], answer.data, (d) => [
        ...(webhook ? [] : [h('a', { href: `#/webhooks/${encodeURIComponent(d.webhook_id)}/histories` }, names.get(d.webhook_id) ?? d.webhook_id)]),
        statusBadge(d.status), when(d.created_at), memberLink(d.user_id), d.idempotency_key ?? '—', d.error?.code ?? d.reason ?? '',
        h('button', { type: 'button', class: 'small', 'aria-label': `Details of ${d.id}`, onclick: () => open(d.webhook_id, d.id) }, 'Details'),
      ], (d) => ({ dataset: { delivery: d.id, status: d.status, webhook: d.webhook_id } })),
    answer.total > answer.per_page ? pager(answer, load) : null);
    // A success is never replayed; the API says which statuses a bulk replay takes. A bulk replay
    // is one webhook's: in the community's history, pick the webhook first.
    replayAll.disabled = answer.total === 0 || !replayTarget() || Boolean(query.status && !ctx.caps.replayable.includes(query.status));
  };

  const replayTarget = () => webhook?.id ?? query.webhook_id;
  const open = async (wid, did) => {
    const d = await ctx.api.delivery(wid, did);
    const tree = h('div', { class: 'tree', 'aria-label': 'Payload' });
    const replay = h('button', { type: 'button', id: 'replay-one', hidden: !ctx.caps.replayable.includes(d.status) }, 'Replay this delivery');
    const replayResult = h('p', { id: 'replay-one-result', role: 'status' });
    replay.addEventListener('click', async () => {
      replayResult.className = '';
      replayResult.textContent = 'Replaying…';
      try {
        const r = await ctx.api.replay(wid, did);
        replayResult.className = 'ok';
        replayResult.textContent = `Replayed: ${r.status}${r.delivery_id ? ` as ${r.delivery_id}` : ''}.`;
      } catch (e) {
        replayResult.className = 'bad';
        replayResult.textContent = `The replay failed: ${describe(e)}`;
      }
      await load();
    });
    fill(details,
      h('h3', {}, statusBadge(d.status), ` ${d.id}`),
      h('dl', { class: 'facts' },
        webhook ? null : [h('dt', {}, 'Webhook'), h('dd', { id: 'detail-webhook' }, names.get(d.webhook_id) ?? d.webhook_id)],
        h('dt', {}, 'Received'), h('dd', {}, when(d.created_at)),
        h('dt', {}, 'The sender got'), h('dd', { id: 'detail-answer' }, `HTTP ${d.http_status}`),
        h('dt', {}, 'Member'), h('dd', {}, memberLink(d.user_id)),
        h('dt', {}, 'Idempotency key'), h('dd', {}, d.idempotency_key ?? '—'),
        d.error ? [h('dt', {}, 'Error'), h('dd', { id: 'detail-error', class: 'bad' }, errorLine(d.error))] : null,
        // A filtered delivery: the mapping's filter turned it away, and says why.
        d.reason ? [h('dt', {}, 'Reason'), h('dd', { id: 'detail-reason' }, d.reason)] : null,
        d.headers && Object.keys(d.headers).length ? [h('dt', {}, 'Headers kept'),
          h('dd', { id: 'detail-headers' }, Object.entries(d.headers).map(([k, v]) => h('div', {}, `${k}: ${v}`)))] : null,
        d.replay_of ? [h('dt', {}, 'Replay of'), h('dd', {}, d.replay_of)] : null,
        d.replayed_as ? [h('dt', {}, 'Replayed as'), h('dd', {}, d.replayed_as)] : null),
      h('h4', {}, applied(d.status) ? 'Effects applied' : 'Effects planned'),
      d.effects?.length ? h('ul', { id: 'detail-effects' }, d.effects.map((e) => h('li', {}, describeEffect(e)))) : h('p', { class: 'muted' }, 'none'),
      h('h4', {}, 'Payload'),
      tree,
      h('div', { class: 'inline' }, replay, replayResult));
    drawPayload(ctx, d, tree);
    details.hidden = false;
    details.focus();
  };

  filters.addEventListener('submit', async (event) => {
    event.preventDefault();
    const uid = await findMember(ctx.api, member.value);
    if (uid === null) {
      summary.textContent = `No member is ${member.value.trim()}.`;
      fill(list);
      return;
    }
    query = { webhook_id: from?.value, status: status.value, since: since.value, until: until.value, user_id: uid, error_code: code.value.trim() };
    await load();
  });

  replayAll.addEventListener('click', async () => {
    const { status: s, ...rest } = query;
    const body = Object.fromEntries(Object.entries({ ...rest, status: s }).filter(([, v]) => v));
    replayOut.className = '';
    replayOut.textContent = 'Queued…';
    try {
      const wid = replayTarget();
      delete body.webhook_id;
      let run = await ctx.api.replayAll(wid, body);
      while (!run.finished) {
        replayOut.textContent = `Replaying: ${run.done} of ${run.queued} done…`;
        await new Promise((r) => setTimeout(r, POLL_MS));
        run = await ctx.api.replayRun(wid, run.id);
      }
      replayOut.className = run.failed ? 'bad' : 'ok';
      replayOut.textContent = `Replayed ${run.done} of ${run.queued}: ${run.succeeded} succeeded, ${run.failed} failed, ${run.pending} still pending, ${run.skipped} skipped${run.remaining ? `; ${run.remaining} more wait for another run` : ''}.`;
    } catch (e) {
      replayOut.className = 'bad';
      replayOut.textContent = `Not replayed: ${describe(e)}`;
    }
    await load();
  });

  await load();
  // Watching deliveries arrive: the first page is read again while it is on screen, and redrawn
  // only when something changed, so a details panel or a button in use is left alone otherwise.
  const timer = setInterval(async () => {
    if (!body.isConnected) return clearInterval(timer);
    if (!live.checked || shown.page !== 1 || document.hidden) return;
    try {
      const latest = await fetchPage({ ...query, page: 1, per_page: 1 });
      if ((latest.data[0]?.id ?? null) !== shown.newest || latest.total !== shown.total) await load(1);
    } catch {
      // A failed look is tried again at the next tick; the list on screen stays as it was.
    }
  }, LIVE_MS);
}

/** The payload as a tree (its leaves from the engine, as in the editor), or why there is none. */
function drawPayload(ctx, d, container) {
  if (d.payload_expired) return fill(container, 'Dropped by retention: this delivery can no longer be replayed.');
  if (d.payload_truncated) return fill(container, h('pre', {}, d.payload_text ?? ''), h('p', { class: 'muted' }, 'Cut: only its first bytes were kept.'));
  if (d.payload === null || d.payload === undefined) return fill(container, 'No payload: it could not be decoded.');
  const engine = new ctx.wasm.Engine('{}');
  const leaves = attempt(() => {
    engine.setPayload(utf8Bytes(JSON.stringify(d.payload)));
    return engine.leaves();
  });
  engine.free();
  if (!leaves.ok) return fill(container, h('pre', {}, JSON.stringify(d.payload, null, 2)));
  renderTree(container, leaves.value, () => {});
}
