// Concurrency and restarts: balances are exact under concurrent deliveries, a key applies once
// however many race for it, and nothing acknowledged is lost when wrangler dev restarts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, deliver, encryptGcm, seedCommunity, KEY, IV } from './support/api.mjs';

let worker, admin, cid, uid, hook;
const mapping = {
  user: { match: 'email', path: 'customer.email' },
  fields: [{ target: { currency: 'coins' }, op: 'add', path: 'coins' }, { target: { field: 'orders' }, op: 'add', path: 'qty' }],
};
const body = (coins, qty = 1) => encryptGcm(KEY, IV, JSON.stringify({ customer: { email: 'ada@example.com' }, coins, qty }));

before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin));
  hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    // A key: only a proved sender is told balances and duplicates (issue 27).
    name: 'Concurrent', api_key: true, encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV }, mapping,
  })).body;
});
after(async () => worker?.stop());

/** The webhook's API key, beside `headers`. */
const keyed = (headers = {}) => ({ 'x-api-key': hook.api_key, ...headers });

const member = async () => (await admin.get(`/v1/communities/${cid}/users/${uid}`)).body;

async function logSum() {
  let sum = 0;
  for (let page = 1; ; page += 1) {
    const res = await admin.get(`/v1/communities/${cid}/gamification-logs?user_id=${uid}&per_page=50&page=${page}`);
    for (const log of res.body.data) if (log.currency === 'coins') sum += log.delta;
    if (page * 50 >= res.body.total) return sum;
  }
}

test('20 concurrent deliveries crediting one member lose no update', async () => {
  const start = await member();
  const amounts = Array.from({ length: 20 }, (_, i) => i + 1);
  const results = await Promise.all(amounts.map((n) => deliver(hook.url, body(n), keyed())));
  for (const r of results) assert.equal(r.status, 200, r.text);
  const end = await member();
  assert.equal(end.coins, start.coins + 210);
  assert.equal(end.fields.orders, (start.fields.orders ?? 0) + 20);
  assert.equal(await logSum(), end.coins, 'the log deltas add up to the balance');
  const balances = results.map((r) => r.body.member.coins).sort((a, b) => a - b);
  assert.equal(new Set(balances).size, 20, 'each delivery saw its own balance_after');
});

test('10 concurrent deliveries with one idempotency key apply exactly once', async () => {
  const start = (await member()).coins;
  const results = await Promise.all(Array.from({ length: 10 }, () => deliver(hook.url, body(7), keyed({ 'idempotency-key': 'race-1' }))));
  for (const r of results) assert.equal(r.status, 200, r.text);
  assert.equal(results.filter((r) => r.body.duplicate === false).length, 1);
  assert.equal(new Set(results.map((r) => r.body.delivery_id)).size, 1);
  assert.equal((await member()).coins, start + 7);
});

test('a subtract racing a balance never takes it below zero', async () => {
  const spend = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Spend', mapping: {
    user: { match: 'username', path: 'u' }, fields: [{ target: { currency: 'coins' }, op: 'subtract', path: 'n' }] } })).body;
  const balance = (await member()).coins;
  const each = Math.floor(balance / 3) + 1; // only two of five can succeed
  const results = await Promise.all(Array.from({ length: 5 }, () => deliver(spend.url, JSON.stringify({ u: 'ada', n: each }))));
  const ok = results.filter((r) => r.status === 200).length;
  assert.equal(ok, 2, results.map((r) => r.text).join('\n'));
  for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error.code, 'insufficient_balance');
  assert.equal((await member()).coins, balance - 2 * each);
  assert.equal(await logSum(), (await member()).coins);
});

test('a restart of wrangler dev loses nothing that was acknowledged', async () => {
  const acknowledged = [];
  for (let i = 0; i < 5; i += 1) {
    const r = await deliver(hook.url, body(3), keyed({ 'idempotency-key': `restart-${i}` }));
    assert.equal(r.status, 200, r.text);
    acknowledged.push(r.body);
  }
  const before = await member();
  await worker.restart('SIGKILL');
  admin = client(worker.base, worker.adminToken);
  const url = hook.url.replace(/^http:\/\/[^/]+/, worker.base);
  const after = await member();
  assert.deepEqual(after, before);
  for (const [i, ack] of acknowledged.entries()) {
    const again = await deliver(url, body(3), keyed({ 'idempotency-key': `restart-${i}` }));
    assert.equal(again.body.duplicate, true, 'the idempotency key survived the restart');
    assert.equal(again.body.delivery_id, ack.delivery_id);
    const row = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${ack.delivery_id}`);
    assert.equal(row.body.status, 'success');
  }
  assert.equal((await member()).coins, before.coins);
});
