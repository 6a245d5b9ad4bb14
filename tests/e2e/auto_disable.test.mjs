// Auto-disable: a subscription whose deliveries keep failing is turned off once enough failures
// in a row span enough days, and the community hears of it. The worker runs with 2 failures over
// 1 day; the test moves a streak's start back a day in D1 (the worker halted meanwhile).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './support/receivers.mjs';
import { d1, startWorker } from './support/worker.mjs';
import { client, eventually, seedCommunity } from './support/api.mjs';

let worker, admin, receiver, hooks, cid;
before(async () => {
  worker = await startWorker({ vars: { AUTO_DISABLE_FAILURES: '2', AUTO_DISABLE_DAYS: '1' } });
  admin = client(worker.base, worker.adminToken);
  receiver = await startReceiver();
  hooks = receiver.url;
  ({ cid } = await seedCommunity(admin, 'Failing'));
});
after(async () => {
  receiver?.stop();
  await worker?.stop();
});

const received = (name) => receiver.received(name);
const plan = (name, statuses) => receiver.plan(name, statuses);
const subscription = async (id) => (await admin.get(`/v1/communities/${cid}/webhooks/${id}`)).body;
/** Publishes a store.purchased event and waits until `sub` has `total` settled deliveries. */
async function purchase(sub, item, total) {
  assert.equal((await admin.post(`/v1/communities/${cid}/events`, { type: 'store.purchased', data: { item } })).status, 202);
  const deliveries = `/v1/communities/${cid}/webhooks/${sub.id}/deliveries`;
  await eventually(async () => {
    const d = (await admin.get(deliveries)).body;
    return d.total === total && d.data.every((x) => x.status !== 'pending');
  }, `delivery ${total} settled`);
}

test('failures in a row over the days turn a subscription off, tell the community, and a PATCH turns it on', async () => {
  const sub = (await admin.post(`/v1/communities/${cid}/webhooks`, { url: `${hooks}/hook/down`, events: ['store.purchased'] })).body;
  const watcher = (await admin.post(`/v1/communities/${cid}/webhooks`, { url: `${hooks}/hook/watch`, events: ['subscription.disabled'] })).body;
  assert.deepEqual([sub.disabled_reason, sub.failures_in_a_row, sub.failing_since], [null, 0, null]);

  // A failure, a success, a failure: the success ended the first streak.
  await plan('down', [410]);
  await purchase(sub, 'a', 1);
  await purchase(sub, 'b', 2);
  await plan('down', [410, 410, 410]);
  await purchase(sub, 'c', 3);
  let now = await subscription(sub.id);
  assert.deepEqual([now.is_active, now.failures_in_a_row], [true, 1]);
  const started = now.failing_since;

  // Two in a row, but not yet a day: still on.
  await purchase(sub, 'd', 4);
  now = await subscription(sub.id);
  assert.deepEqual([now.is_active, now.failures_in_a_row, now.failing_since], [true, 2, started]);

  // The streak began two days ago: the next failure turns it off.
  await worker.halt();
  d1(worker.state, `UPDATE webhook_subscriptions SET failing_since = strftime('%Y-%m-%dT%H:%M:%fZ', failing_since, '-2 days') WHERE id = '${sub.id}'`);
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  await purchase(sub, 'e', 5);
  now = await subscription(sub.id);
  assert.deepEqual([now.is_active, now.disabled_reason, now.failures_in_a_row], [false, 'failing', 3]);

  const [told] = await eventually(async () => (await received('watch')).length && received('watch'), 'subscription.disabled');
  const event = JSON.parse(told.body);
  assert.equal(event.type, 'subscription.disabled');
  assert.deepEqual([event.data.subscription.id, event.data.subscription.disabled_reason, event.data.subscription.failures_in_a_row],
    [sub.id, 'failing', 3]);
  assert.equal((await received('watch')).length, 1, 'told once');

  // Off: the next event is not sent to it.
  const before = (await received('down')).length;
  assert.equal((await admin.post(`/v1/communities/${cid}/events`, { type: 'store.purchased', data: { item: 'f' } })).status, 202);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await received('down')).length, before);

  // On again by hand: the reason and the streak are gone, and deliveries flow.
  const on = await admin.patch(`/v1/communities/${cid}/webhooks/${sub.id}`, { is_active: true });
  assert.deepEqual([on.body.is_active, on.body.disabled_reason, on.body.failures_in_a_row, on.body.failing_since], [true, null, 0, null]);
  await plan('down', []);
  await purchase(sub, 'g', 6);
  assert.equal((await subscription(sub.id)).failures_in_a_row, 0);
  assert.equal((await subscription(watcher.id)).is_active, true);
});

test('test pings do not count as failures', async () => {
  const sub = (await admin.post(`/v1/communities/${cid}/webhooks`, { url: `${hooks}/hook/pinged`, events: ['store.purchased'] })).body;
  await plan('pinged', [500, 500, 500]);
  for (let i = 0; i < 3; i += 1) {
    const ping = await admin.post(`/v1/communities/${cid}/webhooks/${sub.id}/test`, {});
    assert.equal(ping.body.status_code, 500);
  }
  const now = await subscription(sub.id);
  assert.deepEqual([now.is_active, now.failures_in_a_row], [true, 0]);
});
