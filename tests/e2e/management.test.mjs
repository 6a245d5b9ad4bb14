// The management API: who may call what, secrets shown once, validation, pagination.
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

test('the API needs a token, and only the admin token creates communities', async () => {
  const anonymous = client(worker.base, null);
  const none = await anonymous.post('/v1/communities', { name: 'x' });
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, 'missing_token');
  const wrong = await client(worker.base, 'nope').post('/v1/communities', { name: 'x' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, 'invalid_token');
  const bad = await admin.post('/v1/communities', { name: '' });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.details.at, 'name');
  const notJson = await admin.post('/v1/communities', '{name');
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.error.code, 'invalid_body');
});

test('a community API key is shown once, stored hashed, and acts on its own community only', async () => {
  const a = (await admin.post('/v1/communities', { name: 'A' })).body;
  const b = (await admin.post('/v1/communities', { name: 'B' })).body;
  const created = await admin.post(`/v1/communities/${a.id}/api-keys`, { name: 'ci' });
  assert.equal(created.status, 201);
  assert.match(created.body.key, /^hmk_[0-9a-f]{48}$/);
  const list = await admin.get(`/v1/communities/${a.id}/api-keys`);
  assert.equal(list.body.total, 1);
  assert.ok(!list.text.includes(created.body.key), 'the key is never listed');
  assert.equal(list.body.data[0].prefix, created.body.key.slice(0, 12));

  const keyed = client(worker.base, created.body.key);
  const member = await keyed.post(`/v1/communities/${a.id}/users`, { email: 'x@a.io', username: 'x' });
  assert.equal(member.status, 201, member.text);
  const bUser = (await admin.post(`/v1/communities/${b.id}/users`, { email: 'y@b.io', username: 'y' })).body;
  // Another community's resources answer like missing ones.
  for (const path of [`/v1/communities/${b.id}/users`, `/v1/communities/${b.id}/users/${bUser.id}`,
    `/v1/communities/${b.id}/incoming-webhooks`, `/v1/communities/${b.id}/api-keys`]) {
    const res = await keyed.get(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.error.code, 'not_found', path);
  }
  const crossUser = await keyed.get(`/v1/communities/${a.id}/users/${bUser.id}`);
  assert.equal(crossUser.status, 404);
  const forbidden = await keyed.post('/v1/communities', { name: 'C' });
  assert.equal(forbidden.status, 403);

  assert.equal((await admin.del(`/v1/communities/${a.id}/api-keys/${created.body.id}`)).status, 204);
  const revoked = await keyed.get(`/v1/communities/${a.id}/users`);
  assert.equal(revoked.status, 401);
});

test('members: lookup by email or username, conflicts, pagination', async () => {
  const c = (await admin.post('/v1/communities', { name: 'Members' })).body;
  for (let i = 0; i < 23; i += 1) {
    const r = await admin.post(`/v1/communities/${c.id}/users`, { email: `M${i}@Example.com`, username: `m${i}` });
    assert.equal(r.status, 201, r.text);
  }
  const dupEmail = await admin.post(`/v1/communities/${c.id}/users`, { email: 'm0@example.com', username: 'other' });
  assert.equal(dupEmail.status, 409);
  assert.equal(dupEmail.body.error.code, 'email_taken');
  const dupName = await admin.post(`/v1/communities/${c.id}/users`, { email: 'new@example.com', username: 'm1' });
  assert.equal(dupName.body.error.code, 'username_taken');
  const badEmail = await admin.post(`/v1/communities/${c.id}/users`, { email: 'nope', username: 'n' });
  assert.equal(badEmail.status, 422);

  const byEmail = await admin.get(`/v1/communities/${c.id}/users?email=m5@EXAMPLE.com`);
  assert.equal(byEmail.body.total, 1);
  assert.equal(byEmail.body.data[0].username, 'm5');
  const byName = await admin.get(`/v1/communities/${c.id}/users?username=m7`);
  assert.equal(byName.body.data[0].email, 'm7@example.com');
  assert.deepEqual({ xp: byName.body.data[0].xp, coins: byName.body.data[0].coins, fields: byName.body.data[0].fields }, { xp: 0, coins: 0, fields: {} });

  const page2 = await admin.get(`/v1/communities/${c.id}/users?page=2&per_page=10`);
  assert.deepEqual([page2.body.page, page2.body.per_page, page2.body.total, page2.body.data.length], [2, 10, 23, 10]);
  const page3 = await admin.get(`/v1/communities/${c.id}/users?page=3&per_page=10`);
  assert.equal(page3.body.data.length, 3);
  const tooBig = await admin.get(`/v1/communities/${c.id}/users?per_page=51`);
  assert.equal(tooBig.status, 400);
  assert.equal(tooBig.body.error.code, 'invalid_query');
});

test('user fields: keys validated, duplicates refused, type fixed, rename allowed', async () => {
  const c = (await admin.post('/v1/communities', { name: 'Fields' })).body;
  const base = `/v1/communities/${c.id}/user-fields`;
  assert.equal((await admin.post(base, { key: 'score', name: 'Score', type: 'number' })).status, 201);
  assert.equal((await admin.post(base, { key: 'score', type: 'number' })).body.error.code, 'field_exists');
  assert.equal((await admin.post(base, { key: 'Bad Key', type: 'number' })).status, 422);
  assert.equal((await admin.post(base, { key: 'x', type: 'date' })).body.error.details.at, 'type');
  const retype = await admin.patch(`${base}/score`, { type: 'text' });
  assert.equal(retype.status, 422);
  assert.equal(retype.body.error.code, 'immutable_type');
  const renamed = await admin.patch(`${base}/score`, { name: 'Points' });
  assert.equal(renamed.body.name, 'Points');
  assert.equal((await admin.get(base)).body.data[0].name, 'Points');
  assert.equal((await admin.del(`${base}/score`)).status, 204);
  assert.equal((await admin.del(`${base}/score`)).status, 404);
});

test('a user field a mapping writes is not deleted (409 field_in_use) until the mapping stops writing it', async () => {
  const c = (await admin.post('/v1/communities', { name: 'Fields in use' })).body.id;
  const at = `/v1/communities/${c}`;
  await admin.post(`${at}/user-fields`, { key: 'tier', type: 'text' });
  await admin.post(`${at}/user-fields`, { key: 'spare', type: 'text' });
  const writes = (field) => ({ user: { match: 'email', path: 'who' }, fields: [{ target: { field }, op: 'overwrite', path: 'tier' }] });
  const hook = (await admin.post(`${at}/incoming-webhooks`, { name: 'shop', mapping: writes('tier') })).body;
  const refused = await admin.del(`${at}/user-fields/tier`);
  assert.equal(refused.status, 409, refused.text);
  assert.equal(refused.body.error.code, 'field_in_use');
  assert.match(refused.body.error.message, /"tier"/);
  assert.equal((await admin.get(`${at}/user-fields`)).body.total, 2, 'the field stays');
  // Another community's mapping of a field of the same key does not hold this one.
  const other = (await admin.post('/v1/communities', { name: 'Elsewhere fields' })).body.id;
  await admin.post(`/v1/communities/${other}/user-fields`, { key: 'spare', type: 'text' });
  await admin.post(`/v1/communities/${other}/incoming-webhooks`, { name: 'theirs', mapping: writes('spare') });
  assert.equal((await admin.del(`${at}/user-fields/spare`)).status, 204);
  // Once no mapping writes it, it goes.
  assert.equal((await admin.patch(`${at}/incoming-webhooks/${hook.id}`, { mapping: null })).status, 200);
  assert.equal((await admin.del(`${at}/user-fields/tier`)).status, 204);
  assert.equal((await admin.del(`${at}/user-fields/tier`)).status, 404);
});

test('unknown routes and resources answer with JSON errors', async () => {
  const res = await admin.get('/v1/nothing-here');
  assert.equal(res.status, 404);
  assert.equal(res.body.error.code, 'no_route');
  const missing = await admin.get('/v1/communities/com_missing/users');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'not_found');
});

test('GET /v1/me tells a token which community it belongs to', async () => {
  const cid = (await admin.post('/v1/communities', { name: 'Whoami' })).body.id;
  const key = (await admin.post(`/v1/communities/${cid}/api-keys`, { name: 'page' })).body.key;
  const me = await client(worker.base, key).get('/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.caller, 'community');
  assert.equal(me.body.community.id, cid);
  assert.equal(me.body.community.name, 'Whoami');
  assert.deepEqual((await admin.get('/v1/me')).body, { caller: 'admin' });
  assert.equal((await client(worker.base, 'nope').get('/v1/me')).status, 401);
  const post = await admin.post('/v1/me', {});
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET');
});

test('GET /v1/communities: the admin token pages through every community; a community key may not list them', async () => {
  const made = [];
  for (const name of ['Listed one', 'Listed two', 'Listed three']) made.push((await admin.post('/v1/communities', { name })).body);
  const all = await admin.get('/v1/communities?per_page=50');
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(Object.keys(all.body).sort(), ['data', 'page', 'per_page', 'total']);
  const { total } = all.body;
  assert.ok(total >= 3, all.text);
  // Oldest first, like every other list of resources: the three just made are the last page's tail.
  const last = await admin.get(`/v1/communities?per_page=1&page=${total}`);
  assert.deepEqual([last.body.page, last.body.per_page, last.body.total, last.body.data], [total, 1, total, [made[2]]]);
  const beyond = await admin.get(`/v1/communities?per_page=1&page=${total + 1}`);
  assert.deepEqual([beyond.status, beyond.body.data, beyond.body.total], [200, [], total]);
  const tooBig = await admin.get('/v1/communities?per_page=51');
  assert.deepEqual([tooBig.status, tooBig.body.error.code], [400, 'invalid_query']);

  // A community's own key gets exactly what creating a community gives it: 403, and no names.
  const key = (await admin.post(`/v1/communities/${made[0].id}/api-keys`, { name: 'console' })).body.key;
  const keyed = client(worker.base, key);
  const listed = await keyed.get('/v1/communities');
  const created = await keyed.post('/v1/communities', { name: 'Sneaky' });
  assert.equal(listed.status, 403, listed.text);
  assert.deepEqual(listed.body, created.body);
  assert.equal(listed.body.error.code, 'forbidden');
  assert.ok(!made.some((c) => listed.text.includes(c.id) || listed.text.includes(c.name)), listed.text);
  assert.equal((await client(worker.base, null).get('/v1/communities')).status, 401);
  assert.equal((await client(worker.base, 'nope').get('/v1/communities')).status, 401);
});
