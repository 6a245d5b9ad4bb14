// Outgoing webhooks: the community's subscriptions; creating and editing one (URL, events from the
// catalogue, channel, encryption, active); Test; the attempt logs with request and answer; resend;
// recover (every failure since a day, sent again); rotating the secret (shown once); a disabled
// subscription says why and can be enabled again.
import { field, fill, h, table, when } from '../dom.js';
import { encryptionFields } from './encryption.js';
import { describe } from '../engine.js';
import { confirmThen, pager, shownOnce, title } from './common.js';
import { attemptTo, outcome } from './editing.js';

const USE = 'The receiver checks the Standard Webhooks signature with it.';

export async function list(ctx) {
  const subs = await ctx.api.subscriptions();
  fill(ctx.view,
    title('Outgoing webhooks'),
    h('p', {}, h('a', { href: '#/outgoing/new', class: 'button', id: 'new-subscription' }, 'New outgoing webhook')),
    subs.length === 0
      ? h('p', { class: 'hint' }, 'No subscriptions yet: the community\'s events (member joined, message posted...) go to the URLs you add here, signed.')
      : table('Outgoing webhooks', ['URL', 'Events', 'State'], subs, (s) => [
        h('a', { href: `#/outgoing/${encodeURIComponent(s.id)}` }, s.url), s.events.join(', '), state(s),
      ], (s) => ({ dataset: { subscription: s.id } })));
}

/** Active, or disabled (and why). */
function state(s) {
  if (s.is_active) return s.failures_in_a_row ? `active, ${s.failures_in_a_row} failures in a row` : 'active';
  return h('span', { class: 'bad' }, s.disabled_reason ? `disabled: ${s.disabled_reason} since ${when(s.failing_since)}` : 'disabled');
}

export async function create(ctx) {
  const done = h('div', { id: 'created' });
  const form = await subscriptionForm(ctx, null, (saved) => {
    fill(done, h('h3', {}, 'Created'), shownOnce('Signing secret', saved.secret, USE),
      h('p', {}, h('a', { href: `#/outgoing/${encodeURIComponent(saved.id)}`, id: 'to-subscription' }, 'Open it: test it and read its logs')));
    form.hidden = true;
    done.querySelector('a').focus();
  });
  fill(ctx.view, title('New outgoing webhook'), form, done);
  ctx.view.querySelector('#sub-url').focus();
}

async function subscriptionForm(ctx, sub, onSaved) {
  const [types, channels] = await Promise.all([ctx.api.eventTypes(), ctx.api.channels()]);
  const url = h('input', { id: 'sub-url', type: 'url', required: true, value: sub?.url ?? '', placeholder: 'https://example.com/hooks' });
  const events = h('fieldset', { id: 'sub-events' }, h('legend', {}, 'Events'),
    types.map((t) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: t.name, checked: sub?.events.includes(t.name) ?? false }),
      t.name, t.description ? h('span', { class: 'muted' }, ` ${t.description}`) : null)));
  const channel = h('select', { id: 'sub-channel' }, h('option', { value: '' }, 'any channel'),
    channels.map((c) => h('option', { value: c.id, selected: c.id === sub?.channel_id }, `#${c.name}`)));
  const active = h('input', { id: 'sub-active', type: 'checkbox', checked: sub?.is_active ?? true });
  const encryption = encryptionFields(ctx.caps, 'sub', sub?.encryption ?? null, { fixedIv: true });
  const out = h('p', { id: 'sub-result', role: 'status' });
  const form = h('form', { id: 'subscription-form', class: 'card' },
    field('URL', url), events, field('Channel', channel, 'for message.posted'),
    h('label', { class: 'check' }, active, 'Active'),
    encryption.fieldset,
    h('button', { type: 'submit' }, sub ? 'Save' : 'Create the subscription'), out);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      url: url.value.trim(),
      events: [...events.querySelectorAll('input:checked')].map((i) => i.value),
      channel_id: channel.value || null,
      is_active: active.checked,
    };
    const sealed = encryption.read();
    if (sealed !== undefined) body.encryption = sealed;
    out.className = '';
    out.textContent = 'Saving…';
    try {
      const saved = sub ? await ctx.api.updateSubscription(sub.id, body) : await ctx.api.createSubscription(body);
      out.className = 'ok';
      out.textContent = 'Saved.';
      onSaved(saved);
    } catch (e) {
      out.className = 'bad';
      out.textContent = `Not saved: ${describe(e)}${e.at ? ` (at ${e.at})` : ''}`;
    }
  });
  return form;
}

export async function show(ctx, sid) {
  const sub = await ctx.api.subscription(sid);
  const head = h('div', { id: 'sub-state' });
  const drawHead = () => {
    const enable = h('button', { type: 'button', id: 'sub-enable', hidden: sub.is_active }, 'Enable it again');
    enable.addEventListener('click', async () => {
      Object.assign(sub, await ctx.api.updateSubscription(sid, { is_active: true }));
      drawHead();
    });
    fill(head, h('p', {}, 'State: ', state(sub)), enable);
  };
  drawHead();
  const test = h('button', { type: 'button', id: 'sub-test' }, 'Send a test event');
  const testOut = h('p', { id: 'sub-test-result', role: 'status' });
  const rotate = h('button', { type: 'button', id: 'sub-rotate' }, 'Rotate the signing secret');
  const secretBox = h('div', { id: 'sub-secret' });
  const del = h('button', { type: 'button', class: 'danger', id: 'sub-delete' }, 'Delete this subscription');
  const logs = h('div', { id: 'sub-logs' });
  const detail = h('section', { id: 'log-detail', class: 'card', hidden: true, tabindex: '-1', 'aria-label': 'Attempt details' });

  const loadLogs = async (page = 1) => {
    const answer = await ctx.api.subscriptionLogs(sid, { page, per_page: 20 });
    fill(logs, answer.data.length === 0 ? h('p', { class: 'muted' }, 'No attempts yet.')
      : table('Attempts', ['When', 'Event', 'Attempt', 'Status code', 'Time', 'Error', ''], answer.data, (l) => [
        when(l.created_at), l.event, String(l.attempt), l.status_code === null ? 'no answer' : String(l.status_code),
        `${l.response_time_ms} ms`, l.error ?? '', h('button', { type: 'button', class: 'small', onclick: () => openLog(l.id) }, 'Details'),
      ], (l) => ({ dataset: { log: l.id } })),
    answer.total > answer.per_page ? pager(answer, loadLogs) : null);
  };
  const openLog = async (lid) => {
    const l = await ctx.api.subscriptionLog(sid, lid);
    const resend = h('button', { type: 'button', id: 'log-resend' }, 'Resend this event');
    // A delivery resent before is not sent again: the answer is the earlier resend, and sending
    // anyway is a choice of its own (at most 3 forced resends of an event an hour).
    const force = h('button', { type: 'button', id: 'log-resend-force', hidden: true }, 'Resend anyway');
    const resendOut = h('p', { role: 'status', id: 'log-resend-result' });
    const send = async (forced) => {
      try {
        const r = await ctx.api.resend(sid, lid, forced);
        force.hidden = !r.already_resent;
        resendOut.textContent = r.already_resent
          ? `Already resent as ${r.delivery_id} (${r.status}); nothing was sent again.`
          : `Queued again as ${r.delivery_id} (${r.status}).`;
      } catch (e) {
        resendOut.textContent = `Not resent: ${describe(e)}`;
      }
    };
    resend.addEventListener('click', () => send(false));
    force.addEventListener('click', () => send(true));
    const headers = (hs) => h('pre', {}, Object.entries(hs ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n'));
    fill(detail,
      h('h3', {}, `${l.event}, attempt ${l.attempt}`),
      l.exchange_expired ? h('p', { class: 'muted' }, 'The request and answer were dropped by retention.') : null,
      h('h4', {}, 'Request'), l.request ? [headers(l.request.headers), h('pre', { id: 'log-request-body' }, l.request.body)] : h('p', { class: 'muted' }, 'Nothing was sent.'),
      h('h4', {}, 'Answer'), l.response
        ? [h('p', { id: 'log-answer-status' }, `HTTP ${l.response.status_code}`), headers(l.response.headers),
          h('pre', { id: 'log-answer-body' }, l.response.body), l.response.body_truncated ? h('p', { class: 'muted' }, 'Cut after 4 KiB.') : null]
        : h('p', { class: 'muted' }, l.error ?? 'No answer.'),
      h('div', { class: 'inline' }, resend, force, resendOut));
    detail.hidden = false;
    detail.focus();
  };

  test.addEventListener('click', async () => {
    testOut.className = '';
    testOut.textContent = 'Sending…';
    try {
      const r = await ctx.api.testSubscription(sid);
      testOut.className = r.success ? 'ok' : 'bad';
      testOut.textContent = `${r.status_code === null ? 'No answer' : `HTTP ${r.status_code}`} in ${r.response_time_ms} ms${r.error ? `: ${r.error}` : ''}.`;
    } catch (e) {
      testOut.className = 'bad';
      testOut.textContent = `Not sent: ${describe(e)}`;
    }
    await loadLogs();
  });
  rotate.addEventListener('click', async () => {
    const saved = await ctx.api.updateSubscription(sid, { rotate_secret: true });
    Object.assign(sub, saved);
    fill(secretBox, shownOnce('New signing secret', saved.secret, `${USE} ${saved.note ?? ''}`));
  });
  del.addEventListener('click', () => confirmThen(del, 'Delete it? Its events stop at once.', async () => {
    await ctx.api.deleteSubscription(sid);
    ctx.go('#/outgoing');
  }));
  const form = await subscriptionForm(ctx, sub, (saved) => {
    Object.assign(sub, saved);
    drawHead();
  });
  fill(ctx.view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/outgoing' }, 'Outgoing webhooks'), ' / '),
    title(sub.url), head,
    h('div', { class: 'inline' }, test, testOut),
    h('div', { class: 'inline' }, rotate), secretBox,
    recoverForm(ctx, sid, () => loadLogs()),
    h('h3', {}, 'Attempts'), h('div', { class: 'split' }, logs, detail),
    h('h3', {}, 'Settings'), form, h('p', {}, del));
  await loadLogs();
}

/**
 * Recover: every delivery to this subscription that failed since a day (UTC) and was not resent
 * yet is sent again, each as a new delivery with a fresh retry schedule. The server resends at most
 * 100 a call, within the community's events_per_minute, and says how many still wait.
 */
function recoverForm(ctx, sid, after) {
  const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  const since = h('input', { id: 'sub-recover-since', type: 'date', required: true, value: weekAgo });
  const line = outcome('sub-recover-result');
  const form = h('form', { id: 'sub-recover', class: 'card' }, h('h3', {}, 'Recover failed deliveries'),
    h('p', { class: 'hint' }, 'Sends again every delivery that failed since that day and was not resent yet; a delivery is never resent twice.'),
    h('div', { class: 'inline' }, field('Failed since', since, 'UTC'), h('button', { type: 'submit' }, 'Resend the failures')), line);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = await attemptTo(line, () => ctx.api.recover(sid, since.value), (r) => recovered(r, since.value));
    if (done) await after();
  });
  return form;
}

function recovered({ recovered: n, remaining }, since) {
  if (n === 0 && remaining === 0) return `No delivery that failed since ${since} waits: nothing was resent.`;
  const sent = `Resent ${n} failed ${n === 1 ? 'delivery' : 'deliveries'} since ${since}.`;
  return remaining ? `${sent} ${remaining} more wait: resend again (a minute later if the events quota stopped it).` : sent;
}
