// The request log: one JSON line per request on wrangler dev's console, naming the route by its
// pattern, with ids and timing, and never a secret or a payload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, workerLines as linesOf } from './support/worker.mjs';
import { client, encryptGcm, seedCommunity, contractMapping, KEY, IV } from './support/api.mjs';

let worker, admin, cid;
before(async () => {
  worker = await startWorker({ logLevel: 'log' });
  admin = client(worker.base, worker.adminToken);
  ({ cid } = await seedCommunity(admin, 'Logs'));
});
after(async () => {
  await worker?.stop();
});

const workerLines = () => linesOf(worker);
const requestLines = () => workerLines().filter((l) => l.msg === 'request');

async function eventually(probe, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; log:\n${worker.log.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('each request logs one JSON line with its route pattern, status, timing and ids, and no secret', async () => {
  const secretMarker = 'payload-marker-that-must-not-be-logged';
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'Logged', location: 'user_fields', enabled: true, api_key: true,
    encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV }, mapping: contractMapping,
  });
  assert.equal(created.status, 201, created.text);
  const hook = created.body;
  const token = hook.url.split('/').pop();

  const payload = { customer: { email: 'ada@example.com' }, order: { id: 'L-1' }, reward: { coins: 5 }, penalty: 0, tier: secretMarker, items: [{ qty: 1 }] };
  const res = await fetch(hook.url, {
    method: 'POST', body: encryptGcm(KEY, IV, JSON.stringify(payload)),
    headers: { 'content-type': 'application/json', 'x-api-key': hook.api_key },
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  // The answer names the delivery in a header too, for the sender's HTTP log.
  assert.equal(res.headers.get('hookmap-delivery-id'), body.delivery_id);

  const wrongKey = await fetch(hook.url, { method: 'POST', body: '{}', headers: { 'x-api-key': 'hmw_wrong' } });
  assert.equal(wrongKey.status, 401);
  const unknown = await admin.get('/v1/no-such-route');
  assert.equal(unknown.status, 404);

  const edge = await eventually(() => requestLines().find((l) => l.delivery_id === body.delivery_id), 'the delivery line');
  // The first delivery found its webhook in D1 (nothing cached yet) and its catalog in the
  // community's object, then applied in one transaction there: each round trip counted by store.
  const { d1, kv, object } = edge.round_trips;
  assert.deepEqual(
    { ...edge, duration_ms: typeof edge.duration_ms, storage_round_trips: edge.storage_round_trips >= 1,
      round_trips: { d1: d1 >= 1, kv: typeof kv, object: object >= 1 } },
    { level: 'info', msg: 'request', method: 'POST', route: '/hooks/{token}', status: 200, duration_ms: 'number',
      community_id: cid, delivery_id: body.delivery_id, storage_round_trips: true,
      round_trips: { d1: true, kv: 'number', object: true } },
  );
  assert.equal(edge.storage_round_trips, d1 + kv + object);
  // With the webhook's record cached, a delivery's hot path goes to its community's object alone.
  const again = await fetch(hook.url, {
    method: 'POST', body: encryptGcm(KEY, IV, JSON.stringify({ ...payload, order: { id: 'L-2' } })),
    headers: { 'content-type': 'application/json', 'x-api-key': hook.api_key },
  });
  const second = await again.json();
  assert.equal(again.status, 200, JSON.stringify(second));
  const hot = await eventually(() => requestLines().find((l) => l.delivery_id === second.delivery_id), 'the second delivery line');
  assert.deepEqual({ d1: hot.round_trips.d1, object: hot.round_trips.object }, { d1: 0, object: 1 });
  const refused = await eventually(() => requestLines().find((l) => l.route === '/hooks/{token}' && l.status === 401), 'the 401 line');
  assert.equal(refused.level, 'warn');
  assert.equal(refused.error, 'invalid_api_key');
  assert.match(refused.delivery_id, /./, 'a refused delivery is recorded, and its line names it');
  const create = requestLines().find((l) => l.route === '/v1/communities/{cid}/incoming-webhooks' && l.method === 'POST');
  assert.equal(create?.status, 201);
  assert.equal(create.community_id, cid);
  const missing = await eventually(() => requestLines().find((l) => l.status === 404 && l.error === 'no_route'), 'the 404 line');
  assert.equal(missing.route, '(no route)');

  // The worker's lines only: wrangler dev's own access log prints each path, tokens included.
  const ours = JSON.stringify(workerLines());
  assert.ok(requestLines().length >= 8, ours);
  for (const secret of [token, hook.api_key, KEY, IV, worker.adminToken, secretMarker]) {
    assert.ok(!ours.includes(secret), `the log shows a secret or payload: ${secret}`);
  }
});

test("a webhook's health is read from the community's object only by the routes that show the webhook", async () => {
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Health', mapping: contractMapping })).body;
  // The line of the call `send` makes: the route's lines are counted before it, and the next awaited.
  const lineOf = async (method, route, send) => {
    const lines = () => requestLines().filter((l) => l.method === method && l.route === route);
    const before = lines().length;
    const res = await send();
    assert.equal(res.status, 200, res.text);
    return eventually(() => lines()[before], `the ${method} ${route} line`);
  };
  // Shown: the directory's row, and its health from the object.
  const shown = await lineOf('GET', '/v1/communities/{cid}/incoming-webhooks/{wid}',
    () => admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`));
  assert.equal(shown.round_trips.object, 1, JSON.stringify(shown));
  // Its deliveries: the directory says the webhook is the community's, the object has the page.
  const listed = await lineOf('GET', '/v1/communities/{cid}/incoming-webhooks/{wid}/deliveries',
    () => admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`));
  assert.equal(listed.round_trips.object, 1, JSON.stringify(listed));
});

test('LOG_LEVEL=warn keeps 4xx lines and drops the rest', async () => {
  const quiet = await startWorker({ logLevel: 'log', vars: { LOG_LEVEL: 'warn' } });
  try {
    const api = client(quiet.base, quiet.adminToken);
    assert.equal((await api.get('/v1/me')).status, 200);
    assert.equal((await api.get('/v1/nowhere')).status, 404);
    const lines = () => quiet.log.join('').replace(/\x1b\[[0-9;]*m/g, '').split('\n') // eslint-disable-line no-control-regex
      .filter((l) => l.includes('"msg":"request"'));
    await eventually(() => lines().some((l) => l.includes('"status":404')), 'the 404 line');
    assert.ok(!lines().some((l) => l.includes('"route":"/v1/me"')), lines().join('\n'));
  } finally {
    await quiet.stop();
  }
});
