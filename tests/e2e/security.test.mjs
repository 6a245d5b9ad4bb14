// Trust: secrets at rest, tenant isolation over every route, incoming signatures, rate limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { persisted, startWorker } from './support/worker.mjs';
import { client, deliver, deliverOnceLoosened, envelope, seedCommunity, KEY, IV } from './support/api.mjs';

let worker, admin;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

test('encryption keys and signing secrets are sealed in D1 and KV, never stored in clear', async () => {
  const { cid } = await seedCommunity(admin, 'Vault');
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'sealed', encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV },
    mapping: { user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'xp' }, op: 'add', path: 'n' }] },
  })).body;
  const sub = (await admin.post(`/v1/communities/${cid}/webhooks`, {
    url: 'https://example.com/hook', events: ['store.purchased'],
    encryption: { algorithm: 'aes-256-cbc', key: 'another-key-of-32-characters-!!!', iv: 'another-iv-16-ch' },
  })).body;
  // A delivery puts the webhook record in the KV cache; it must still decrypt with the key.
  const res = await deliver(hook.url, envelope('aes-256-gcm', KEY, JSON.stringify({ e: 'ada@example.com', n: 1 })));
  assert.equal(res.status, 200, res.text);
  // The journal may still hold pages; a restart makes workerd write everything to the files.
  await worker.restart();
  const bytes = persisted(worker.state);
  for (const secret of [KEY, IV, 'another-key-of-32-characters-!!!', sub.secret.slice('whsec_'.length)]) {
    assert.equal(bytes.includes(Buffer.from(secret)), false, `${secret} is stored in clear`);
  }
  assert.ok(bytes.includes(Buffer.from('sealed:v1:')), 'sealed values are there');
  // And they still work after the restart (on a new port).
  const url = hook.url.replace(/^http:\/\/[^/]+/, worker.base);
  const again = await deliver(url, envelope('aes-256-gcm', KEY, JSON.stringify({ e: 'ada@example.com', n: 1 })));
  assert.equal(again.status, 200, again.text);
  admin = client(worker.base, worker.adminToken);
  assert.deepEqual((await admin.get(`/v1/communities/${cid}/webhooks/${sub.id}`)).body.encryption, { algorithm: 'aes-256-cbc', fixed_iv: false });
});

// Plausible bodies, so that a route missing its tenant check would succeed and be caught.
const BODIES = {
  'POST /v1/communities/{cid}/api-keys': { name: 'intruder' },
  'POST /v1/communities/{cid}/users': { email: 'intruder@example.com', username: 'intruder' },
  'POST /v1/communities/{cid}/users/{uid}/adjustments': { reason: 'theft', balances: [{ currency: 'coins', op: 'add', amount: 1000 }] },
  'POST /v1/communities/{cid}/api-keys/{kid}/rotate': { previous_key_hours: 0 },
  'POST /v1/communities/{cid}/user-fields': { key: 'stolen', type: 'text' },
  'PATCH /v1/communities/{cid}/user-fields/{key}': { name: 'Renamed' },
  'POST /v1/communities/{cid}/channels': { name: 'intruders' },
  'PATCH /v1/communities/{cid}/bot': { name: 'Intruder' },
  'POST /v1/communities/{cid}/webhooks': { url: 'https://example.com/x', events: ['member.joined'] },
  'PATCH /v1/communities/{cid}/webhooks/{sid}': { is_active: false },
  'POST /v1/communities/{cid}/events': { type: 'store.purchased', data: {} },
  'POST /v1/communities/{cid}/event-types': { name: 'intruder.arrived', description: 'x' },
  'POST /v1/communities/{cid}/incoming-webhooks': { name: 'intruder' },
  'PATCH /v1/communities/{cid}/incoming-webhooks/{wid}': { name: 'Renamed', enabled: false },
};

/** A community with one of everything, as its admin sees it. */
async function richCommunity(name) {
  const { cid, uid } = await seedCommunity(admin, name);
  const call = (method, path, body) => admin.call(method, `/v1/communities/${cid}${path}`, body);
  const kid = (await call('POST', '/api-keys', { name: 'k' })).body.id;
  // Field keys are unique per community only: this one exists in this community alone.
  const key = (await call('POST', '/user-fields', { key: `only_${name.toLowerCase()}`, type: 'number' })).body.key;
  const chid = (await call('POST', '/channels', { name: 'general' })).body.id;
  // Event type names are unique per community only: this one exists in this community alone.
  const typeName = (await call('POST', '/event-types', { name: `only_${name.toLowerCase()}.happened`, description: 'x' })).body.name;
  const sid = (await call('POST', '/webhooks', { url: 'http://127.0.0.1:9/none', events: ['store.purchased', typeName] })).body.id;
  const lid = (await call('POST', `/webhooks/${sid}/test`)).body.log_id;
  const hook = (await call('POST', '/incoming-webhooks', { name: 'w' })).body;
  const did = (await deliver(hook.url, JSON.stringify({ a: 1 }))).body.delivery_id;
  const rid = (await call('POST', `/incoming-webhooks/${hook.id}/deliveries/replay`, { until: '2000-01-01' })).body.id;
  const ids = { cid, uid, kid, key, chid, sid, lid, wid: hook.id, did, rid, name: typeName };
  assert.ok(Object.values(ids).every(Boolean), JSON.stringify(ids));
  return ids;
}

/** Everything an admin can read about a community: it must not change under an intruder. */
async function snapshot(ids) {
  const paths = ['', '/api-keys', '/users', `/users/${ids.uid}`, `/users/${ids.uid}/adjustments`, '/user-fields', '/channels', `/channels/${ids.chid}/messages`,
    '/bot', '/webhooks', `/webhooks/${ids.sid}`, `/webhooks/${ids.sid}/logs`, '/incoming-webhooks',
    '/event-types', `/event-types/${ids.name}`, `/incoming-webhooks/${ids.wid}`, `/incoming-webhooks/${ids.wid}/deliveries`, '/gamification-logs', '/user-field-histories'];
  const out = {};
  for (const path of paths) out[path] = (await admin.get(`/v1/communities/${ids.cid}${path}`)).text;
  return out;
}

test('tenant isolation over every route: another community is indistinguishable from none', async () => {
  const victim = await richCommunity('Victim');
  const intruderIds = await richCommunity('Intruder');
  const intruderKey = (await admin.post(`/v1/communities/${intruderIds.cid}/api-keys`, { name: 'mine' })).body.key;
  const intruder = client(worker.base, intruderKey);
  const before = await snapshot(victim);

  const routes = (await intruder.get('/v1/routes')).body.data;
  assert.ok(routes.length >= 39, `only ${routes.length} routes listed`);
  let checked = 0;
  for (const { method, path } of routes) {
    const fill = (ids) => path.replace(/\{(\w+)\}/g, (_, name) => {
      assert.ok(name in ids, `${method} ${path}: the test does not know {${name}}; add it to richCommunity`);
      return ids[name];
    });
    const body = BODIES[`${method} ${path}`] ?? (method === 'GET' || method === 'DELETE' ? undefined : {});
    if (!path.includes('{cid}')) {
      const res = await intruder.call(method, path, body);
      // Creating and listing communities is the admin token's alone.
      if (path === '/v1/communities') assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
      continue;
    }
    // The victim's community, and the intruder's own community with the victim's resource ids.
    const theirs = await intruder.call(method, fill(victim), body);
    assert.equal(theirs.status, 404, `${method} ${fill(victim)}: ${theirs.text}`);
    const none = await intruder.call(method, fill({ ...victim, cid: 'com_does_not_exist' }), body);
    assert.deepEqual(theirs.body, none.body, `${method} ${path}: another community must look like none`);
    if (path.split('{').length > 2) {
      const mixed = await intruder.call(method, fill({ ...victim, cid: intruderIds.cid }), body);
      assert.equal(mixed.status, 404, `${method} ${path} with the intruder's community: ${mixed.text}`);
    }
    checked += 1;
  }
  assert.ok(checked >= 36, `checked ${checked} community routes`);
  assert.deepEqual(await snapshot(victim), before, 'the victim community is unchanged');
});

test('signed incoming webhooks: verified, fresh, rotatable, and keyed by webhook-id', async () => {
  const { cid, uid } = await seedCommunity(admin, 'Signed');
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'signed', signing_secret: true,
    mapping: { user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  });
  assert.equal(created.status, 201, created.text);
  const { url, signing_secret: secret, id } = created.body;
  assert.match(secret, /^whsec_/);
  assert.equal((await admin.get(`/v1/communities/${cid}/incoming-webhooks/${id}`)).body.signing_secret, true);

  const body = JSON.stringify({ e: 'ada@example.com', n: 5 });
  const sign = (msgId, ts, text, key = secret) => `v1,${createHmac('sha256', Buffer.from(key.slice(6), 'base64')).update(`${msgId}.${ts}.${text}`).digest('base64')}`;
  const now = () => Math.floor(Date.now() / 1000);
  const headers = (msgId, ts = now(), signature = sign(msgId, ts, body)) =>
    ({ 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': signature });

  const ok = await deliver(url, body, headers('msg_1'));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.idempotency_key, 'msg_1');
  const again = await deliver(url, body, headers('msg_1'));
  assert.equal(again.body.duplicate, true, 'the same webhook-id applies once');

  const rotating = `v1,${Buffer.alloc(32).toString('base64')} ${sign('msg_2', now(), body)}`;
  assert.equal((await deliver(url, body, headers('msg_2', now(), rotating))).status, 200, 'any one signature may match');

  const refusals = [
    ['no headers', {}],
    // A minute past the 300 s tolerance either way: this clock and the worker's read whole seconds
    // at different moments, so ±301 could land on the boundary. hookmap-core checks the exact
    // boundary with a fixed clock (signature::tests).
    ['an old timestamp', headers('msg_3', now() - 360)],
    ['a future timestamp', headers('msg_4', now() + 360)],
    ['another secret', headers('msg_5', now(), sign('msg_5', now(), body, `whsec_${Buffer.alloc(24, 1).toString('base64')}`))],
    ['a changed body', headers('msg_6', now(), sign('msg_6', now(), body.replace('5', '500')))],
  ];
  for (const [what, h] of refusals) {
    const res = await deliver(url, body, h);
    assert.equal(res.status, 401, `${what}: ${res.text}`);
    assert.equal(res.body.error.code, 'invalid_signature', what);
  }
  assert.equal((await admin.get(`/v1/communities/${cid}/users/${uid}`)).body.coins, 10, 'only the two signed deliveries applied');

  // Rotated with no grace, as after a leak (a rotation's grace is in senders.test.mjs).
  const rotated = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${id}`, { signing_secret: true, previous_secret_hours: 0 });
  assert.notEqual(rotated.body.signing_secret, secret);
  assert.equal((await deliver(url, body, headers('msg_7'))).status, 401, 'the old secret no longer verifies');
  const off = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${id}`, { signing_secret: false });
  assert.equal(off.body.signing_secret, false);
  const unsigned = await deliverOnceLoosened(401, url, body, {});
  assert.equal(unsigned.status, 200, unsigned.text);
});

test('a webhook over its rate limit answers 429 with Retry-After, records nothing, and others are unaffected', async () => {
  const { cid } = await seedCommunity(admin, 'Busy');
  const mapping = { user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'xp' }, op: 'add', path: 'n' }] };
  const make = async (body) => (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'w', mapping, ...body })).body;
  const bad = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'w', rate_limit: 0 });
  assert.equal(bad.body.error.details.at, 'rate_limit');
  const limited = await make({ rate_limit: 3 });
  const other = await make({});
  assert.deepEqual([limited.rate_limit, other.rate_limit], [3, 600]);
  // Counts are per calendar minute: keep the burst inside one.
  const second = new Date().getSeconds();
  if (second >= 55) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
  const send = (url) => fetch(url, { method: 'POST', body: JSON.stringify({ e: 'ada@example.com', n: 1 }) });
  const statuses = [];
  let refused;
  for (let i = 0; i < 5; i += 1) {
    const res = await send(limited.url);
    statuses.push(res.status);
    if (res.status === 429) refused = { retryAfter: Number(res.headers.get('retry-after')), body: await res.json() };
    else await res.arrayBuffer();
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  assert.ok(refused.retryAfter >= 1 && refused.retryAfter <= 60, `Retry-After ${refused.retryAfter}`);
  assert.equal(refused.body.error.code, 'rate_limited');
  assert.equal(refused.body.delivery_id, undefined, 'a refused request is not recorded: a flood cannot fill the history');
  assert.equal((await send(other.url)).status, 200, 'another webhook has its own count');
  const history = (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${limited.id}/deliveries`)).body;
  assert.equal(history.total, 3, 'only the three accepted deliveries are in the history');
  const user = (await admin.get(`/v1/communities/${cid}/users?email=ada@example.com`)).body.data[0];
  assert.equal(user.xp, 4, 'refused requests changed nothing');
});
