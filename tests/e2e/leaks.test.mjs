// Issue 27: what a revoked, unproved or repeating caller could still learn or do. Each test makes
// the probe that once succeeded against `make dev` and asserts that it now fails. SECURITY.md lists
// each with its defence and its test here (rows 21 to 24; row 25, resends, is tested in
// outgoing.test.mjs beside its receiver).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { startWorker } from './support/worker.mjs';
import { client, deliver, seedCommunity } from './support/api.mjs';

let worker, admin, cid, uid;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin, 'Leaks'));
});
after(async () => worker?.stop());

const webhooks = () => `/v1/communities/${cid}/incoming-webhooks`;
const coinsMapping = { user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] };
const body = (n = 5) => JSON.stringify({ e: 'ada@example.com', n, id: randomUUID() });
const github = (secret, text) => ({
  'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`,
  'x-github-delivery': randomUUID(),
});

async function create(extra) {
  const res = await admin.post(webhooks(), { name: `leak ${randomUUID()}`, mapping: coinsMapping, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** Per-minute counts start again each calendar minute: keep a burst inside one. */
async function sameMinute(seconds) {
  const second = new Date().getSeconds();
  if (second > 59 - seconds) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
}

/**
 * Polls a dry run with the revoked credential right after the revocation, for about two seconds
 * (the edge's isolate cached the record a moment before: 60 s in memory, 300 s in KV): what each
 * answer was, as `status code`, and whether any told the member's id.
 */
async function poll(send) {
  const seen = new Set();
  let told = false;
  for (let i = 0; i < 8; i += 1) {
    const res = await send();
    seen.add(`${res.status} ${res.body?.error?.code ?? '-'}`);
    told ||= res.text.includes(uid);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { answers: [...seen], told };
}

test('issue 27 item 1: a dry run with a rotated API key, on a disabled or a deleted webhook, is refused at once', async () => {
  const got = {};
  const expected = {};
  for (const [what, revoke, answer] of [
    ['key rotated', (hook) => admin.patch(`${webhooks()}/${hook.id}`, { api_key: true }), '401 invalid_api_key'],
    ['webhook disabled', (hook) => admin.patch(`${webhooks()}/${hook.id}`, { enabled: false }), '403 webhook_disabled'],
    ['webhook deleted', (hook) => admin.del(`${webhooks()}/${hook.id}`), '404 not_found'],
  ]) {
    const hook = await create({ api_key: true });
    const send = () => deliver(`${hook.url}?dry_run=true`, body(), { 'x-api-key': hook.api_key });
    // The edge isolate now holds the record, and says what a dry run said before issue 27.
    const warm = await send();
    assert.equal(warm.status, 200, `${what}: ${warm.text}`);
    assert.equal(warm.body.member.id, uid);
    const revoked = await revoke(hook);
    assert.ok([200, 204].includes(revoked.status), revoked.text);
    got[what] = await poll(send);
    expected[what] = { answers: [answer], told: false };
  }
  assert.deepEqual(got, expected);
});

test('issue 27 item 1: a dry run signed with a secret revoked with previous_secret_hours 0 is refused at once', async () => {
  // Both ways of ending the grace: a rotation with none, and previous_secret_hours alone later.
  const got = {};
  const expected = {};
  for (const [what, end] of [
    ['rotated with no grace', (patch) => patch({ signature: { scheme: 'github' }, previous_secret_hours: 0 })],
    ['grace ended alone', async (patch) => {
      const rotated = await patch({ signature: { scheme: 'github' } });
      assert.ok(rotated.body.previous_secret_verifies_until, rotated.text);
      return patch({ previous_secret_hours: 0 });
    }],
  ]) {
    const hook = await create({ signature: { scheme: 'github' } });
    const patch = (b) => admin.patch(`${webhooks()}/${hook.id}`, b);
    const send = () => { const text = body(); return deliver(`${hook.url}?dry_run=true`, text, github(hook.signing_secret, text)); };
    const warm = await send();
    assert.equal(warm.status, 200, `${what}: ${warm.text}`);
    const ended = await end(patch);
    assert.equal(ended.status, 200, ended.text);
    assert.equal(ended.body.previous_secret_verifies_until, null);
    got[what] = await poll(send);
    expected[what] = { answers: ['401 invalid_signature'], told: false };
  }
  assert.deepEqual(got, expected);
});

test('issue 27 item 2: without key or signature, a dry run is refused and a delivery is answered with its id and status only', async () => {
  const hook = await create({});
  const dry = await deliver(`${hook.url}?dry_run=true`, body());
  assert.equal(dry.status, 401, dry.text);
  assert.equal(dry.body.error.code, 'proof_required');
  assert.ok(!dry.text.includes(uid));

  const text = body(7);
  const headers = { 'idempotency-key': `once-${randomUUID()}` };
  const real = await deliver(hook.url, text, headers);
  assert.equal(real.status, 200, real.text);
  assert.deepEqual(Object.keys(real.body).sort(), ['delivery_id', 'status']);
  assert.equal(real.body.status, 'success');
  // A repeat is told no more: not the member, nor the first delivery's effects.
  const again = await deliver(hook.url, text, headers);
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.body, { delivery_id: real.body.delivery_id, status: 'success' });
  // The admin's history keeps every detail.
  const kept = (await admin.get(`${webhooks()}/${hook.id}/deliveries/${real.body.delivery_id}`)).body;
  assert.equal(kept.user_id, uid);
  assert.equal(kept.effects[0].amount, 7);

  // A proved sender is told everything, as before.
  const keyed = await create({ api_key: true });
  const told = await deliver(keyed.url, body(1), { 'x-api-key': keyed.api_key });
  assert.equal(told.status, 200, told.text);
  assert.equal(told.body.member.id, uid);
  const dryKeyed = await deliver(`${keyed.url}?dry_run=true`, body(1), { 'x-api-key': keyed.api_key });
  assert.equal(dryKeyed.status, 200, dryKeyed.text);
  assert.equal(dryKeyed.body.balances_after.coins, dryKeyed.body.member.coins + 1);
});

test('issue 27 item 1: dry runs count against the webhook\'s rate_limit', async () => {
  const hook = await create({ api_key: true, rate_limit: 3 });
  const key = { 'x-api-key': hook.api_key };
  await sameMinute(10);
  const statuses = [];
  for (let i = 0; i < 5; i += 1) statuses.push((await deliver(`${hook.url}?dry_run=true`, body(), key)).status);
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  const real = await deliver(hook.url, body(), key);
  assert.equal(real.status, 429, 'the dry runs spent the minute');
  assert.equal(real.body.error.code, 'rate_limited');
});

test('issue 27 item 5: the API refuses a body over 256 KiB with 413, and reads one under it', async () => {
  assert.equal((await admin.post('/v1/communities', { name: 'Under the limit' })).status, 201);
  const over = await admin.post('/v1/communities', JSON.stringify({ name: 'x'.repeat(256 * 1024) }));
  assert.equal(over.status, 413, over.text);
  assert.equal(over.body.error.code, 'payload_too_large');
  // That reading stops at the cap (a chunked body is never read whole) is http.rs's unit test:
  // `wrangler dev` buffers bodies in front of the worker, and its proxy answers the request after
  // an early answer to a body still being sent with a 503, at the edge's /hooks as well.
});

test('issue 27 item 3: a community defines at most 100 user fields; concurrent creates stop exactly at the cap', async () => {
  const own = (await admin.post('/v1/communities', { name: 'Fields' })).body.id;
  const fields = `/v1/communities/${own}/user-fields`;
  // 64-character keys, the longest there are: what inflated every cached record before the cap.
  const key = (i) => `f${i}_`.padEnd(64, 'x');
  const results = await Promise.all(Array.from({ length: 110 }, (_, i) => admin.post(fields, { key: key(i), type: 'number' })));
  const created = results.filter((r) => r.status === 201).length;
  const refused = results.filter((r) => r.status !== 201);
  assert.equal(created, 100, 'concurrent creates stop exactly at the cap');
  for (const r of refused) {
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.error.code, 'too_many_user_fields');
    assert.match(r.body.error.message, /at most 100 user fields/);
  }
  assert.equal((await admin.get(`${fields}?per_page=1`)).body.total, 100);
  // Full: nothing more, and nothing changed by the refusal; a deleted field makes room for one.
  const more = await admin.post(fields, { key: 'one_more', type: 'text' });
  assert.equal(more.status, 422, more.text);
  const listed = (await admin.get(`${fields}?per_page=50`)).body.data;
  assert.equal((await admin.del(`${fields}/${listed[0].key}`)).status, 204);
  assert.equal((await admin.post(fields, { key: 'one_more', type: 'text' })).status, 201);
  assert.equal((await admin.post(fields, { key: 'two_more', type: 'text' })).status, 422);
  // The webhooks of a full community still work.
  await admin.post(`/v1/communities/${own}/users`, { email: 'ada@example.com', username: 'ada' });
  const hook = (await admin.post(`/v1/communities/${own}/incoming-webhooks`, { name: 'full', api_key: true,
    mapping: { user: { match: 'email', path: 'e' }, fields: [{ target: { field: listed[1].key }, op: 'add', path: 'n' }] } })).body;
  const res = await deliver(hook.url, JSON.stringify({ e: 'ada@example.com', n: 2 }), { 'x-api-key': hook.api_key });
  assert.equal(res.status, 200, res.text);
});
