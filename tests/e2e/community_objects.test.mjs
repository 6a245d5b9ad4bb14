// Each community's own database: a SQLite Durable Object per community (issue 30's first part).
// Each object brings its schema up to date when it starts, is set up for its community when the
// community is created (its built-in currencies), reports its size and rows in the community's
// usage, and keeps them through a kill -9 of workerd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client } from './support/api.mjs';

let worker, admin;

before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

const community = async (name) => {
  const made = await admin.post('/v1/communities', { name });
  assert.equal(made.status, 201, made.text);
  return made.body.id;
};
// Read both ways: `GET .../usage` alone, and as the quotas show it, which must agree.
const usage = async (cid) => {
  const alone = await admin.get(`/v1/communities/${cid}/usage`);
  assert.equal(alone.status, 200, alone.text);
  const quotas = await admin.get(`/v1/communities/${cid}/quotas`);
  assert.equal(quotas.status, 200, quotas.text);
  assert.deepEqual(alone.body, { community_id: cid, usage: quotas.body.usage });
  return alone.body.usage;
};

test('every community has a database of its own, with the schema applied', async () => {
  const [a, b] = [await community('A'), await community('B')];
  const [ua, ub] = [await usage(a), await usage(b)];
  // The schema and the built-in currencies: tens of pages, not an empty file.
  assert.ok(ua.stored_bytes > 16_384, `A: ${ua.stored_bytes} bytes`);
  assert.ok(ub.stored_bytes > 16_384, `B: ${ub.stored_bytes} bytes`);
  assert.equal((await usage(a)).stored_bytes, ua.stored_bytes, 'reading changes nothing');
  // Set up when created: xp and coins, each community's own.
  assert.deepEqual([ua.stored_rows, ub.stored_rows], [2, 2]);
});

test('a kill -9 of workerd keeps each object with its rows', async () => {
  const cid = await community('Durable');
  const before = await usage(cid);
  assert.equal(before.stored_rows, 2);
  await worker.restart('SIGKILL');
  admin = client(worker.base, worker.adminToken);
  assert.deepEqual(await usage(cid), before, 'the same database, not a new one');
});

test('a community key sees its own usage only; another community is a 404', async () => {
  const [a, b] = [await community('Keyed'), await community('Other')];
  const key = (await admin.post(`/v1/communities/${a}/api-keys`, { name: 'k' })).body.key;
  const tenant = client(worker.base, key);
  for (const what of ['quotas', 'usage']) {
    assert.equal((await tenant.get(`/v1/communities/${a}/${what}`)).status, 200, what);
    assert.equal((await tenant.get(`/v1/communities/${b}/${what}`)).status, 404, what);
  }
});

test('each webhook and subscription written through the API is copied into the object before the answer', async () => {
  const cid = await community('Copies');
  const at = `/v1/communities/${cid}`;
  const rows = async () => (await usage(cid)).stored_rows;
  assert.equal(await rows(), 2);
  const hook = await admin.post(`${at}/incoming-webhooks`, { name: 'shop' });
  assert.equal(hook.status, 201, hook.text);
  assert.equal(await rows(), 3, 'the webhook');
  const sub = await admin.post(`${at}/webhooks`, { url: 'http://127.0.0.1:9/hook', events: ['member.joined'] });
  assert.equal(sub.status, 201, sub.text);
  assert.equal(await rows(), 4, 'the subscription');
  // A user field is the community's own row; it raises every webhook's version, and the copy
  // follows without a row of its own.
  assert.equal((await admin.post(`${at}/user-fields`, { key: 'tier', type: 'text' })).status, 201);
  assert.equal(await rows(), 5, 'the field');
  assert.equal((await admin.del(`${at}/incoming-webhooks/${hook.body.id}`)).status, 204);
  assert.equal((await admin.del(`${at}/webhooks/${sub.body.id}`)).status, 204);
  assert.equal(await rows(), 3, 'both copies gone with their settings; the field stays');
});

test('a community at its storage quota refuses new deliveries with 507 and records nothing; another community is not affected', async () => {
  const shop = async (name) => {
    const cid = await community(name);
    await admin.post(`/v1/communities/${cid}/users`, { email: 'ada@example.com', username: 'ada' });
    const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
      name: 'coins', location: 'user_fields', api_key: true,
      mapping: { user: { match: 'email', path: 'who' }, idempotency_path: 'id', fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
    })).body;
    const send = (id) => fetch(hook.url.replace(/^https?:\/\/[^/]+/, worker.base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': hook.api_key },
      // A kept payload is what fills a database.
      body: JSON.stringify({ who: 'ada@example.com', id, n: 1, pad: 'x'.repeat(40_000) }),
    });
    const history = async () => (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`)).body.totals;
    return { cid, send, history };
  };
  const [full, other] = [await shop('Full'), await shop('Other')];
  const room = (await usage(full.cid)).stored_bytes + 60_000;
  assert.equal((await admin.patch(`/v1/communities/${full.cid}/quotas`, { stored_bytes: room })).status, 200);

  let refused = null;
  for (let i = 0; i < 20 && !refused; i++) {
    const res = await full.send(`f-${i}`);
    if (res.status === 507) refused = { i, body: await res.json() };
    else assert.equal(res.status, 200, await res.text());
  }
  assert.ok(refused, 'the database reached its quota');
  assert.deepEqual([refused.body.error.code, refused.body.error.details.quota, refused.body.error.details.limit],
    ['quota_exceeded', 'stored_bytes', room]);
  assert.ok((await usage(full.cid)).stored_bytes >= room);
  assert.equal((await full.history()).success, refused.i, 'the refused delivery is not recorded');
  assert.equal((await full.send(`f-${refused.i}`)).status, 507, 'and stays refused');

  assert.equal((await other.send('o-1')).status, 200, 'another community takes its deliveries');
  // The operator raises the quota back to the default: the refused delivery applies when sent again.
  assert.equal((await admin.patch(`/v1/communities/${full.cid}/quotas`, { stored_bytes: null })).status, 200);
  assert.equal((await full.send(`f-${refused.i}`)).status, 200);
  assert.equal((await full.history()).success, refused.i + 1);
});
