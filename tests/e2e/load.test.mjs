// Proof under load and faults, bounded in time: thousands of deliveries from concurrent clients,
// a quarter of them repeats and a tenth bad, then the same with workerd killed mid-run. Every
// acknowledged delivery must be applied exactly once, repeats and bad ones never, and the
// gamification log must add up to the balances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, seedCommunity } from './support/api.mjs';

const MEMBERS = 4;
const CLIENTS = 16;
let worker, cid, hook, members;
const admin = () => client(worker.base, worker.adminToken);

before(async () => {
  worker = await startWorker();
  ({ cid } = await seedCommunity(admin(), 'Load'));
  // Above the default max_rate_limit quota: the rate limit is not what this test measures.
  await admin().patch(`/v1/communities/${cid}/quotas`, { max_rate_limit: 100000 });
  members = [];
  for (let i = 0; i < MEMBERS; i += 1) {
    members.push((await admin().post(`/v1/communities/${cid}/users`, { email: `load${i}@example.com`, username: `load${i}` })).body);
  }
  hook = (await admin().post(`/v1/communities/${cid}/incoming-webhooks`, {
    // A key: only a proved sender is told whether a delivery was a duplicate (issue 27).
    name: 'Load', rate_limit: 100000, api_key: true,
    mapping: { user: { match: 'email', path: 'email' }, idempotency_path: 'key', fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  })).body;
});
after(async () => worker?.stop());

/** A deterministic mix: fresh deliveries, repeats of earlier keys, and bad ones of several kinds. */
function plan(count, prefix) {
  const items = [];
  const fresh = [];
  for (let i = 0; i < count; i += 1) {
    const roll = (i * 7919) % 100;
    if (roll < 10) {
      const kinds = [
        ['not json', '{"email": '],
        ['unknown member', JSON.stringify({ email: 'nobody@example.com', key: `${prefix}-bad-${i}`, n: 1 })],
        ['negative amount', JSON.stringify({ email: members[i % MEMBERS].email, key: `${prefix}-bad-${i}`, n: -3 })],
        ['missing amount', JSON.stringify({ email: members[i % MEMBERS].email, key: `${prefix}-bad-${i}` })],
      ];
      const [kind, body] = kinds[i % kinds.length];
      items.push({ kind: 'bad', why: kind, body });
    } else if (roll < 35 && fresh.length > 0) {
      items.push({ kind: 'repeat', of: fresh[(i * 31) % fresh.length] });
    } else {
      const item = { kind: 'fresh', key: `${prefix}-${i}`, member: i % MEMBERS, n: 1 + (i % 5) };
      item.body = JSON.stringify({ email: members[item.member].email, key: item.key, n: item.n });
      fresh.push(item);
      items.push(item);
    }
  }
  return items;
}

/** Sends every item from `CLIENTS` concurrent loops. `interrupt(i)`, after item i, may return a
 * promise (a restart): the clients wait for it before sending more; requests in flight when the
 * worker dies get no answer and count as unacknowledged. */
async function run(items, interrupt = () => null) {
  const results = new Array(items.length);
  let next = 0;
  let gate = Promise.resolve();
  const url = () => hook.url.replace(/^http:\/\/[^/]+/, worker.base);
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < items.length) {
      await gate;
      const i = next;
      next += 1;
      const item = items[i];
      const body = item.kind === 'repeat' ? item.of.body : item.body;
      try {
        const res = await fetch(url(), { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-api-key': hook.api_key } });
        results[i] = { status: res.status, body: await res.json() };
      } catch (e) {
        results[i] = { status: 0, error: e.message };
      }
      const pause = interrupt(i);
      if (pause) {
        gate = pause;
        await pause;
      }
    }
  }));
  return results;
}

/** Every row of a paged list. */
async function all(path) {
  const out = [];
  for (let page = 1; ; page += 1) {
    const { body } = await admin().get(`${path}${path.includes('?') ? '&' : '?'}per_page=50&page=${page}`);
    out.push(...body.data);
    if (body.data.length === 0 || out.length >= body.total) return out;
  }
}

/** What D1 says happened: successes by idempotency key, balances, and the log's sums. */
async function ledger() {
  const deliveries = await all(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries?status=success`);
  const successesByKey = new Map();
  for (const d of deliveries) successesByKey.set(d.idempotency_key, (successesByKey.get(d.idempotency_key) ?? 0) + 1);
  const balances = [];
  const logSums = [];
  for (const m of members) {
    balances.push((await admin().get(`/v1/communities/${cid}/users/${m.id}`)).body.coins);
    const logs = await all(`/v1/communities/${cid}/gamification-logs?user_id=${m.id}`);
    logSums.push(logs.reduce((sum, l) => sum + l.delta, 0));
  }
  return { successesByKey, balances, logSums };
}

test('2,000 deliveries from 16 clients: exactly once, repeats never, bad ones change nothing', async () => {
  const items = plan(2000, 'load');
  const before = await ledger();
  const results = await run(items);
  const after = await ledger();

  const counts = { fresh: 0, repeat: 0, bad: 0 };
  const expected = new Array(MEMBERS).fill(0);
  for (const [i, item] of items.entries()) {
    counts[item.kind] += 1;
    const r = results[i];
    if (item.kind === 'bad') {
      assert.ok(r.status >= 400 && r.status < 500, `${item.why}: ${JSON.stringify(r)}`);
    } else {
      assert.equal(r.status, 200, JSON.stringify(r));
    }
    if (item.kind === 'fresh') expected[item.member] += item.n;
  }
  assert.ok(counts.repeat >= 400 && counts.bad >= 150, JSON.stringify(counts));
  // For each key, exactly one answer applied it and one success row exists.
  const fresh = items.filter((it) => it.kind === 'fresh');
  for (const item of fresh) {
    const answers = items.map((it, i) => [it, results[i]]).filter(([it]) => (it.kind === 'repeat' ? it.of : it) === item);
    assert.equal(answers.filter(([, r]) => r.body.duplicate === false).length, 1, item.key);
    assert.equal(after.successesByKey.get(item.key), 1, item.key);
  }
  assert.equal([...after.successesByKey.keys()].filter((k) => !before.successesByKey.has(k)).length, fresh.length,
    'no success row for a repeat or a bad delivery');
  for (let m = 0; m < MEMBERS; m += 1) {
    assert.equal(after.balances[m] - before.balances[m], expected[m], `member ${m}`);
    assert.equal(after.logSums[m], after.balances[m], `member ${m}: the log adds up to the balance`);
  }
});

test('workerd killed mid-run: every acknowledged delivery applied once, nothing without a success row', async () => {
  const items = plan(600, 'crash');
  const before = await ledger();
  let killed = false;
  const results = await run(items, (i) => {
    if (killed || i < 200) return null;
    killed = true;
    return worker.restart('SIGKILL');
  });
  assert.ok(killed);
  const after = await ledger();

  const acknowledged = new Set();
  for (const [i, item] of items.entries()) {
    const r = results[i];
    const key = item.kind === 'repeat' ? item.of.key : item.key;
    if (item.kind !== 'bad' && r.status === 200) acknowledged.add(key);
  }
  assert.ok(acknowledged.size > 300, `only ${acknowledged.size} acknowledged`);
  for (const key of acknowledged) assert.equal(after.successesByKey.get(key), 1, `${key} acknowledged but not applied once`);
  // Whatever applied has exactly one success row, and the balances are exactly those rows.
  const applied = new Array(MEMBERS).fill(0);
  for (const item of items.filter((it) => it.kind === 'fresh')) {
    const rows = after.successesByKey.get(item.key) ?? 0;
    assert.ok(rows <= 1, `${item.key} applied twice`);
    if (rows === 1) applied[item.member] += item.n;
  }
  for (let m = 0; m < MEMBERS; m += 1) {
    assert.equal(after.balances[m] - before.balances[m], applied[m], `member ${m}: balance = its success rows`);
    assert.equal(after.logSums[m], after.balances[m], `member ${m}: the log adds up to the balance`);
  }
});

test('a failed delivery replayed after fixing the mapping applies once; a success replayed applies nothing', async () => {
  const a = admin();
  const broken = (await a.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Broken', rate_limit: 100000,
    mapping: { user: { match: 'email', path: 'who' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] } })).body;
  const url = broken.url.replace(/^http:\/\/[^/]+/, worker.base);
  const failed = await fetch(url, { method: 'POST', body: JSON.stringify({ email: members[0].email, n: 9 }) }).then((r) => r.json());
  assert.equal(failed.error.code, 'missing_path');
  const start = (await a.get(`/v1/communities/${cid}/users/${members[0].id}`)).body.coins;
  await a.patch(`/v1/communities/${cid}/incoming-webhooks/${broken.id}`, {
    mapping: { user: { match: 'email', path: 'email' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] } });
  const replay = (id) => a.post(`/v1/communities/${cid}/incoming-webhooks/${broken.id}/deliveries/${id}/replay`, {});
  const first = await replay(failed.delivery_id);
  assert.equal(first.status, 200, first.text);
  const second = await replay(failed.delivery_id);
  assert.equal(second.body.duplicate, true, 'replaying the failed delivery again applies nothing');
  const ofSuccess = await replay(first.body.delivery_id);
  assert.equal(ofSuccess.status, 409);
  assert.equal(ofSuccess.body.error.code, 'already_applied');
  assert.equal((await a.get(`/v1/communities/${cid}/users/${members[0].id}`)).body.coins, start + 9);
});
