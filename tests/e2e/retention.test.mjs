// Retention, run in each community's own database by its object's alarm (every second here):
// payloads go after payload_days, delivery rows and their idempotency keys after history_days
// (members' adjustments by hand with theirs too), each community by its own settings; until then
// a repeat stays a repeat. The alarm runs at the real time; the test moves the clock by ageing
// the stored rows (their created_at) as that many days would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, objectRows, objects } from './support/worker.mjs';
import { choresRan, client, deliver, eventually } from './support/api.mjs';

let worker, admin;

/** `days` pass: every stored row is that much older; then every community's chores run. The
 * objects' files must not be written under a running worker, so the worker stops meanwhile. */
async function pass(days) {
  await worker.halt();
  const tables = ['deliveries', 'outgoing_deliveries', 'outgoing_attempts', 'events', 'adjustments'];
  objects(worker.state, tables.map((t) =>
    `UPDATE ${t} SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '-${days} days');`).join(' '));
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  await choresRan(admin, new Date().toISOString());
}

/** A community with a member and a keyed coins webhook; `quotas` overrides its retention. */
async function community(name, quotas) {
  const cid = (await admin.post('/v1/communities', { name })).body.id;
  if (quotas) assert.equal((await admin.patch(`/v1/communities/${cid}/quotas`, quotas)).status, 200);
  const uid = (await admin.post(`/v1/communities/${cid}/users`, { email: 'ada@example.com', username: 'ada' })).body.id;
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'coins', location: 'user_fields', api_key: true,
    mapping: { user: { match: 'email', path: 'who' }, idempotency_path: 'id', fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  })).body;
  // The worker restarts on another port as days pass: the URL's path is what stays.
  const send = (id) => deliver(`${worker.base}${new URL(hook.url).pathname}`, JSON.stringify({ who: 'ada@example.com', id, n: 1 }),
    { 'x-api-key': hook.api_key });
  const history = async () => (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`)).body;
  const one = async (did) => (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${did}`)).body;
  return { cid, uid, hook, send, history, one };
}

before(async () => {
  worker = await startWorker({ vars: { CHORES_EVERY_SECONDS: '1' } });
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

test('payloads go after payload_days and rows with their keys after history_days, per community', async () => {
  const plain = await community('Defaults');
  const brief = await community('Brief', { payload_days: 1, history_days: 3 });
  const [a, b] = [await plain.send('k-1'), await brief.send('k-1')];
  assert.deepEqual([a.status, b.status], [200, 200]);

  // The brief community's subscriber gets member.joined (nothing answers it): each attempt's log
  // keeps the request as sent until payload_days.
  const sub = (await admin.post(`/v1/communities/${brief.cid}/webhooks`, { url: 'http://127.0.0.1:9/retention', events: ['member.joined'] })).body;
  await admin.post(`/v1/communities/${brief.cid}/users`, { email: 'bo@example.com', username: 'bo' });
  const attempts = `/v1/communities/${brief.cid}/webhooks/${sub.id}/logs`;
  const [attempt] = (await eventually(async () => {
    const l = (await admin.get(attempts)).body;
    return l.total && l;
  }, 'an outgoing attempt')).data;
  const entry = async () => (await admin.get(`${attempts}/${attempt.id}`)).body;
  assert.equal(JSON.parse((await entry()).request.body).type, 'member.joined');

  const quotas = (await admin.get(`/v1/communities/${plain.cid}/quotas`)).body;
  assert.deepEqual([quotas.payload_days, quotas.history_days], [30, 90]);

  // Two days on: only the brief community's payload is gone; both rows stay, and a repeat of the
  // same key is still a repeat in both.
  await pass(2);
  const kept = await plain.one(a.body.delivery_id);
  const dropped = await brief.one(b.body.delivery_id);
  assert.deepEqual([kept.payload_expired, kept.payload.id], [false, 'k-1']);
  assert.deepEqual([dropped.payload_expired, dropped.payload], [true, null]);
  const expired = await entry();
  assert.deepEqual([expired.exchange_expired, expired.request, expired.response, expired.attempt], [true, null, null, 1]);
  assert.equal((await brief.send('k-1')).body.duplicate, true);

  // Four days on: the brief community's history is gone with its keys, so the key applies again.
  await pass(2);
  assert.equal((await brief.history()).total, 0);
  assert.equal((await plain.history()).total, 1);
  const again = await brief.send('k-1');
  assert.deepEqual([again.status, again.body.duplicate], [200, false]);

  // After the defaults' 30 and 90 days (31, then 91, days on), the same for the other.
  await pass(27);
  assert.equal((await plain.one(a.body.delivery_id)).payload_expired, true);
  assert.equal((await plain.send('k-1')).body.duplicate, true);
  await pass(60);
  assert.equal((await plain.history()).total, 0);
  assert.equal((await plain.send('k-1')).body.duplicate, false);
});

test('adjustments by hand go with their Idempotency-Keys after history_days, per community; until then a retry is a repeat', async () => {
  const plain = await community('Adjusted defaults');
  const brief = await community('Adjusted briefly', { history_days: 3 });
  const body = { reason: 'Contest prize', balances: [{ currency: 'coins', op: 'add', amount: 10 }] };
  const adjust = (c) => admin.post(`/v1/communities/${c.cid}/users/${c.uid}/adjustments`, body, { 'idempotency-key': 'prize-1' });
  const listed = async (c) => (await admin.get(`/v1/communities/${c.cid}/users/${c.uid}/adjustments`)).body.total;
  const coins = async (c) => (await admin.get(`/v1/communities/${c.cid}/users/${c.uid}`)).body.coins;
  assert.deepEqual([(await adjust(plain)).status, (await adjust(brief)).status], [201, 201]);

  // Two days on, inside both windows: a retry with the key adjusts nothing.
  await pass(2);
  const retried = await adjust(brief);
  assert.deepEqual([retried.status, retried.body.duplicate, await coins(brief)], [200, true, 10]);

  // Four days on: the brief community's adjustment is gone with its key, so the key adjusts again;
  // the other community keeps both (its history_days is the default 90).
  await pass(2);
  assert.deepEqual([await listed(brief), await listed(plain)], [0, 1]);
  const again = await adjust(brief);
  assert.deepEqual([again.status, await coins(brief)], [201, 20]);
  assert.deepEqual([(await adjust(plain)).status, await coins(plain)], [200, 10]);
  // What the adjustment wrote stays: the gamification log is not part of this retention.
  const logs = (await admin.get(`/v1/communities/${brief.cid}/gamification-logs?user_id=${brief.uid}`)).body.data;
  assert.deepEqual(logs.map((l) => l.action), ['admin:Contest prize', 'admin:Contest prize']);
});

test('retention settings are the operator\'s: bounded, and a community key cannot change them', async () => {
  const c = await community('Settings');
  const bad = await admin.patch(`/v1/communities/${c.cid}/quotas`, { payload_days: 0 });
  assert.deepEqual([bad.status, bad.body.error.details.at], [422, 'payload_days']);
  const key = (await admin.post(`/v1/communities/${c.cid}/api-keys`, { name: 'k' })).body.key;
  const tenant = client(worker.base, key);
  assert.equal((await tenant.patch(`/v1/communities/${c.cid}/quotas`, { history_days: 3650 })).status, 403);
});

test('killed (-9) and started again, the runtime fires every object\'s alarm with no request to wake it', async () => {
  const cids = (await admin.get('/v1/communities?per_page=50')).body.data.map((c) => c.id);
  assert.ok(cids.length >= 2);
  await worker.restart('SIGKILL');
  const restarted = new Date().toISOString();
  // Nothing is asked of the worker meanwhile: only the alarms the runtime kept can run.
  await new Promise((r) => setTimeout(r, 4000));
  await worker.halt();
  const placements = objectRows(worker.state, 'SELECT community_id, chores_at FROM placement').flat();
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  assert.deepEqual(placements.map((p) => p.community_id).sort(), [...cids].sort());
  for (const p of placements) assert.ok(p.chores_at > restarted, `${p.community_id}: chores at ${p.chores_at}, restarted ${restarted}`);
});
