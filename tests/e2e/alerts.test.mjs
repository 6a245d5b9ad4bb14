// Alerts kept by the server (issue 31): an incoming webhook whose sender's deliveries keep failing
// is `failing`, and the community's subscriptions that list them receive `incoming_webhook.failing`
// then `incoming_webhook.recovered`, signed, verified here with Node's HMAC. An outsider's bad
// keys never count: they cannot trip the alert.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startReceiver } from './support/receivers.mjs';
import { startWorker } from './support/worker.mjs';
import { client, deliver, eventually, seedCommunity } from './support/api.mjs';

let worker, admin, receiver;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  receiver = await startReceiver();
});
after(async () => {
  receiver?.stop();
  await worker?.stop();
});

const mapping = {
  user: { match: 'email', path: 'email' },
  fields: [{ target: { currency: 'coins' }, op: 'add', path: 'coins' }],
};
const good = (n) => JSON.stringify({ email: 'ada@example.com', coins: n });
const unknownMember = (n) => JSON.stringify({ email: `nobody${n}@example.com`, coins: n });
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Standard Webhooks verification, written from the specification with Node's HMAC. */
function verified(secret, request) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': header } = request.headers;
  const expected = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${request.body}`).digest('base64')}`;
  return header.split(' ').includes(expected);
}

/** A community with a webhook (`settings` on top of the mapping) and a subscriber to the alerts. */
async function setUp(name, settings, quotas) {
  const { cid } = await seedCommunity(admin, name);
  if (quotas) assert.equal((await admin.patch(`/v1/communities/${cid}/quotas`, quotas)).status, 200);
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Shop', mapping, ...settings })).body;
  assert.equal(hook.failing, null);
  const watch = `watch-${cid}`;
  const sub = (await admin.post(`/v1/communities/${cid}/webhooks`, {
    url: `${receiver.url}/hook/${watch}`, events: ['incoming_webhook.failing', 'incoming_webhook.recovered'],
  })).body;
  assert.match(sub.secret, /^whsec_/);
  const state = async () => (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`)).body.failing;
  const events = async () => (await receiver.received(watch)).map((r) => ({ request: r, event: JSON.parse(r.body) }));
  return { cid, hook, sub, state, events };
}

test('five failures in a row of the proved sender make the webhook failing, told once, signed; a success recovers it; an outsider\'s bad keys count for nothing', async () => {
  const { hook, sub, state, events } = await setUp('Alerts', { api_key: true });
  const keyed = { 'x-api-key': hook.api_key };

  // An outsider with the URL but not the key: 20 refusals, none of them counted.
  for (let n = 0; n < 20; n += 1) {
    const res = await deliver(hook.url, unknownMember(n), { 'x-api-key': `hmw_${'0'.repeat(48)}` });
    assert.equal(res.status, 401, res.text);
  }
  assert.equal(await state(), null, 'bad keys do not trip it');

  // The sender's deliveries: a success, then four failures, not yet five in a row.
  assert.equal((await deliver(hook.url, good(1), keyed)).status, 200);
  for (let n = 0; n < 4; n += 1) assert.equal((await deliver(hook.url, unknownMember(n), keyed)).status, 422);
  assert.equal(await state(), null, 'four in a row');

  // The fifth: failing, since then, and why.
  assert.equal((await deliver(hook.url, unknownMember(5), keyed)).status, 422);
  const failing = await state();
  assert.deepEqual([failing.reason, failing.failures_in_a_row, failing.last_error], ['failures_in_a_row', 5, 'unknown_member']);
  assert.ok(Date.parse(failing.since) > Date.now() - 60_000);

  const [told] = await eventually(async () => (await events()).length && events(), 'incoming_webhook.failing');
  assert.equal(told.event.type, 'incoming_webhook.failing');
  assert.ok(verified(sub.secret, told.request), 'signed with the subscription\'s secret');
  assert.deepEqual(told.event.data.incoming_webhook, {
    id: hook.id, name: 'Shop', reason: 'failures_in_a_row', failing_since: failing.since, failures_in_a_row: 5,
    recent_failures: 5, recent_deliveries: 6, last_error: 'unknown_member',
  });

  // More failures, and more bad keys: still failing, and told only once.
  assert.equal((await deliver(hook.url, unknownMember(6), keyed)).status, 422);
  assert.equal((await deliver(hook.url, unknownMember(7), { 'x-api-key': 'wrong' })).status, 401);
  assert.equal((await state()).failures_in_a_row, 6);

  // A success: recovered, and the community hears of it.
  assert.equal((await deliver(hook.url, good(2), keyed)).status, 200);
  assert.equal(await state(), null);
  const all = await eventually(async () => (await events()).length === 2 && events(), 'incoming_webhook.recovered');
  const recovered = all.find((e) => e.event.type === 'incoming_webhook.recovered');
  assert.ok(verified(sub.secret, recovered.request));
  const data = recovered.event.data.incoming_webhook;
  assert.deepEqual([data.id, data.reason, data.failing_since, data.failures_in_a_row, data.recent_failures, data.recent_deliveries],
    [hook.id, 'failures_in_a_row', failing.since, 0, 6, 8]);
  assert.ok(Date.parse(data.recovered_at) >= Date.parse(failing.since));
  await pause(1500);
  assert.equal((await events()).length, 2, 'nothing more was sent');
});

test('the failure rate, with the community\'s own thresholds: a webhook without key or signature counts every failure', async () => {
  // Only the rate: more than half of the last 4.
  const { cid, hook, state, events } = await setUp('Rates', {}, { failing_in_a_row: 0, failing_window: 4 });
  const quotas = (await admin.get(`/v1/communities/${cid}/quotas`)).body;
  assert.deepEqual([quotas.failing_in_a_row, quotas.failing_window, quotas.overrides.failing_window], [0, 4, 4]);

  // A URL-only webhook trusts its URL: its failures count, undecodable bodies among them.
  assert.equal((await deliver(hook.url, unknownMember(1))).status, 422);
  assert.equal((await deliver(hook.url, good(1))).status, 200);
  assert.equal((await deliver(hook.url, '{not json')).status, 400);
  assert.equal(await state(), null, 'three deliveries are no window of four');
  assert.equal((await deliver(hook.url, good(2))).status, 200);
  assert.equal(await state(), null, 'two of four is not more than half');
  assert.equal((await deliver(hook.url, unknownMember(2))).status, 422);
  assert.equal(await state(), null, 'still two of the last four');
  assert.equal((await deliver(hook.url, unknownMember(3))).status, 422);
  const failing = await state();
  assert.deepEqual([failing.reason, failing.failures_in_a_row], ['failure_rate', 2], 'three of the last four');
  const listed = (await admin.get(`/v1/communities/${cid}/incoming-webhooks`)).body.data;
  assert.deepEqual(listed.map((w) => w.failing?.reason), ['failure_rate'], 'flagged in the list');

  const [told] = await eventually(async () => (await events()).length && events(), 'incoming_webhook.failing');
  assert.deepEqual([told.event.data.incoming_webhook.reason, told.event.data.incoming_webhook.recent_failures,
    told.event.data.incoming_webhook.recent_deliveries], ['failure_rate', 3, 4]);

  // One success leaves two of the last four failed: no longer more than half, recovered.
  assert.equal((await deliver(hook.url, good(3))).status, 200);
  assert.equal(await state(), null);
  await eventually(async () => (await events()).some((e) => e.event.type === 'incoming_webhook.recovered'), 'recovered');

  // Caught deliveries (no mapping yet) say nothing of the sender's health.
  const catcher = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Catcher' })).body;
  for (let n = 0; n < 6; n += 1) assert.equal((await deliver(catcher.url, good(n))).status, 202);
  assert.equal((await admin.get(`/v1/communities/${cid}/incoming-webhooks/${catcher.id}`)).body.failing, null);

  // The thresholds are checked like any quota, and only the admin token sets them.
  const bad = await admin.patch(`/v1/communities/${cid}/quotas`, { failing_window: 101 });
  assert.deepEqual([bad.status, bad.body.error.code], [422, 'invalid_field']);
});
