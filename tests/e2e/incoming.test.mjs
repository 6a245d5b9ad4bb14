// The incoming-webhook flow end to end, as the README walks through it: an admin sets up a
// community and a webhook, an external system sends encrypted payloads, the admin reads the results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { d1, startWorker } from './support/worker.mjs';
import { client, deliver, deliverOnceLoosened, encryptGcm, encryptCbc, envelope, seedCommunity, KEY, IV, contractMapping } from './support/api.mjs';

let worker, admin, cid, uid;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin));
});
after(async () => worker?.stop());

const order = (id, extra = {}) => ({
  customer: { email: 'ada@example.com' }, order: { id }, reward: { coins: 50 }, penalty: 0,
  tier: 'gold', items: [{ qty: 2 }], ...extra,
});

/** Headers with `hook`'s API key: only a proved sender is told duplicates and balances (issue 27). */
const keyed = (hook, headers = {}) => ({ 'x-api-key': hook.api_key, ...headers });

async function member() {
  const res = await admin.get(`/v1/communities/${cid}/users/${uid}`);
  assert.equal(res.status, 200);
  return res.body;
}

test('a GCM webhook with an API key applies an encrypted delivery exactly once', async () => {
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'Shop rewards', location: 'user_fields', enabled: true, api_key: true,
    encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV }, mapping: contractMapping,
  });
  assert.equal(created.status, 201, created.text);
  const hook = created.body;
  assert.match(hook.url, /\/hooks\/[0-9a-f]{48}$/);
  assert.match(hook.api_key, /^hmw_[0-9a-f]{48}$/);
  assert.deepEqual(hook.encryption, { algorithm: 'aes-256-gcm' });

  // Secrets are shown once: reads give only whether they are set.
  const read = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`);
  assert.equal(read.body.api_key, true);
  assert.ok(!read.text.includes(KEY) && !read.text.includes(IV) && !read.text.includes(hook.api_key));

  const before = await member();
  // The edge builds only what the mapping reads; the log keeps the rest too, as it was sent.
  const sent = order('A-1', { penalty: 0, unread: { list: [1, 'two', { deep: [null, true] }] } });
  const body = encryptGcm(KEY, IV, JSON.stringify(sent, null, 2));
  const first = await deliver(hook.url, body, { 'x-api-key': hook.api_key });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.status, 'success');
  assert.equal(first.body.duplicate, false);
  assert.equal(first.body.member.coins, before.coins + 50);

  const again = await deliver(hook.url, body, { authorization: `Bearer ${hook.api_key}` });
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true);
  assert.equal(again.body.delivery_id, first.body.delivery_id);

  const after = await member();
  assert.equal(after.coins, before.coins + 50);
  assert.equal(after.fields.tier, 'gold');
  assert.equal(after.fields.orders, (before.fields.orders ?? 0) + 2);

  const logs = await admin.get(`/v1/communities/${cid}/gamification-logs?user_id=${uid}`);
  const log = logs.body.data.find((l) => l.delivery_id === first.body.delivery_id && l.currency === 'coins');
  assert.deepEqual({ ...log, id: undefined, created_at: undefined }, {
    id: undefined, created_at: undefined, user_id: uid, currency: 'coins', delta: 50,
    balance_after: before.coins + 50, action: 'Shop rewards', delivery_id: first.body.delivery_id,
  });

  const history = await admin.get(`/v1/communities/${cid}/user-field-histories?user_id=${uid}&field=tier`);
  assert.equal(history.body.data[0].new_value, 'gold');
  assert.equal(history.body.data[0].source, 'webhook:Shop rewards');

  const deliveries = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries?status=success`);
  assert.equal(deliveries.body.total, 1, 'a duplicate is answered from the first delivery, not recorded again');
  const detail = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${first.body.delivery_id}`);
  assert.deepEqual(detail.body.payload, sent);
  assert.equal(detail.body.idempotency_key, 'A-1');

  const caught = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/catch`);
  assert.deepEqual(caught.body.payload, sent);
});

test('CBC with a fixed IV and both ciphers with per-message IV envelopes', async () => {
  // A per-message CBC IV needs a proved sender (a chosen IV makes CBC's answers an oracle).
  const mk = async (algorithm, extra = {}) => (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: `Env ${algorithm}`, encryption: { algorithm, key: KEY, iv: IV }, mapping: contractMapping, ...extra,
  })).body;
  const cbc = await mk('aes-256-cbc', { api_key: true });
  const gcm = await mk('aes-256-gcm');
  const start = (await member()).coins;
  const keyed = { 'x-api-key': cbc.api_key };
  const sends = [
    [cbc.url, encryptCbc(KEY, IV, JSON.stringify(order('C-1'))), keyed],
    [cbc.url, envelope('aes-256-cbc', KEY, JSON.stringify(order('C-2'))), keyed],
    [gcm.url, envelope('aes-256-gcm', KEY, JSON.stringify(order('G-1'))), {}],
  ];
  for (const [url, body, headers] of sends) {
    const res = await deliver(url, body, headers);
    assert.equal(res.status, 200, res.text);
  }
  assert.equal((await member()).coins, start + 150);
});

test('a header key never overrides the payload path: it must be the same key, or none', async () => {
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Plain', api_key: true, mapping: contractMapping })).body;
  const start = (await member()).coins;
  const a = await deliver(hook.url, JSON.stringify(order('same')), keyed(hook, { 'idempotency-key': 'same' }));
  const b = await deliver(hook.url, JSON.stringify(order('same')), keyed(hook));
  const c = await deliver(hook.url, JSON.stringify(order('same')), keyed(hook, { 'idempotency-key': 'k-2' }));
  const d = await deliver(hook.url, JSON.stringify(order('other')), keyed(hook, { 'webhook-id': 'k-1' }));
  assert.deepEqual([a.status, b.status, c.status, d.status], [200, 200, 400, 400]);
  assert.deepEqual([a.body.duplicate, b.body.duplicate], [false, true]);
  assert.deepEqual([c.body.error.code, d.body.error.code], ['idempotency_conflict', 'idempotency_conflict']);
  assert.match(c.body.error.message, /idempotency_path/);
  assert.equal((await member()).coins, start + 50);
});

test('without a payload path, Idempotency-Key (else webhook-id) keys a delivery', async () => {
  const { idempotency_path: _, ...unkeyed } = contractMapping;
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Headers', api_key: true, mapping: unkeyed })).body;
  const start = (await member()).coins;
  const a = await deliver(hook.url, JSON.stringify(order('x')), keyed(hook, { 'idempotency-key': 'k-1' }));
  const b = await deliver(hook.url, JSON.stringify(order('y')), keyed(hook, { 'idempotency-key': 'k-2' }));
  const c = await deliver(hook.url, JSON.stringify(order('z')), keyed(hook, { 'webhook-id': 'k-1' }));
  assert.deepEqual([a.status, b.status, c.status], [200, 200, 200]);
  assert.deepEqual([a.body.duplicate, b.body.duplicate, c.body.duplicate], [false, false, true]);
  assert.equal((await member()).coins, start + 100);
});

test('dry_run computes effects against current balances and changes nothing', async () => {
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Dry', api_key: true, mapping: contractMapping })).body;
  const before = await member();
  const res = await deliver(`${hook.url}?dry_run=true`, JSON.stringify(order('D-1')), keyed(hook));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.dry_run, true);
  assert.equal(res.body.balances_after.coins, before.coins + 50);
  const tooMuch = await deliver(`${hook.url}?dry_run=true`, JSON.stringify(order('D-2', { penalty: before.xp + 1 })), keyed(hook));
  assert.equal(tooMuch.status, 422);
  assert.equal(tooMuch.body.error.code, 'insufficient_balance');
  assert.deepEqual(await member(), before);
  const deliveries = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`);
  assert.equal(deliveries.body.total, 0);
  // A real delivery with the same key afterwards is not a duplicate: dry runs take no key.
  const real = await deliver(hook.url, JSON.stringify(order('D-1')), keyed(hook));
  assert.equal(real.body.duplicate, false);
});

test('without a mapping a delivery is caught and pending; after mapping, a replay applies it once', async () => {
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Later' })).body;
  const sample = { who: { name: 'ada' }, points: 7 };
  const res = await deliver(hook.url, JSON.stringify(sample));
  assert.equal(res.status, 202, res.text);
  assert.equal(res.body.status, 'pending');
  const caught = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/catch`);
  assert.deepEqual(caught.body.payload, sample);

  const patched = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, {
    mapping: { user: { match: 'username', path: 'who.name' }, fields: [{ target: { currency: 'xp' }, op: 'add', path: 'points' }] },
  });
  assert.equal(patched.status, 200, patched.text);
  const xp = (await member()).xp;
  const replay = `/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${res.body.delivery_id}/replay`;
  const first = await admin.post(replay);
  assert.equal(first.status, 200, first.text);
  assert.equal((await member()).xp, xp + 7);
  const second = await admin.post(replay);
  assert.equal(second.status, 200);
  assert.equal(second.body.duplicate, true);
  const ofSuccess = await admin.post(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${first.body.delivery_id}/replay`);
  assert.equal(ofSuccess.status, 409);
  assert.equal(ofSuccess.body.error.code, 'already_applied');
  assert.equal((await member()).xp, xp + 7);
  const history = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${first.body.delivery_id}`);
  assert.equal(history.body.replay_of, res.body.delivery_id);
});

test('a form body and query parameters are kept as the JSON they became and mapped with the same paths', async () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  const body = (id) => `customer%5Bemail%5D=ada%40example.com&order[id]=${id}&reward[coins]=50.00&items[0][qty]=2&note=50%25+off`;
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Form' })).body;
  // dry_run (reserved, here not a dry run) is the edge's, never the payload's.
  const res = await deliver(`${hook.url}?source=shop&dry_run=0`, body('F-1'), form);
  assert.equal(res.status, 202, res.text);
  const became = { customer: { email: 'ada@example.com' }, items: [{ qty: '2' }], note: '50% off', order: { id: 'F-1' }, reward: { coins: '50.00' }, source: 'shop' };
  const caught = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/catch`);
  assert.deepEqual(caught.body.payload, became);
  const kept = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${res.body.delivery_id}`);
  assert.deepEqual(kept.body.payload, became, 'the history keeps the JSON, not the form');

  await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, { mapping: {
    user: { match: 'email', path: 'customer.email' }, idempotency_path: 'order.id',
    fields: [{ target: { currency: 'coins' }, op: 'add', path: 'reward.coins' }] } });
  const coins = (await member()).coins;
  const applied = await deliverOnceLoosened(202, hook.url, body('F-2'), form);
  assert.equal(applied.status, 200, applied.text);
  assert.equal((await member()).coins, coins + 50);
  // A key in both the body and the query: refused (undecodable to the sender), named in the history.
  const both = await deliver(`${hook.url}?order[id]=F-9`, body('F-3'), form);
  assert.equal(both.status, 400, both.text);
  assert.equal(both.body.error.code, 'undecodable');
  const failed = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${both.body.delivery_id}`);
  assert.equal(failed.body.error.code, 'invalid_form');
  assert.match(failed.body.error.message, /"order" is in both the body and the query string/);
  assert.equal((await member()).coins, coins + 50);
});

test('an encrypted webhook takes no query parameters: the key vouches for the whole payload', async () => {
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'Sealed', api_key: true, encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV }, mapping: contractMapping })).body;
  const key = { 'x-api-key': hook.api_key };
  const sealed = encryptGcm(KEY, IV, JSON.stringify(order('Q-1')));
  const res = await deliver(`${hook.url}?tier=platinum`, sealed, key);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.body.error.code, 'undecodable');
  const row = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${res.body.delivery_id}`);
  assert.equal(row.body.error.code, 'invalid_form');
  // The reserved parameters are the edge's: a dry run of the same body is fine.
  const dry = await deliver(`${hook.url}?dry_run=true`, sealed, key);
  assert.equal(dry.status, 200, dry.text);
});

// The edge runs apart from the API (its own worker and isolates, as in production), so the API's
// changes reach it through D1: one that refuses more (disabling, a new key, deleting) is refused by
// the apply batch at once; one that lets more through within seconds (deliverOnceLoosened).
test('disabling, rotating and deleting a webhook refuse at the edge at once; enabling reaches it within seconds', async () => {
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Toggle', mapping: contractMapping })).body;
  const warm = await deliver(hook.url, JSON.stringify(order('T-1')));
  assert.equal(warm.status, 200, warm.text); // the record is now in the KV cache

  await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, { enabled: false });
  const off = await deliver(hook.url, JSON.stringify(order('T-2')));
  assert.equal(off.status, 403);
  assert.equal(off.body.error.code, 'webhook_disabled');

  const rotated = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, { enabled: true, api_key: true });
  assert.match(rotated.body.api_key, /^hmw_/);
  const noKey = await deliverOnceLoosened(403, hook.url, JSON.stringify(order('T-3')));
  assert.equal(noKey.status, 401, noKey.text);
  assert.equal(noKey.body.error.code, 'missing_api_key');
  const withKey = await deliver(hook.url, JSON.stringify(order('T-3')), { 'x-api-key': rotated.body.api_key });
  assert.equal(withKey.status, 200, withKey.text);

  assert.equal((await admin.del(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`)).status, 204);
  const gone = await deliver(hook.url, JSON.stringify(order('T-4')), { 'x-api-key': rotated.body.api_key });
  assert.equal(gone.status, 404);
  assert.equal((await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`)).status, 404);
});

test('a delivery judged by a record a change has outdated is judged again, not kept as the old settings\' failure', async () => {
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Sealed later', api_key: true, mapping: contractMapping })).body;
  const warm = await deliver(hook.url, JSON.stringify(order('S-1')), { 'x-api-key': hook.api_key });
  assert.equal(warm.status, 200, warm.text);
  // The key rotates: the old one is refused once the edge has read the record again, which then
  // reads it no more for 5 s on a failure (the flood guard of attack 3).
  const key = { 'x-api-key': (await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, { api_key: true })).body.api_key };
  const old = await deliverOnceLoosened(409, hook.url, JSON.stringify(order('S-2')), { 'x-api-key': hook.api_key });
  assert.equal(old.status, 401, old.text);
  // Within those 5 s the webhook starts to decrypt bodies, and the sender's next one is sealed.
  await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, { encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV } });
  const sealed = await deliver(hook.url, envelope('aes-256-gcm', KEY, JSON.stringify(order('S-3'))), key);
  assert.equal(sealed.status, 200, sealed.text);
  const history = (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`)).body;
  assert.deepEqual([history.data[0].status, history.data[0].error], ['success', null]);
  assert.ok(!history.data.some((d) => d.error?.code === 'missing_path'), 'no failure made up by the old settings');

  // The same for a mapping saved while deliveries were caught: the next one applies, not pending.
  const caught = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Mapped later', api_key: true })).body;
  const caughtKey = { 'x-api-key': caught.api_key };
  assert.equal((await deliver(caught.url, JSON.stringify(order('S-4')), caughtKey)).status, 202);
  const rotated = { 'x-api-key': (await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${caught.id}`, { api_key: true })).body.api_key };
  assert.equal((await deliverOnceLoosened(409, caught.url, JSON.stringify(order('S-5')), caughtKey)).status, 401);
  await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${caught.id}`, { mapping: contractMapping });
  const applied = await deliver(caught.url, JSON.stringify(order('S-6')), rotated);
  assert.equal(applied.status, 200, applied.text);
});

test('settings sealed before migration 0012 still list their algorithm; unsealed ones are backfilled', async () => {
  const { cid: legacy } = await seedCommunity(admin, 'Sealed before 0012');
  const hooks = `/v1/communities/${legacy}/incoming-webhooks`;
  const subs = `/v1/communities/${legacy}/webhooks`;
  const gcm = (await admin.post(hooks, { name: 'sealed', encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV } })).body;
  const plain = (await admin.post(hooks, { name: 'unsealed', encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV } })).body;
  const sub = (await admin.post(subs, { url: 'https://example.com/hook', events: ['member.joined'],
    encryption: { algorithm: 'aes-256-cbc', key: KEY, iv: IV, fixed_iv: true } })).body;
  assert.deepEqual(sub.encryption, { algorithm: 'aes-256-cbc', fixed_iv: true });

  await worker.halt();
  // New rows keep the algorithm in clear beside the sealed setting.
  const [written] = d1(worker.state, `SELECT encryption, encryption_algorithm FROM incoming_webhooks WHERE id = '${gcm.id}'`);
  assert.match(written.encryption, /^sealed:v1:/);
  assert.equal(written.encryption_algorithm, 'aes-256-gcm');
  // Rows as the worker wrote them before: sealed with NULL columns, or (older still) unsealed JSON.
  d1(worker.state, `UPDATE incoming_webhooks SET encryption_algorithm = NULL WHERE id = '${gcm.id}';
    UPDATE webhook_subscriptions SET encryption_algorithm = NULL, encryption_fixed_iv = NULL WHERE id = '${sub.id}';
    UPDATE incoming_webhooks SET encryption_algorithm = NULL,
      encryption = '${JSON.stringify({ algorithm: 'aes-256-cbc', key: KEY, iv: IV })}' WHERE id = '${plain.id}'`);
  // The migration's backfill fills what SQL can read (the unsealed row), and only that.
  const migration = readFileSync(join(import.meta.dirname, '..', '..', 'migrations', '0012_algorithm_in_clear.sql'), 'utf8');
  const backfill = migration.split(';').map((s) => s.replace(/--.*$/gm, '').trim()).filter((s) => s.startsWith('UPDATE'));
  assert.equal(backfill.length, 2);
  d1(worker.state, backfill.join(';\n'));
  const rows = d1(worker.state, `SELECT id, encryption_algorithm FROM incoming_webhooks WHERE community_id = '${legacy}' ORDER BY name`);
  assert.deepEqual(rows, [{ id: gcm.id, encryption_algorithm: null }, { id: plain.id, encryption_algorithm: 'aes-256-cbc' }]);
  await worker.start();
  admin = client(worker.base, worker.adminToken);

  // The sealed rows are opened to list them; the backfilled one is listed from its column.
  const listed = (await admin.get(hooks)).body.data;
  assert.deepEqual(Object.fromEntries(listed.map((h) => [h.id, h.encryption])),
    { [gcm.id]: { algorithm: 'aes-256-gcm' }, [plain.id]: { algorithm: 'aes-256-cbc' } });
  assert.deepEqual((await admin.get(subs)).body.data.map((s) => s.encryption), [{ algorithm: 'aes-256-cbc', fixed_iv: true }]);
  // Writing the setting again fills the columns.
  await admin.patch(`${subs}/${sub.id}`, { encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV } });
  assert.deepEqual((await admin.get(`${subs}/${sub.id}`)).body.encryption, { algorithm: 'aes-256-gcm', fixed_iv: false });
});
