// Rotating a community API key with a grace (issue 31): the new key is shown once and works at
// once; the key it replaced keeps working for the hours given (24 by default), then stops; 0 stops
// it at once, as after a leak.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { d1, startWorker } from './support/worker.mjs';
import { client } from './support/api.mjs';

let worker, admin, cid;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  cid = (await admin.post('/v1/communities', { name: 'Keys' })).body.id;
});
after(async () => {
  await worker?.stop();
});

const works = async (key) => (await client(worker.base, key).get('/v1/me')).status === 200;
const keys = `/v1/communities/${'{cid}'}/api-keys`;
const at = (path) => path.replace('{cid}', cid);

test('a rotated key is shown once, the old one works for its grace and then stops', async () => {
  const made = (await admin.post(at(keys), { name: 'shop backend' })).body;
  assert.equal(made.previous_key_verifies_until, null);

  // Rotated by the key itself, with the default grace: both work.
  const rotated = await client(worker.base, made.key).post(at(`${keys}/${made.id}/rotate`));
  assert.equal(rotated.status, 200, rotated.text);
  assert.match(rotated.body.key, /^hmk_[0-9a-f]{48}$/);
  assert.notEqual(rotated.body.key, made.key);
  assert.deepEqual([rotated.body.id, rotated.body.name, rotated.body.prefix], [made.id, 'shop backend', rotated.body.key.slice(0, 12)]);
  const hours = (Date.parse(rotated.body.previous_key_verifies_until) - Date.now()) / 3_600_000;
  assert.ok(hours > 23.9 && hours <= 24, `${hours}`);
  assert.ok(await works(made.key), 'the old key works during the grace');
  assert.ok(await works(rotated.body.key));
  const listed = (await admin.get(at(keys))).body.data;
  assert.deepEqual(listed.map((k) => [k.id, k.prefix, k.previous_key_verifies_until, k.key]),
    [[made.id, rotated.body.prefix, rotated.body.previous_key_verifies_until, undefined]], 'never the key itself');

  // A second rotation with no grace: the new key only; the first key's grace went with it.
  const leaked = await admin.post(at(`${keys}/${made.id}/rotate`), { previous_key_hours: 0 });
  assert.equal(leaked.status, 200, leaked.text);
  assert.equal(leaked.body.previous_key_verifies_until, null);
  assert.deepEqual([await works(made.key), await works(rotated.body.key), await works(leaked.body.key)], [false, false, true]);

  // An hour's grace, then the hour is over: the old key stops.
  const third = (await admin.post(at(`${keys}/${made.id}/rotate`), { previous_key_hours: 1 })).body;
  assert.deepEqual([await works(leaked.body.key), await works(third.key)], [true, true]);
  await worker.halt();
  d1(worker.state, `UPDATE api_keys SET previous_key_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 second') WHERE id = '${made.id}'`);
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  assert.deepEqual([await works(leaked.body.key), await works(third.key)], [false, true]);
  assert.equal((await admin.get(at(keys))).body.data[0].previous_key_verifies_until, null);
});

test('rotation refuses a grace out of bounds and another community\'s key', async () => {
  const made = (await admin.post(at(keys), { name: 'crm' })).body;
  for (const bad of [169, -1, 1.5, '24']) {
    const res = await admin.post(at(`${keys}/${made.id}/rotate`), { previous_key_hours: bad });
    assert.deepEqual([res.status, res.body.error.code, res.body.error.details.at], [422, 'invalid_field', 'previous_key_hours'], `${bad}`);
  }
  assert.ok(await works(made.key), 'a refused rotation changes nothing');
  const other = (await admin.post('/v1/communities', { name: 'Other' })).body.id;
  const foreign = await client(worker.base, made.key).post(`/v1/communities/${other}/api-keys/${made.id}/rotate`);
  assert.equal(foreign.status, 404);
  const missing = await admin.post(at(`${keys}/key_${'0'.repeat(32)}/rotate`));
  assert.equal(missing.status, 404);
});
