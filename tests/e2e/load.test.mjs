// Proof under load and faults, bounded in time: thousands of deliveries from concurrent clients,
// spread over 8 communities (each its own database, one writer each), a quarter of them repeats, a
// tenth bad, and spends that would overdraw mixed in; then the same with workerd killed mid-run,
// after which every community's alarm still fires. Every acknowledged delivery must be applied
// exactly once, repeats and bad ones never, no balance may go below zero, and the gamification log
// must add up to the balances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, eventually } from './support/api.mjs';

const COMMUNITIES = 8;
const MEMBERS = 2;
const CLIENTS = 16;
let worker, cid, hook, members;
// Each community: its id, its coins webhook, its spending webhook and its members.
let targets;
const admin = () => client(worker.base, worker.adminToken);

before(async () => {
  // The chores every second: the alarms are seen to fire after the crash.
  worker = await startWorker({ vars: { CHORES_EVERY_SECONDS: '1' } });
  targets = [];
  for (let c = 0; c < COMMUNITIES; c += 1) {
    const id = (await admin().post('/v1/communities', { name: `Load ${c}` })).body.id;
    // Above the default max_rate_limit and total_rate_limit quotas: the rate limit is not what
    // this test measures.
    await admin().patch(`/v1/communities/${id}/quotas`, { max_rate_limit: 100000, total_rate_limit: 240000 });
    const people = [];
    for (let i = 0; i < MEMBERS; i += 1) {
      people.push((await admin().post(`/v1/communities/${id}/users`, { email: `load${c}-${i}@example.com`, username: `load${c}-${i}` })).body);
    }
    const webhook = (op) => admin().post(`/v1/communities/${id}/incoming-webhooks`, {
      // A key: only a proved sender is told whether a delivery was a duplicate (issue 27).
      name: op, rate_limit: 60000, api_key: true,
      mapping: { user: { match: 'email', path: 'email' }, idempotency_path: 'key', fields: [{ target: { currency: 'coins' }, op, path: 'n' }] },
    }).then((r) => r.body);
    targets.push({ cid: id, add: await webhook('add'), spend: await webhook('subtract'), members: people });
  }
  ({ cid, add: hook, members } = targets[0]);
});
after(async () => worker?.stop());

/** A deterministic mix over the communities: fresh deliveries, repeats of earlier keys, spends
 * (which fail with insufficient_balance when the member has too little), and bad ones. */
function plan(count, prefix) {
  const items = [];
  const fresh = [];
  for (let i = 0; i < count; i += 1) {
    const c = i % COMMUNITIES;
    const member = Math.floor(i / COMMUNITIES) % MEMBERS;
    const email = targets[c].members[member].email;
    const roll = (i * 7919) % 100;
    if (roll < 10) {
      const kinds = [
        ['not json', '{"email": '],
        ['unknown member', JSON.stringify({ email: 'nobody@example.com', key: `${prefix}-bad-${i}`, n: 1 })],
        ['negative amount', JSON.stringify({ email, key: `${prefix}-bad-${i}`, n: -3 })],
        ['missing amount', JSON.stringify({ email, key: `${prefix}-bad-${i}` })],
      ];
      const [why, body] = kinds[i % kinds.length];
      items.push({ kind: 'bad', c, why, body, hook: 'add' });
    } else if (roll < 35 && fresh.length > 0) {
      items.push({ kind: 'repeat', of: fresh[(i * 31) % fresh.length] });
    } else if (roll < 45) {
      const item = { kind: 'spend', c, key: `${prefix}-spend-${i}`, member, n: 2 + (i % 7), hook: 'spend' };
      item.body = JSON.stringify({ email, key: item.key, n: item.n });
      fresh.push(item);
      items.push(item);
    } else {
      const item = { kind: 'fresh', c, key: `${prefix}-${i}`, member, n: 1 + (i % 5), hook: 'add' };
      item.body = JSON.stringify({ email, key: item.key, n: item.n });
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
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < items.length) {
      await gate;
      const i = next;
      next += 1;
      const item = items[i];
      const sent = item.kind === 'repeat' ? item.of : item;
      const webhook = targets[sent.c][sent.hook];
      const url = webhook.url.replace(/^http:\/\/[^/]+/, worker.base);
      try {
        const res = await fetch(url, { method: 'POST', body: sent.body, headers: { 'content-type': 'application/json', 'x-api-key': webhook.api_key } });
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

/** What each community's database says happened: successes by idempotency key (over all its
 * webhooks), balances, and the log's sums, per member (`c:m`). */
async function ledger() {
  const successesByKey = new Map();
  const balances = new Map();
  const logSums = new Map();
  for (const [c, t] of targets.entries()) {
    for (const d of await all(`/v1/communities/${t.cid}/deliveries?status=success`)) {
      successesByKey.set(d.idempotency_key, (successesByKey.get(d.idempotency_key) ?? 0) + 1);
    }
    for (const [m, member] of t.members.entries()) {
      balances.set(`${c}:${m}`, (await admin().get(`/v1/communities/${t.cid}/users/${member.id}`)).body.coins);
      const logs = await all(`/v1/communities/${t.cid}/gamification-logs?user_id=${member.id}`);
      logSums.set(`${c}:${m}`, logs.reduce((sum, l) => sum + l.delta, 0));
    }
  }
  return { successesByKey, balances, logSums };
}

/** Each member's balance is its start plus the deliveries that applied, adds less spends, and
 * never below zero; the log adds up to it. */
function assertBalances(before, after, items, applied) {
  const moved = new Map();
  for (const item of items.filter((it) => it.kind === 'fresh' || it.kind === 'spend')) {
    if (!applied(item)) continue;
    const at = `${item.c}:${item.member}`;
    moved.set(at, (moved.get(at) ?? 0) + (item.kind === 'spend' ? -item.n : item.n));
  }
  for (const [at, balance] of after.balances) {
    assert.equal(balance - before.balances.get(at), moved.get(at) ?? 0, `member ${at}`);
    assert.ok(balance >= 0, `member ${at} overdrawn: ${balance}`);
    assert.equal(after.logSums.get(at), balance, `member ${at}: the log adds up to the balance`);
  }
}

test('2,000 deliveries over 8 communities from 16 clients: exactly once, repeats never, no overdraft, bad ones change nothing', async () => {
  const items = plan(2000, 'load');
  const before = await ledger();
  const results = await run(items);
  const after = await ledger();

  const counts = { fresh: 0, repeat: 0, bad: 0, spend: 0, overdraft: 0 };
  for (const [i, item] of items.entries()) {
    counts[item.kind] += 1;
    const r = results[i];
    const sent = item.kind === 'repeat' ? item.of : item;
    if (item.kind === 'bad') {
      assert.ok(r.status >= 400 && r.status < 500, `${item.why}: ${JSON.stringify(r)}`);
    } else if (sent.kind === 'spend' && r.status === 422) {
      assert.equal(r.body.error.code, 'insufficient_balance', JSON.stringify(r));
      if (item.kind === 'spend') counts.overdraft += 1;
    } else {
      assert.equal(r.status, 200, JSON.stringify(r));
    }
  }
  assert.ok(counts.repeat >= 400 && counts.bad >= 150 && counts.spend >= 100, JSON.stringify(counts));
  assert.ok(counts.overdraft > 0 && counts.overdraft < counts.spend, `some spends overdraw, not all: ${JSON.stringify(counts)}`);
  // For each key, at most one answer applied it, and exactly one success row exists when it did.
  const fresh = items.filter((it) => it.kind === 'fresh' || it.kind === 'spend');
  const appliedKeys = new Set();
  for (const item of fresh) {
    const answers = items.map((it, i) => [it, results[i]]).filter(([it]) => (it.kind === 'repeat' ? it.of : it) === item);
    const applied = answers.filter(([, r]) => r.status === 200 && r.body.duplicate === false).length;
    if (item.kind === 'fresh') assert.equal(applied, 1, item.key);
    assert.ok(applied <= 1, item.key);
    assert.equal(after.successesByKey.get(item.key) ?? 0, applied, item.key);
    if (applied) appliedKeys.add(item.key);
  }
  assert.equal([...after.successesByKey.keys()].filter((k) => !before.successesByKey.has(k)).length, appliedKeys.size,
    'no success row for a repeat, a refused spend or a bad delivery');
  assertBalances(before, after, items, (item) => appliedKeys.has(item.key));
});

test('workerd killed mid-run: every acknowledged delivery applied once, nothing without a success row, and the alarms fire after', async () => {
  const items = plan(600, 'crash');
  const before = await ledger();
  let killed = false;
  let restarted = null;
  const results = await run(items, (i) => {
    if (killed || i < 200) return null;
    killed = true;
    return worker.restart('SIGKILL').then(() => { restarted = new Date().toISOString(); });
  });
  assert.ok(killed);
  const after = await ledger();

  const acknowledged = new Set();
  for (const [i, item] of items.entries()) {
    const r = results[i];
    const sent = item.kind === 'repeat' ? item.of : item;
    if (item.kind !== 'bad' && r.status === 200) acknowledged.add(sent.key);
  }
  assert.ok(acknowledged.size > 300, `only ${acknowledged.size} acknowledged`);
  for (const key of acknowledged) assert.equal(after.successesByKey.get(key), 1, `${key} acknowledged but not applied once`);
  // Whatever applied has exactly one success row, and the balances are exactly those rows.
  for (const item of items.filter((it) => it.kind === 'fresh' || it.kind === 'spend')) {
    assert.ok((after.successesByKey.get(item.key) ?? 0) <= 1, `${item.key} applied twice`);
  }
  assertBalances(before, after, items, (item) => after.successesByKey.get(item.key) === 1);
  // Every community's chores run again after the crash, by its own alarm.
  for (const t of targets) {
    await eventually(async () => (await admin().get(`/v1/communities/${t.cid}/quotas`)).body.usage.chores_at > restarted,
      `the alarm of ${t.cid}`);
  }
});

test('a failed delivery replayed after fixing the mapping applies once; a success replayed applies nothing', async () => {
  const a = admin();
  const broken = (await a.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Broken', rate_limit: 60000,
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
