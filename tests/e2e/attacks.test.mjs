// An outsider who knows (or captured) an edge URL, and a tenant with its own API key, try the
// attacks of issue 13 against a real wrangler dev. Each test is an attack that once worked; it
// asserts that it now fails, and that nothing of value (coins, XP, storage, a sender's budget)
// moved. SECURITY.md lists each attack with its defence and its test here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, deliver, seedCommunity } from './support/api.mjs';

let worker, admin;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

/** The member's balances as the admin sees them. */
async function balances(cid, uid) {
  const user = (await admin.get(`/v1/communities/${cid}/users/${uid}`)).body;
  return { xp: user.xp, coins: user.coins };
}

// --- the edge: replay, oracle, lockout, pending, bodies (1, 2, 3, 5, 6) ---

// --- outbound: redirects, the URL guard, templates (4, 7, 8) ---

// --- tokens and quotas (9, 10) ---

// These run against a worker of their own, the one extra `wrangler dev` of this file, with
// BENCH_ROUTES on: its answers carry x-storage-round-trips, so "no lookup" is counted, not timed.
let tq, tqAdmin;
before(async () => {
  tq = await startWorker({ vars: { BENCH_ROUTES: 'true' } });
  tqAdmin = client(tq.base, tq.adminToken);
});
after(async () => tq?.stop());

const tqNode = {
  fs: await import('node:fs'),
  path: await import('node:path'),
  crypto: await import('node:crypto'),
  child: await import('node:child_process'),
};

/** Every byte wrangler dev persisted (D1's SQLite files and KV's blobs), as one buffer. */
function persisted(dir) {
  const { readdirSync, readFileSync, statSync } = tqNode.fs;
  const parts = [];
  for (const name of readdirSync(dir)) {
    const path = tqNode.path.join(dir, name);
    if (statSync(path).isDirectory()) parts.push(persisted(path));
    else parts.push(readFileSync(path));
  }
  return Buffer.concat(parts);
}

/** Runs SQL on the worker's local D1 with wrangler's own CLI (the worker must be halted). */
function d1(state, command) {
  const root = tqNode.path.join(import.meta.dirname, '..', '..');
  const run = tqNode.child.spawnSync(process.execPath,
    [tqNode.path.join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'd1', 'execute', 'DB', '--local',
      '--persist-to', state, '--json', '--command', command],
    { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout)[0].results;
}

const sha256 = (text) => tqNode.crypto.createHash('sha256').update(text).digest('hex');
const tokenOf = (url) => url.split('/hooks/')[1];
const trips = (res) => Number(res.headers.get('x-storage-round-trips'));
const tqCoins = { user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] };

test('attack 9: a copy of D1 and KV reveals no webhook URL, and the URLs still work', async () => {
  const { cid, uid } = await seedCommunity(tqAdmin, 'Digests');
  const hook = (await tqAdmin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'digested', mapping: tqCoins })).body;
  const token = tokenOf(hook.url);
  assert.match(token, /^[0-9a-f]{48}$/);
  // A delivery puts the record in the KV cache too.
  const first = await deliver(hook.url, JSON.stringify({ e: 'ada@example.com', n: 1 }));
  assert.equal(first.status, 200, first.text);
  // A webhook made before digests existed: its token in clear, as the old worker wrote it.
  await tq.halt();
  const legacy = tqNode.crypto.randomBytes(24).toString('hex');
  const now = new Date().toISOString();
  d1(tq.state, `INSERT INTO incoming_webhooks (id, community_id, token, name, location, enabled, mapping, version, created_at, updated_at)
    VALUES ('whk_legacy', '${cid}', '${legacy}', 'legacy', 'user_fields', 1, '${JSON.stringify(tqCoins)}', 1, '${now}', '${now}')`);
  await tq.start();
  tqAdmin = client(tq.base, tq.adminToken);

  // The workerd restart wrote every journal page to the files.
  const bytes = persisted(tq.state);
  assert.equal(bytes.includes(Buffer.from(token)), false, 'the token is stored in clear');
  assert.ok(bytes.includes(Buffer.from(sha256(token))), 'the token is looked up by its digest');
  const url = `${tq.base}/hooks/${token}`;
  const again = await deliver(url, JSON.stringify({ e: 'ada@example.com', n: 1 }));
  assert.equal(again.status, 200, again.text);
  assert.equal((await tqAdmin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`)).body.url, url);

  // The old row still works, and its first lookup trades the clear token for digest and seal.
  const old = await deliver(`${tq.base}/hooks/${legacy}`, JSON.stringify({ e: 'ada@example.com', n: 1 }));
  assert.equal(old.status, 200, old.text);
  assert.equal((await tqAdmin.get(`/v1/communities/${cid}/users/${uid}`)).body.coins, 3);
  assert.equal((await tqAdmin.get(`/v1/communities/${cid}/incoming-webhooks/whk_legacy`)).body.url, `${tq.base}/hooks/${legacy}`);
  await tq.halt();
  const [row] = d1(tq.state, "SELECT token, token_digest, token_sealed FROM incoming_webhooks WHERE id = 'whk_legacy'");
  await tq.start();
  tqAdmin = client(tq.base, tq.adminToken);
  assert.equal(row.token, null);
  assert.equal(row.token_digest, sha256(legacy));
  assert.match(row.token_sealed, /^sealed:v1:/);
  assert.equal((await deliver(`${tq.base}/hooks/${legacy}`, JSON.stringify({ e: 'ada@example.com', n: 1 }))).status, 200);
});

test('attack 9: unknown and malformed tokens cost no storage round trip after the first', async () => {
  const anon = client(tq.base);
  const unknown = tqNode.crypto.randomBytes(24).toString('hex');
  const first = await anon.post(`/hooks/${unknown}`, '{}');
  assert.equal(first.status, 404, first.text);
  assert.equal(first.body.error.code, 'not_found');
  assert.ok(trips(first) >= 1, 'the first request looks the token up');
  for (let i = 0; i < 20; i++) {
    const res = await anon.post(`/hooks/${unknown}`, '{}');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    assert.equal(trips(res), 0, `request ${i + 2} to an unknown token went to storage`);
  }
  const malformed = [unknown.slice(1), `${unknown}0`, unknown.toUpperCase(), `${unknown.slice(1)}g`, 'a', '0'.repeat(64)];
  for (const token of malformed) {
    const res = await anon.post(`/hooks/${token}`, '{}');
    assert.equal(res.status, 404, token);
    assert.equal(res.body.error.code, 'not_found');
    assert.equal(trips(res), 0, `the malformed token ${token} went to storage`);
  }
});

/** A community with its own API key (which acts on it alone). */
async function keyedCommunity(name) {
  const seeded = await seedCommunity(tqAdmin, name);
  const key = (await tqAdmin.post(`/v1/communities/${seeded.cid}/api-keys`, { name: 'tenant' })).body.key;
  return { ...seeded, keyed: client(tq.base, key) };
}

test('attack 10: a community cannot create webhooks or subscriptions past its quota, nor raise it', async () => {
  const { cid, keyed } = await keyedCommunity('Quotas');
  const quotas = `/v1/communities/${cid}/quotas`;
  const raise = await keyed.patch(quotas, { incoming_webhooks: 1000, subscriptions: 1000 });
  assert.equal(raise.status, 403, raise.text);
  assert.equal(raise.body.error.code, 'forbidden');
  const set = await tqAdmin.patch(quotas, { incoming_webhooks: 2, subscriptions: 1, max_rate_limit: 100 });
  assert.equal(set.status, 200, set.text);
  const seen = await keyed.get(quotas);
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.body.incoming_webhooks, 2);
  assert.equal(seen.body.subscriptions, 1);

  const hooks = `/v1/communities/${cid}/incoming-webhooks`;
  const tooFast = await keyed.post(hooks, { name: 'fast', rate_limit: 101 });
  assert.equal(tooFast.status, 422, tooFast.text);
  assert.equal(tooFast.body.error.code, 'quota_exceeded');
  assert.deepEqual(tooFast.body.error.details, { quota: 'max_rate_limit', limit: 100 });
  // At once, four creates against two places: the count is checked inside each INSERT.
  const created = await Promise.all([1, 2, 3, 4].map((n) => keyed.post(hooks, { name: `h${n}` })));
  assert.deepEqual(created.map((r) => r.status).sort(), [201, 201, 422, 422], created.map((r) => r.text).join('\n'));
  const refused = created.find((r) => r.status === 422).body.error;
  assert.equal(refused.code, 'quota_exceeded');
  assert.deepEqual(refused.details, { quota: 'incoming_webhooks', limit: 2 });
  assert.equal((await keyed.get(hooks)).body.total, 2);
  const made = created.find((r) => r.status === 201).body;
  assert.equal(made.rate_limit, 100, 'the default rate limit stays within the community maximum');
  const faster = await keyed.patch(`${hooks}/${made.id}`, { rate_limit: 5000 });
  assert.equal(faster.status, 422, faster.text);
  assert.equal(faster.body.error.code, 'quota_exceeded');

  const subs = `/v1/communities/${cid}/webhooks`;
  const sub = { url: 'https://example.com/hook', events: ['member.visited'] };
  assert.equal((await keyed.post(subs, sub)).status, 201);
  const second = await keyed.post(subs, sub);
  assert.equal(second.status, 422, second.text);
  assert.deepEqual(second.body.error.details, { quota: 'subscriptions', limit: 1 });
  assert.equal((await keyed.get(subs)).body.total, 1);

  // The admin raises it; bad values change nothing.
  const bad = await tqAdmin.patch(quotas, { incoming_webhooks: -1 });
  assert.equal(bad.status, 422, bad.text);
  assert.equal((await tqAdmin.patch(quotas, { incoming_webhooks: 3 })).status, 200);
  assert.equal((await keyed.post(hooks, { name: 'third' })).status, 201);
});

test('attack 10: published events past the community quota a minute answer 429 with Retry-After', async () => {
  const { cid, keyed } = await keyedCommunity('Chatty');
  assert.equal((await tqAdmin.patch(`/v1/communities/${cid}/quotas`, { events_per_minute: 3 })).status, 200);
  // The count is per clock minute: start well inside one.
  const second = new Date().getUTCSeconds();
  if (second > 50) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
  const publish = () => keyed.post(`/v1/communities/${cid}/events`, { type: 'member.visited', data: { n: 1 } });
  for (let i = 0; i < 3; i++) assert.equal((await publish()).status, 202);
  const over = await publish();
  assert.equal(over.status, 429, over.text);
  assert.equal(over.body.error.code, 'quota_exceeded');
  assert.equal(over.body.error.details.quota, 'events_per_minute');
  assert.equal(over.body.error.details.limit, 3);
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
});

test('attack 10: a failed delivery keeps only the first bytes of its payload, up to the cap', async () => {
  const { cid } = await seedCommunity(tqAdmin, 'Hoarder');
  const hook = (await tqAdmin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'big', mapping: tqCoins })).body;
  const history = `/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`;
  // About 200 KB, of three-byte characters, for an unknown member: a failed delivery.
  const body = JSON.stringify({ e: 'nobody@example.com', n: 1, pad: '€'.repeat(70_000) });
  const failed = await deliver(hook.url, body);
  assert.equal(failed.status, 422, failed.text);
  const stored = (await tqAdmin.get(`${history}/${failed.body.delivery_id}`)).body;
  assert.equal(stored.payload_truncated, true);
  assert.equal(stored.payload, null);
  const cap = (await tqAdmin.get(`/v1/communities/${cid}/quotas`)).body.failed_payload_bytes;
  const kept = Buffer.byteLength(stored.payload_text);
  assert.ok(kept <= cap && kept > cap - 3, `kept ${kept} bytes of a ${cap}-byte cap`);
  assert.ok(body.startsWith(stored.payload_text), 'the kept text is the payload\'s start, cut between characters');

  // A lower cap applies to the very next delivery; a small failure is kept whole.
  assert.equal((await tqAdmin.patch(`/v1/communities/${cid}/quotas`, { failed_payload_bytes: 1000 })).status, 200);
  const next = await deliver(hook.url, body);
  const small = (await tqAdmin.get(`${history}/${next.body.delivery_id}`)).body;
  assert.equal(Buffer.byteLength(small.payload_text), 999);
  const whole = await deliver(hook.url, JSON.stringify({ e: 'nobody@example.com', n: 1 }));
  const kept2 = (await tqAdmin.get(`${history}/${whole.body.delivery_id}`)).body;
  assert.equal(kept2.payload_truncated, false);
  assert.deepEqual(kept2.payload, { e: 'nobody@example.com', n: 1 });
});
