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
const usage = async (cid) => {
  const quotas = await admin.get(`/v1/communities/${cid}/quotas`);
  assert.equal(quotas.status, 200, quotas.text);
  return quotas.body.usage;
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
  assert.equal((await tenant.get(`/v1/communities/${a}/quotas`)).status, 200);
  assert.equal((await tenant.get(`/v1/communities/${b}/quotas`)).status, 404);
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
