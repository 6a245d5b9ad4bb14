// Nothing stays pending unseen: each community's chores (its object's alarm, every second here)
// queue again the outgoing deliveries whose queue message was lost. The test loses messages the
// only way it can from outside: it writes pending deliveries into the community's database that no
// message was ever sent for (the worker halted), then lets the chores run and reads what the
// subscriber got.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from './support/receivers.mjs';
import { startWorker, objects } from './support/worker.mjs';
import { choresRan, client, eventually, seedCommunity } from './support/api.mjs';

let worker, admin, receiver, hooks;
before(async () => {
  worker = await startWorker({ vars: { CHORES_EVERY_SECONDS: '1' } });
  admin = client(worker.base, worker.adminToken);
  receiver = await startReceiver();
  hooks = receiver.url;
});
after(async () => {
  receiver?.stop();
  await worker?.stop();
});

const received = (name) => receiver.received(name);
const ago = (minutes) => new Date(Date.now() - minutes * 60_000).toISOString();

test('deliveries whose queue message was lost are sent when the chores find them overdue, once', async () => {
  const { cid } = await seedCommunity(admin, 'Lost messages');
  const sub = (await admin.post(`/v1/communities/${cid}/webhooks`, { url: `${hooks}/hook/lost`, events: ['store.purchased'] })).body;
  // Four deliveries, none with a message on the queue: never attempted (an hour old), a retry
  // overdue by an hour, a retry due in an hour, and one overdue by only a minute (inside the grace
  // the queue's own delays may take).
  const rows = [
    ['odl_never', 0, null, ago(60)],
    ['odl_retry', 1, ago(60), ago(61)],
    ['odl_later', 1, ago(-60), ago(1)],
    ['odl_fresh', 0, null, ago(1)],
  ];
  await worker.halt();
  objects(worker.state, rows.map(([id, attempts, next, created]) => `
    INSERT INTO events (id, community_id, type, data, created_at)
      VALUES ('evt_${id}', '${cid}', 'store.purchased', '{"item":"${id}"}', '${created}');
    INSERT INTO outgoing_deliveries (id, community_id, subscription_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
      VALUES ('${id}', '${cid}', '${sub.id}', 'evt_${id}', 'pending', ${attempts}, ${next ? `'${next}'` : 'NULL'}, '${created}', '${created}');`).join(''), cid);
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  await choresRan(admin, new Date().toISOString());
  const got = await eventually(async () => {
    const r = await received('lost');
    return r.length >= 2 && r;
  }, 'the two overdue deliveries');
  assert.deepEqual(got.map((r) => JSON.parse(r.body).data.item).sort(), ['odl_never', 'odl_retry']);

  const deliveries = `/v1/communities/${cid}/webhooks/${sub.id}/deliveries`;
  const byId = async () => Object.fromEntries((await admin.get(deliveries)).body.data.map((d) => [d.id, d]));
  const settled = await eventually(async () => {
    const d = await byId();
    return d.odl_never?.status === 'success' && d.odl_retry?.status === 'success' && d;
  }, 'both sent');
  assert.deepEqual([settled.odl_never.attempts, settled.odl_retry.attempts], [1, 2], 'each as its next attempt');
  assert.deepEqual([settled.odl_later.status, settled.odl_fresh.status], ['pending', 'pending']);

  // The chores again, and a message that was not lost after all: neither sends a second time.
  await choresRan(admin, new Date().toISOString());
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await received('lost')).length, 2);
  assert.equal((await admin.get(`/v1/communities/${cid}/webhooks/${sub.id}/logs`)).body.total, 2);
});
