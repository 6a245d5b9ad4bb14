// Outgoing webhooks over a real `wrangler dev` (its queue included) to a real receiver process on
// loopback. Signatures are checked and bodies decrypted here with Node's crypto, independently of
// the worker's Rust code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHmac } from 'node:crypto';
import { startReceiver } from './support/receivers.mjs';
import { startWorker } from './support/worker.mjs';
import { client, deliver, eventually, seedCommunity, KEY, IV } from './support/api.mjs';

let worker, admin, receiver, hooks, cid;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  receiver = await startReceiver();
  hooks = receiver.url;
  ({ cid } = await seedCommunity(admin, 'Outgoing'));
});
after(async () => {
  receiver?.stop();
  await worker?.stop();
});

const base = () => `/v1/communities/${cid}`;
const received = (name) => receiver.received(name);
const plan = (name, statuses, answer) => receiver.plan(name, statuses, answer);
const logs = async (sub) => (await admin.get(`${base()}/webhooks/${sub.id}/logs`)).body;
let members = 0;
const join = async () => {
  members += 1;
  const res = await admin.post(`${base()}/users`, { email: `m${members}@example.com`, username: `m${members}` });
  assert.equal(res.status, 201, res.text);
  return res.body;
};

async function subscribe(body) {
  const res = await admin.post(`${base()}/webhooks`, body);
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** Standard Webhooks verification, written from the specification with Node's HMAC. */
function signatures(secret, request) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': header } = request.headers;
  const expected = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${request.body}`).digest('base64')}`;
  return { valid: header.split(' ').includes(expected), count: header.split(' ').length };
}

function decryptEnvelope(algorithm, body) {
  const { iv, data } = JSON.parse(body);
  const bytes = Buffer.from(data, 'base64');
  const ivBytes = Buffer.from(iv, 'base64');
  if (algorithm === 'aes-256-gcm') {
    const d = createDecipheriv(algorithm, Buffer.from(KEY), ivBytes);
    d.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([d.update(bytes.subarray(0, bytes.length - 16)), d.final()]).toString();
  }
  const d = createDecipheriv(algorithm, Buffer.from(KEY), ivBytes);
  return Buffer.concat([d.update(bytes), d.final()]).toString();
}

test('a member joins: the subscriber gets a signed member.joined event, logged', async () => {
  const sub = await subscribe({ url: `${hooks}/hook/joined`, events: ['member.joined'] });
  assert.match(sub.secret, /^whsec_/);
  // The community's own currency is in the event with the built-in ones.
  assert.equal((await admin.post(`${base()}/currencies`, { key: 'gems' })).status, 201);
  assert.equal((await admin.get(`${base()}/webhooks/${sub.id}`)).body.secret, undefined, 'the secret is shown once');
  const member = await join();
  const [request] = await eventually(async () => (await received('joined')).length && received('joined'), 'the event');
  assert.equal(request.headers['content-type'], 'application/json');
  assert.deepEqual(signatures(sub.secret, request), { valid: true, count: 1 });
  assert.ok(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000) < 60);
  const event = JSON.parse(request.body);
  assert.equal(event.type, 'member.joined');
  assert.equal(event.id, request.headers['webhook-id']);
  assert.equal(event.data.member.id, member.id);
  assert.equal(event.data.member.email, member.email);
  assert.deepEqual(event.data.member.balances, { xp: 0, coins: 0, gems: 0 });

  const log = await eventually(async () => (await logs(sub)).data.length && logs(sub), 'the log');
  assert.equal(log.total, 1);
  const [attempt] = log.data;
  assert.equal(attempt.event, 'member.joined');
  assert.equal(attempt.status_code, 200);
  assert.equal(attempt.error, null);
  assert.ok(attempt.response_time_ms >= 0);
});

test('encrypted subscriptions: a fresh-IV envelope by default, the fixed IV as a setting', async () => {
  const gcm = await subscribe({ url: `${hooks}/hook/gcm`, events: ['member.joined'], encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV } });
  const cbc = await subscribe({ url: `${hooks}/hook/cbc`, events: ['member.joined'], encryption: { algorithm: 'aes-256-cbc', key: KEY, iv: IV, fixed_iv: true } });
  assert.deepEqual(gcm.encryption, { algorithm: 'aes-256-gcm', fixed_iv: false });
  assert.equal(JSON.stringify(gcm).includes(KEY), false, 'the key is never shown');
  const member = await join();
  const [g] = await eventually(async () => (await received('gcm')).length && received('gcm'), 'the GCM event');
  assert.equal(signatures(gcm.secret, g).valid, true, 'the signature covers the body as sent');
  assert.equal(Buffer.from(JSON.parse(g.body).iv, 'base64').length, 12);
  assert.equal(JSON.parse(decryptEnvelope('aes-256-gcm', g.body)).data.member.id, member.id);

  const [c] = await eventually(async () => (await received('cbc')).length && received('cbc'), 'the CBC event');
  assert.equal(c.headers['content-type'], 'text/plain');
  const d = createDecipheriv('aes-256-cbc', Buffer.from(KEY), Buffer.from(IV));
  const plain = Buffer.concat([d.update(Buffer.from(c.body, 'base64')), d.final()]).toString();
  assert.equal(JSON.parse(plain).data.member.id, member.id);
  for (const sub of [gcm, cbc]) assert.equal((await admin.patch(`${base()}/webhooks/${sub.id}`, { is_active: false })).status, 200);
});

test('a receiver that fails twice and then succeeds gets three attempts in the logs', async () => {
  const sub = await subscribe({ url: `${hooks}/hook/flaky`, events: ['store.purchased'] });
  await plan('flaky', [500, 503]);
  const published = await admin.post(`${base()}/events`, { type: 'store.purchased', data: { item: 'hat', price: 5 } });
  assert.equal(published.status, 202, published.text);
  assert.equal(published.body.deliveries, 1);
  const log = await eventually(async () => {
    const l = await logs(sub);
    return l.data[0]?.status_code === 200 && l;
  }, 'the third attempt');
  assert.deepEqual(log.data.map((a) => [a.attempt, a.status_code]), [[3, 200], [2, 503], [1, 500]]);
  assert.match(log.data[2].error, /answered 500/);
  const requests = await received('flaky');
  assert.equal(requests.length, 3);
  assert.equal(new Set(requests.map((r) => r.headers['webhook-id'])).size, 1, 'every attempt carries the same id');
});

test('deliveries list each event once with its attempts; a log entry holds the request as sent and the answer', async () => {
  const sub = await subscribe({ url: `${hooks}/hook/inspect`, events: ['store.purchased'] });
  const long = `${'x'.repeat(6000)}<end>`;
  await plan('inspect', [500], { body: long, headers: { 'x-answer': 'kept' } });
  const published = await admin.post(`${base()}/events`, { type: 'store.purchased', data: { item: 'lamp', price: 7 } });
  assert.equal(published.status, 202, published.text);
  const deliveries = `${base()}/webhooks/${sub.id}/deliveries`;
  const done = await eventually(async () => {
    const d = (await admin.get(deliveries)).body;
    return d.data?.[0]?.status === 'success' && d;
  }, 'the second attempt');
  assert.equal(done.total, 1, 'one row per event, however many attempts');
  const [row] = done.data;
  assert.deepEqual([row.event_id, row.event, row.attempts, row.next_attempt_at], [published.body.id, 'store.purchased', 2, null]);
  assert.equal((await admin.get(`${deliveries}?status=success`)).body.total, 1);
  assert.equal((await admin.get(`${deliveries}?status=pending`)).body.total, 0);
  assert.deepEqual((await admin.get(`${deliveries}?status=pending`)).body.totals, { success: 1, failed: 0, pending: 0 });
  assert.equal((await admin.get(`${deliveries}?since=2999-01-01`)).body.total, 0);
  const bad = await admin.get(`${deliveries}?status=sent`);
  assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_query']);

  const [second, first] = (await logs(sub)).data;
  const requests = await received('inspect');
  const one = async (log) => {
    const res = await admin.get(`${base()}/webhooks/${sub.id}/logs/${log.id}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const failed = await one(first);
  // The request as the receiver got it: the same bytes, the same signature.
  assert.equal(failed.request.body, requests[0].body);
  assert.equal(failed.request.headers['webhook-signature'], requests[0].headers['webhook-signature']);
  assert.equal(failed.request.headers['webhook-id'], published.body.id);
  assert.deepEqual([failed.response.status_code, failed.response.headers['x-answer']], [500, 'kept']);
  assert.equal(failed.response.body, long.slice(0, 4096), 'the first 4 KiB of the answer');
  assert.equal(failed.response.body_truncated, true);
  assert.equal(failed.exchange_expired, false);
  const succeeded = await one(second);
  assert.deepEqual([succeeded.response.status_code, succeeded.response.body, succeeded.response.body_truncated], [200, long.slice(0, 4096), true]);
  assert.equal(succeeded.request.body, requests[1].body);

  const missing = await admin.get(`${base()}/webhooks/${sub.id}/logs/olog_${'0'.repeat(32)}`);
  assert.equal(missing.status, 404);
});

test('a log entry of a request that got no answer has the request and no response', async () => {
  const sub = await subscribe({ url: 'http://127.0.0.1:9/nothing-listens-here', events: ['member.visited'] });
  await admin.post(`${base()}/events`, { type: 'member.visited', data: { member_id: 'z' } });
  const [log] = (await eventually(async () => (await logs(sub)).total && logs(sub), 'an attempt')).data;
  const entry = (await admin.get(`${base()}/webhooks/${sub.id}/logs/${log.id}`)).body;
  assert.equal(entry.response, null);
  assert.equal(JSON.parse(entry.request.body).data.member_id, 'z');
  assert.equal(entry.request.headers['content-type'], 'application/json');
  assert.equal((await admin.patch(`${base()}/webhooks/${sub.id}`, { is_active: false })).status, 200);
});

test('a 4xx is not retried; the failed delivery can be resent by hand', async () => {
  const sub = await subscribe({ url: `${hooks}/hook/gone`, events: ['member.visited'] });
  await plan('gone', [410]);
  await admin.post(`${base()}/events`, { type: 'member.visited', data: { member_id: 'x' } });
  const first = await eventually(async () => (await logs(sub)).data[0], 'the attempt');
  assert.equal(first.status_code, 410);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await logs(sub)).total, 1, 'no retry after a 4xx');

  const resent = await admin.post(`${base()}/webhooks/${sub.id}/logs/${first.id}/resend`, {});
  assert.equal(resent.status, 202, resent.text);
  const again = await eventually(async () => (await logs(sub)).total === 2 && logs(sub), 'the resend');
  assert.equal(again.data[0].status_code, 200);
  assert.equal(again.data[0].event_id, first.event_id);
});

test('recover resends every failed delivery since a time, each once, concurrent calls included', async () => {
  const sub = await subscribe({ url: `${hooks}/hook/recover`, events: ['member.visited'] });
  await plan('recover', [410, 410, 410]);
  for (const n of [1, 2, 3]) await admin.post(`${base()}/events`, { type: 'member.visited', data: { member_id: `r${n}` } });
  const deliveries = `${base()}/webhooks/${sub.id}/deliveries`;
  await eventually(async () => (await admin.get(`${deliveries}?status=failed`)).body.total === 3, 'three final failures');
  const recover = (since) => admin.post(`${base()}/webhooks/${sub.id}/recover`, { since });

  const bad = await recover('yesterday');
  assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.details.at], [422, 'invalid_field', 'since']);
  assert.deepEqual((await recover('2999-01-01')).body, { recovered: 0, remaining: 0 });
  assert.equal((await admin.get(`${deliveries}?status=failed`)).body.total, 3, 'refusals change nothing');

  // Two calls at once: between them every failure is resent exactly once.
  const [a, b] = await Promise.all([recover('2000-01-01'), recover('2000-01-01')]);
  assert.deepEqual([a.status, b.status], [202, 202]);
  assert.equal(a.body.recovered + b.body.recovered, 3);
  assert.deepEqual([a.body.remaining, b.body.remaining], [0, 0]);
  await eventually(async () => (await admin.get(`${deliveries}?status=success`)).body.total === 3, 'the three resent');
  const originals = (await admin.get(`${deliveries}?status=failed`)).body.data;
  const resent = new Set((await admin.get(`${deliveries}?status=success`)).body.data.map((d) => d.id));
  assert.ok(originals.every((d) => resent.has(d.resent_as)), 'each original names its resend');

  assert.deepEqual((await recover('2000-01-01')).body, { recovered: 0, remaining: 0 }, 'nothing is resent twice');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await received('recover')).length, 6);
});

test('no answer is retried on the schedule, then the delivery fails', async () => {
  const sub = await subscribe({ url: 'http://127.0.0.1:9/nothing-listens-here', events: ['member.visited'] });
  await admin.post(`${base()}/events`, { type: 'member.visited', data: { member_id: 'y' } });
  const log = await eventually(async () => (await logs(sub)).total === 4 && logs(sub), 'four attempts');
  assert.ok(log.data.every((a) => a.status_code === null && /no answer/.test(a.error)), JSON.stringify(log.data));
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await logs(sub)).total, 4, 'the schedule (4 attempts in tests) is over');
});

test('test sends a ping now and answers with the status and the time', async () => {
  const sub = await subscribe({ url: `${hooks}/hook/ping`, events: ['store.purchased'] });
  const res = await admin.post(`${base()}/webhooks/${sub.id}/test`, {});
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.status_code, 200);
  assert.equal(res.body.success, true);
  assert.ok(Number.isInteger(res.body.response_time_ms));
  const [ping] = await received('ping');
  assert.equal(JSON.parse(ping.body).type, 'test.ping');
  assert.equal(signatures(sub.secret, ping).valid, true);
  await plan('ping', [404]);
  const refused = await admin.post(`${base()}/webhooks/${sub.id}/test`, {});
  assert.deepEqual([refused.body.status_code, refused.body.success], [404, false]);
  assert.deepEqual((await logs(sub)).data.map((a) => [a.event, a.status_code]), [['test.ping', 404], ['test.ping', 200]]);
});

test('subscriptions get only their events, and message.posted only from their channel', async () => {
  const general = (await admin.post(`${base()}/channels`, { name: 'general' })).body;
  const random = (await admin.post(`${base()}/channels`, { name: 'random' })).body;
  const onlyGeneral = await subscribe({ url: `${hooks}/hook/general`, events: ['message.posted'], channel_id: general.id });
  const purchases = await subscribe({ url: `${hooks}/hook/purchases`, events: ['store.purchased'] });
  const chat = (await admin.post(`${base()}/incoming-webhooks`, { name: 'chat', location: 'chat',
    mapping: { message: { channel: { path: 'room' }, template: 'hello {{room}}' } } })).body;
  for (const room of [random.id, general.id]) assert.equal((await deliver(chat.url, JSON.stringify({ room }))).status, 200);
  await join();
  const [posted] = await eventually(async () => (await received('general')).length && received('general'), 'message.posted');
  const event = JSON.parse(posted.body);
  assert.equal(event.type, 'message.posted');
  assert.equal(event.data.message.channel_id, general.id);
  assert.equal(event.data.message.text, `hello ${general.id}`);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await received('general')).length, 1, 'the other channel and the other events did not come');
  assert.equal((await received('purchases')).length, 0);
  assert.equal((await logs(purchases)).total, 0);
  assert.ok(onlyGeneral.id);
});

test('message.posted is written in the batch of the delivery that posts it: a refused delivery sends none, an applied one sends one', async () => {
  const lobby = (await admin.post(`${base()}/channels`, { name: 'lobby' })).body;
  await subscribe({ url: `${hooks}/hook/lobby`, events: ['message.posted'], channel_id: lobby.id });
  const payer = await join();
  const webhook = async (body) => (await admin.post(`${base()}/incoming-webhooks`, { name: 'pay', api_key: true, ...body })).body;
  const spend = await webhook({ location: 'chat', mapping: {
    user: { match: 'email', path: 'email' },
    fields: [{ target: { currency: 'coins' }, op: 'subtract', path: 'cost' }],
    message: { channel: { id: lobby.id }, template: '{{email}} spent {{cost}}' },
  } });
  const earn = await webhook({ mapping: { user: { match: 'email', path: 'email' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] } });
  const send = (hook, body) => deliver(hook.url, JSON.stringify(body), { 'x-api-key': hook.api_key });
  assert.equal((await send(earn, { email: payer.email, n: 3 })).status, 200);
  // Refused (the coins would go below zero): the batch that would have written the event rolled back.
  const broke = await send(spend, { email: payer.email, cost: 5 });
  assert.equal(broke.body.error?.code, 'insufficient_balance', broke.text);
  const ok = await send(spend, { email: payer.email, cost: 2 });
  assert.equal(ok.status, 200, ok.text);
  const [posted] = await eventually(async () => (await received('lobby')).length && received('lobby'), 'message.posted');
  assert.equal(JSON.parse(posted.body).data.message.text, `${payer.email} spent 2`);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await received('lobby')).length, 1, 'the refused delivery sent nothing');
});

test('a rotated secret signs beside the new one for a day', async () => {
  const sub = await subscribe({ url: `${hooks}/hook/rotate`, events: ['store.purchased'] });
  const rotated = await admin.patch(`${base()}/webhooks/${sub.id}`, { rotate_secret: true });
  assert.equal(rotated.status, 200, rotated.text);
  assert.notEqual(rotated.body.secret, sub.secret);
  const until = Date.parse(rotated.body.previous_secret_signs_until);
  assert.ok(Math.abs(until - Date.now() - 24 * 3600 * 1000) < 60_000);
  await admin.post(`${base()}/events`, { type: 'store.purchased', data: { item: 'cap' } });
  const [request] = await eventually(async () => (await received('rotate')).length && received('rotate'), 'the event');
  assert.deepEqual(signatures(rotated.body.secret, request), { valid: true, count: 2 });
  assert.equal(signatures(sub.secret, request).valid, true);
});

test('bad subscriptions and events are refused with their reason', async () => {
  const cases = [
    [{ url: 'https://10.0.0.1/hook', events: ['member.joined'] }, 'invalid_url', 'url'],
    [{ url: 'https://169.254.169.254/latest', events: ['member.joined'] }, 'invalid_url', 'url'],
    [{ url: 'http://example.com/hook', events: ['member.joined'] }, 'invalid_url', 'url'],
    [{ url: 'https://example.com/hook', events: ['Member.Left'] }, 'invalid_event', 'events[0]'],
    [{ url: 'https://example.com/hook', events: [] }, 'invalid_event', 'events'],
    [{ url: 'https://example.com/hook', events: ['member.joined'], channel_id: 'chn_x' }, 'invalid_field', 'channel_id'],
    [{ url: 'https://example.com/hook', events: ['member.joined'], encryption: { algorithm: 'aes-256-gcm', key: 'short', iv: IV } }, 'invalid_encryption', null],
    [{ events: ['member.joined'] }, 'invalid_field', 'url'],
  ];
  for (const [body, code, at] of cases) {
    const res = await admin.post(`${base()}/webhooks`, body);
    assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.body.error.code, code, res.text);
    if (at) assert.equal(res.body.error.details.at, at, res.text);
  }
  const joined = await admin.post(`${base()}/events`, { type: 'member.joined', data: {} });
  assert.equal(joined.status, 422);
  assert.equal(joined.body.error.code, 'invalid_event');
  const notObject = await admin.post(`${base()}/events`, { type: 'store.purchased', data: [1] });
  assert.equal(notObject.body.error.details.at, 'data');
});

test('inactive and deleted subscriptions receive nothing; other communities cannot see them', async () => {
  const paused = await subscribe({ url: `${hooks}/hook/paused`, events: ['store.purchased'], is_active: false });
  assert.equal(paused.is_active, false);
  const deleted = await subscribe({ url: `${hooks}/hook/deleted`, events: ['store.purchased'] });
  assert.equal((await admin.del(`${base()}/webhooks/${deleted.id}`)).status, 204);
  assert.equal((await admin.get(`${base()}/webhooks/${deleted.id}`)).status, 404);
  const live = await subscribe({ url: `${hooks}/hook/live`, events: ['store.purchased'] });
  const published = await admin.post(`${base()}/events`, { type: 'store.purchased', data: { item: 'scarf' } });
  assert.equal(published.body.deliveries, 1 + (await admin.get(`${base()}/webhooks`)).body.data
    .filter((s) => s.is_active && s.events.includes('store.purchased') && s.id !== live.id).length);
  await eventually(async () => (await received('live')).length, 'the live subscriber');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await received('paused')).length, 0);
  assert.equal((await received('deleted')).length, 0);

  const other = await seedCommunity(admin, 'Someone else');
  const key = (await admin.post(`/v1/communities/${other.cid}/api-keys`, {})).body.key;
  const stranger = client(worker.base, key);
  assert.equal((await stranger.get(`${base()}/webhooks/${live.id}`)).status, 404);
  assert.equal((await stranger.get(`/v1/communities/${other.cid}/webhooks/${live.id}/logs`)).status, 404);
  assert.equal((await stranger.get(`/v1/communities/${other.cid}/webhooks`)).body.total, 0);
});

/** Per-minute counts start again each calendar minute: keep a burst inside one. */
async function sameMinute(seconds) {
  const second = new Date().getSeconds();
  if (second > 59 - seconds) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
}

// Issue 27 item 4 (SECURITY.md row 25): with events_per_minute = 2, 20 resends of one log were all
// accepted and the subscriber received the event 21 times within a second.
test('issue 27 item 4: resend and recover count against events_per_minute; a repeated resend answers the earlier one; forced resends are limited', async () => {
  const own = await seedCommunity(admin, 'Resender');
  const at = `/v1/communities/${own.cid}`;
  const quota = (n) => admin.patch(`${at}/quotas`, { events_per_minute: n });
  const sub = (await admin.post(`${at}/webhooks`, { url: `${hooks}/hook/resent27`, events: ['member.visited'] })).body;
  const deliveries = async () => (await admin.get(`${at}/webhooks/${sub.id}/deliveries`)).body;
  const subLogs = async () => (await admin.get(`${at}/webhooks/${sub.id}/logs`)).body;
  const copies = async (eventId) => (await received('resent27')).filter((r) => r.headers['webhook-id'] === eventId).length;
  const retried = (res, code) => {
    assert.equal(res.status, 429, res.text);
    assert.equal(res.body.error.code, code, res.text);
    assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After');
    assert.equal(res.body.error.details.retry_after, Number(res.headers.get('retry-after')));
  };

  assert.equal((await quota(3)).status, 200);
  await sameMinute(40);
  // Two events that fail for good (410): two of this minute's three.
  await plan('resent27', [410, 410]);
  const events = [];
  for (const n of [1, 2]) {
    const res = await admin.post(`${at}/events`, { type: 'member.visited', data: { n } });
    assert.equal(res.status, 202, res.text);
    events.push(res.body.id);
  }
  await eventually(async () => (await subLogs()).total === 2, 'two failed attempts');
  const log = (await subLogs()).data.find((l) => l.event_id === events[0]);
  const resend = (body) => admin.post(`${at}/webhooks/${sub.id}/logs/${log.id}/resend`, body);

  // 20 resends at once: one is made (the minute's third event), the others answer with it.
  const answers = await Promise.all(Array.from({ length: 20 }, () => resend({})));
  const made = answers.filter((a) => a.status === 202);
  assert.equal(made.length, 1, answers.map((a) => `${a.status} ${a.text}`).join('\n'));
  const first = made[0].body;
  assert.deepEqual([first.event_id, first.status, first.already_resent], [events[0], 'pending', false]);
  for (const a of answers.filter((x) => x !== made[0])) {
    assert.equal(a.status, 200, a.text);
    assert.deepEqual([a.body.delivery_id, a.body.event_id, a.body.already_resent], [first.delivery_id, events[0], true]);
  }
  await eventually(async () => (await copies(events[0])) === 2, 'the one resend');
  await eventually(async () => (await deliveries()).totals.pending === 0, 'the resend recorded');

  // The quota is spent: a forced resend and a recover are refused, and change nothing.
  const before = await deliveries();
  retried(await resend({ force: true }), 'quota_exceeded');
  const over = await resend({ force: true });
  assert.deepEqual(over.body.error.details.quota, 'events_per_minute');
  assert.equal(over.body.error.details.limit, 3);
  const recover = () => admin.post(`${at}/webhooks/${sub.id}/recover`, { since: '2000-01-01' });
  retried(await recover(), 'quota_exceeded');
  assert.deepEqual(await deliveries(), before, 'refusals change nothing');
  assert.equal((await resend({})).body.delivery_id, first.delivery_id, 'the earlier resend still answers');
  const bad = await resend({ force: 'yes' });
  assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.details.at], [422, 'invalid_field', 'force']);

  // With room again: recover sends the second event once; forced resends go up to 3 an hour per
  // event and subscription, and each counts in the minute too.
  assert.equal((await quota(100)).status, 200);
  const recovered = await recover();
  assert.deepEqual([recovered.status, recovered.body], [202, { recovered: 1, remaining: 0 }]);
  const forced = [];
  for (let i = 0; i < 3; i += 1) {
    const res = await resend({ force: true });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.already_resent, false);
    forced.push(res.body.delivery_id);
  }
  assert.equal(new Set([first.delivery_id, ...forced]).size, 4, 'each forced resend is a new delivery');
  const beyond = await resend({ force: true });
  retried(beyond, 'too_many_resends');
  assert.equal(beyond.body.error.details.limit, 3);
  assert.equal((await resend({})).body.delivery_id, forced[2], 'the newest resend answers');
  assert.equal((await deliveries()).total, 2 + 1 + 1 + 3);
  const usage = (await admin.get(`${at}/quotas`)).body.usage.events_this_minute;
  assert.equal(usage, 2 + 1 + 1 + 3, 'every resend counted in the minute');
  await eventually(async () => (await copies(events[0])) === 5 && (await copies(events[1])) === 2, 'the forced resends and the recovered event');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await copies(events[0]), 5, 'the event reached the subscriber once, then once per resend made');
});
