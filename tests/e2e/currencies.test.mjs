// Currencies as data: a community defines "gems" with one API call (no code, no migration), maps
// deliveries onto it, and gets the guarantees of the built-in ones: exactly once, never below zero
// (the whole delivery rolls back), nothing lost under concurrency, logged, and deleted only while
// unused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, deliver, seedCommunity } from './support/api.mjs';

let worker, admin, cid, uid, hook;
const base = () => `/v1/communities/${cid}`;

const gemsMapping = {
  user: { match: 'email', path: 'who' },
  idempotency_path: 'id',
  fields: [
    { target: { currency: 'coins' }, op: 'add', path: 'coins' },
    { target: { currency: 'gems' }, op: 'add', path: 'gems.in' },
    { target: { currency: 'gems' }, op: 'subtract', path: 'gems.out' },
  ],
};
let sent = 0;
const send = (gems, coins = 0) => {
  sent += 1;
  const body = { who: 'ada@example.com', id: `g-${sent}`, coins, gems };
  return deliver(hook.url, JSON.stringify(body), { 'x-api-key': hook.api_key });
};
const balances = async () => (await admin.get(`${base()}/users/${uid}`)).body.balances;

before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin));
});
after(async () => worker?.stop());

test('every community has xp and coins, built in; it adds, renames and lists its own', async () => {
  const list = await admin.get(`${base()}/currencies`);
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.body.data.map((c) => [c.key, c.name, c.built_in]), [['coins', 'Coins', true], ['xp', 'XP', true]]);

  const created = await admin.post(`${base()}/currencies`, { key: 'gems', name: 'Gems' });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual({ ...created.body, created_at: undefined }, { key: 'gems', name: 'Gems', built_in: false, created_at: undefined });
  assert.equal((await admin.post(`${base()}/currencies`, { key: 'gems' })).body.error.code, 'currency_exists');
  const bad = await admin.post(`${base()}/currencies`, { key: 'Gems!' });
  assert.deepEqual([bad.status, bad.body.error.details?.at], [422, 'key']);

  const renamed = await admin.patch(`${base()}/currencies/gems`, { name: 'Premium gems' });
  assert.equal(renamed.body.name, 'Premium gems');
  assert.equal((await admin.get(`${base()}/currencies/gems`)).body.name, 'Premium gems');
  assert.equal((await admin.get(`${base()}/currencies/rubies`)).status, 404);
  assert.deepEqual(await balances(), { xp: 0, coins: 0, gems: 0 });
});

test('a mapping may only name a currency the community has', async () => {
  const res = await admin.post(`${base()}/incoming-webhooks`, {
    name: 'Rubies', location: 'user_fields',
    mapping: { user: { match: 'email', path: 'who' }, fields: [{ target: { currency: 'rubies' }, op: 'add', path: 'n' }] },
  });
  assert.equal(res.status, 422, res.text);
  assert.deepEqual([res.body.error.code, res.body.error.details.at], ['unknown_currency', 'fields[0].target.currency']);
  assert.match(res.body.error.message, /rubies/);
});

test('deliveries move a defined currency exactly once, and log it', async () => {
  const created = await admin.post(`${base()}/incoming-webhooks`, { name: 'Gem shop', location: 'user_fields', api_key: true, mapping: gemsMapping });
  assert.equal(created.status, 201, created.text);
  hook = created.body;
  const first = await send({ in: 10, out: 3 }, 5);
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body.member.balances, { xp: 0, coins: 5, gems: 7 });
  assert.equal(first.body.member.coins, 5);
  // The same request again is a duplicate: nothing moves twice.
  const again = await deliver(hook.url, JSON.stringify({ who: 'ada@example.com', id: `g-${sent}`, coins: 5, gems: { in: 10, out: 3 } }), { 'x-api-key': hook.api_key });
  assert.equal(again.body.duplicate, true);
  assert.deepEqual(await balances(), { xp: 0, coins: 5, gems: 7 });

  const logs = (await admin.get(`${base()}/gamification-logs?user_id=${uid}`)).body.data;
  const gems = logs.filter((l) => l.currency === 'gems').map((l) => [l.delta, l.balance_after]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(gems, [[-3, 7], [10, 10]]);
});

test('a debit below zero refuses the whole delivery: no currency moves, the refusal names gems', async () => {
  const before = await balances();
  const refused = await send({ in: 0, out: 8 }, 100);
  assert.equal(refused.status, 422, refused.text);
  assert.equal(refused.body.error.code, 'insufficient_balance');
  assert.equal(refused.body.error.details.currency, 'gems');
  assert.match(refused.body.error.message, /gems below zero/);
  assert.deepEqual(await balances(), before, 'the coins of the same delivery were rolled back too');
  // A dry run says the same without writing anything.
  const dry = await deliver(`${hook.url}?dry_run=true`, JSON.stringify({ who: 'ada@example.com', id: 'dry', coins: 1, gems: { in: 0, out: 8 } }), { 'x-api-key': hook.api_key });
  assert.equal(dry.body.error.details.currency, 'gems');
  const fine = await deliver(`${hook.url}?dry_run=true`, JSON.stringify({ who: 'ada@example.com', id: 'dry', coins: 1, gems: { in: 1, out: 8 } }), { 'x-api-key': hook.api_key });
  assert.deepEqual(fine.body.balances_after, { xp: 0, coins: before.coins + 1, gems: 0 });
});

test('concurrent deliveries lose no gem', async () => {
  const before = await balances();
  const results = await Promise.all(Array.from({ length: 24 }, () => send({ in: 3, out: 1 })));
  assert.deepEqual(results.map((r) => r.status), Array(24).fill(200));
  assert.equal((await balances()).gems, before.gems + 24 * 2);
});

test('a currency is deleted only while unused; xp and coins never', async () => {
  for (const key of ['xp', 'coins']) {
    const res = await admin.del(`${base()}/currencies/${key}`);
    assert.deepEqual([res.status, res.body.error.code], [409, 'built_in_currency']);
  }
  const named = await admin.del(`${base()}/currencies/gems`);
  assert.deepEqual([named.status, named.body.error.code], [409, 'currency_in_use']);
  // The mapping no longer names gems, but Ada still holds some: still in use.
  const onlyCoins = { ...gemsMapping, fields: gemsMapping.fields.slice(0, 1) };
  assert.equal((await admin.patch(`${base()}/incoming-webhooks/${hook.id}`, { mapping: onlyCoins })).status, 200);
  const held = await admin.del(`${base()}/currencies/gems`);
  assert.deepEqual([held.status, held.body.error.code], [409, 'currency_in_use']);
  assert.ok((await balances()).gems > 0);

  assert.equal((await admin.post(`${base()}/currencies`, { key: 'tokens' })).status, 201);
  assert.equal((await admin.del(`${base()}/currencies/tokens`)).status, 204);
  assert.equal((await admin.del(`${base()}/currencies/tokens`)).status, 404);
  assert.equal((await balances()).tokens, undefined);
});

test('a tenant cannot define currencies without bound: every member answer and cached record lists them all', async () => {
  const have = (await admin.get(`${base()}/currencies`)).body.total;
  const results = await Promise.all(Array.from({ length: 40 - have }, (_, i) => admin.post(`${base()}/currencies`, { key: `c${i}` })));
  const created = results.filter((r) => r.status === 201).length;
  const refused = results.filter((r) => r.status === 422);
  assert.equal(have + created, 32, 'concurrent creates stop exactly at the cap');
  assert.ok(refused.every((r) => r.body.error.code === 'too_many_currencies'), refused[0]?.text);
  assert.equal((await admin.get(`${base()}/currencies`)).body.total, 32);
  assert.equal(Object.keys(await balances()).length, 32);
});
