// Adjusting a member by hand (issue 31): balances added to or subtracted from and fields set in
// one batch, never below zero, with a reason the gamification log and the field history keep as
// `admin:<reason>`, and an Idempotency-Key that makes a retried request adjust once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, seedCommunity } from './support/api.mjs';

let worker, admin, cid, uid, path;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin, 'Adjusted'));
  path = `/v1/communities/${cid}/users/${uid}/adjustments`;
});
after(async () => {
  await worker?.stop();
});

const member = async () => (await admin.get(`/v1/communities/${cid}/users/${uid}`)).body;

test('an adjustment moves balances and sets fields at once, logged as admin:<reason>', async () => {
  const res = await admin.post(path, {
    reason: 'Goodwill after the outage',
    balances: [{ currency: 'coins', op: 'add', amount: 50 }, { currency: 'xp', op: 'add', amount: 7 }],
    fields: [{ field: 'tier', op: 'overwrite', value: 'gold' }, { field: 'orders', op: 'add', value: 2 }, { field: 'vip', op: 'overwrite', value: true }],
  });
  assert.equal(res.status, 201, res.text);
  assert.match(res.body.id, /^adj_/);
  assert.deepEqual([res.body.user_id, res.body.reason, res.body.idempotency_key], [uid, 'Goodwill after the outage', null]);
  assert.deepEqual(res.body.member.balances, { coins: 50, xp: 7 });
  assert.deepEqual(res.body.effects[0], { kind: 'currency', currency: 'coins', op: 'add', amount: 50 });
  const m = await member();
  assert.deepEqual([m.coins, m.xp, m.fields], [50, 7, { tier: 'gold', orders: 2, vip: true }]);

  const logs = (await admin.get(`/v1/communities/${cid}/gamification-logs?user_id=${uid}`)).body.data;
  assert.deepEqual(logs.map((l) => [l.currency, l.delta, l.balance_after, l.action, l.delivery_id]).sort(),
    [['coins', 50, 50, 'admin:Goodwill after the outage', null], ['xp', 7, 7, 'admin:Goodwill after the outage', null]]);
  const changes = (await admin.get(`/v1/communities/${cid}/user-field-histories?user_id=${uid}&field=tier`)).body.data;
  assert.deepEqual(changes.map((c) => [c.old_value, c.new_value, c.source]), [[null, 'gold', 'admin:Goodwill after the outage']]);
});

test('never below zero: an adjustment that would overdraw changes nothing, and says which balance', async () => {
  const before = await member();
  const res = await admin.post(path, {
    reason: 'Chargeback',
    balances: [{ currency: 'coins', op: 'subtract', amount: before.coins + 1 }],
    fields: [{ field: 'tier', op: 'overwrite', value: 'banned' }],
  });
  assert.equal(res.status, 422, res.text);
  assert.deepEqual([res.body.error.code, res.body.error.details.currency], ['insufficient_balance', 'coins']);
  assert.deepEqual(await member(), before, 'nothing moved, the field neither');

  // Concurrent debits: each applies whole or not at all, and the balance stops at zero.
  const debit = () => admin.post(path, { reason: 'Spent', balances: [{ currency: 'coins', op: 'subtract', amount: 10 }] });
  const answers = await Promise.all(Array.from({ length: 8 }, debit));
  const made = answers.filter((a) => a.status === 201).length;
  assert.equal(made, Math.floor(before.coins / 10));
  assert.ok(answers.every((a) => a.status === 201 || a.body.error.code === 'insufficient_balance'));
  assert.equal((await member()).coins, before.coins - 10 * made);
});

test('an Idempotency-Key adjusts once; bad input is refused and changes nothing', async () => {
  const before = await member();
  const body = { reason: 'Contest prize', balances: [{ currency: 'xp', op: 'add', amount: 100 }] };
  const first = await admin.post(path, body, { 'idempotency-key': 'prize-2026-12' });
  assert.equal(first.status, 201, first.text);
  const again = await admin.post(path, body, { 'idempotency-key': 'prize-2026-12' });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual([again.body.id, again.body.duplicate, again.body.member.xp], [first.body.id, true, before.xp + 100]);
  assert.equal((await member()).xp, before.xp + 100, 'adjusted once');

  const other = (await admin.post(`/v1/communities/${cid}/users`, { email: 'bob@example.com', username: 'bob' })).body;
  const elsewhere = await admin.post(`/v1/communities/${cid}/users/${other.id}/adjustments`, body, { 'idempotency-key': 'prize-2026-12' });
  assert.deepEqual([elsewhere.status, elsewhere.body.error.code], [400, 'idempotency_conflict']);
  const longKey = await admin.post(path, body, { 'idempotency-key': 'k'.repeat(256) });
  assert.deepEqual([longKey.status, longKey.body.error.code], [400, 'invalid_idempotency_key']);

  const refusals = [
    [{ balances: [{ currency: 'xp', op: 'add', amount: 1 }] }, 'invalid_field', 'reason'],
    [{ reason: 'x' }, 'invalid_field', 'balances'],
    [{ reason: 'x', balances: [{ currency: 'xp', op: 'add', amount: 1.5 }] }, 'invalid_amount', 'balances[0].amount'],
    [{ reason: 'x', balances: [{ currency: 'xp', op: 'add', amount: -5 }] }, 'invalid_amount', 'balances[0].amount'],
    [{ reason: 'x', balances: [{ currency: 'gems', op: 'add', amount: 5 }] }, 'unknown_currency', 'balances[0].currency'],
    [{ reason: 'x', balances: [{ currency: 'xp', op: 'overwrite', amount: 5 }] }, 'invalid_field', 'balances[0].op'],
    [{ reason: 'x', fields: [{ field: 'tier', op: 'add', value: 'x' }] }, 'invalid_field', 'fields[0].op'],
    [{ reason: 'x', fields: [{ field: 'orders', op: 'add', value: 'many' }] }, 'wrong_type', 'fields[0].value'],
    [{ reason: 'x', fields: [{ field: 'nope', op: 'overwrite', value: 1 }] }, 'unknown_field', 'fields[0].field'],
    [{ reason: 'x', balances: [], extra: 1 }, 'invalid_field', 'extra'],
  ];
  for (const [bad, code, at] of refusals) {
    const res = await admin.post(path, bad);
    assert.deepEqual([res.status, res.body.error.code, res.body.error.details?.at], [422, code, at], JSON.stringify(bad));
  }
  assert.equal((await admin.post(`/v1/communities/${cid}/users/usr_${'0'.repeat(32)}/adjustments`, body)).status, 404);
  assert.equal((await member()).xp, before.xp + 100, 'no refusal changed anything');
});

test('a member\'s adjustments are listed newest first and paged; refused and repeated ones add none; another community\'s member is a 404', async () => {
  const cy = (await admin.post(`/v1/communities/${cid}/users`, { email: 'cy@example.com', username: 'cy' })).body;
  const list = (query = '') => admin.get(`/v1/communities/${cid}/users/${cy.id}/adjustments${query}`);
  const empty = await list();
  assert.equal(empty.status, 200, empty.text);
  assert.deepEqual([empty.body.data, empty.body.total, empty.body.page], [[], 0, 1]);

  const adjust = (body, headers) => admin.post(`/v1/communities/${cid}/users/${cy.id}/adjustments`, body, headers);
  const first = await adjust({ reason: 'Welcome', balances: [{ currency: 'coins', op: 'add', amount: 5 }] });
  const second = await adjust({ reason: 'Tiered', fields: [{ field: 'tier', op: 'overwrite', value: 'silver' }] }, { 'idempotency-key': 'tier-cy' });
  assert.deepEqual([first.status, second.status], [201, 201], `${first.text} ${second.text}`);
  const refused = await adjust({ reason: 'Too much', balances: [{ currency: 'coins', op: 'subtract', amount: 6 }] });
  const repeated = await adjust({ reason: 'Tiered', fields: [{ field: 'tier', op: 'overwrite', value: 'silver' }] }, { 'idempotency-key': 'tier-cy' });
  assert.deepEqual([refused.status, repeated.status], [422, 200]);
  // Another member's adjustment is not in cy's list.
  await admin.post(path, { reason: 'Not cy', balances: [{ currency: 'xp', op: 'add', amount: 1 }] });

  const all = await list();
  assert.equal(all.status, 200, all.text);
  assert.equal(all.body.total, 2);
  assert.deepEqual(all.body.data.map((a) => [a.id, a.user_id, a.reason, a.idempotency_key]),
    [[second.body.id, cy.id, 'Tiered', 'tier-cy'], [first.body.id, cy.id, 'Welcome', null]]);
  assert.deepEqual(all.body.data[1].effects, [{ kind: 'currency', currency: 'coins', op: 'add', amount: 5 }]);
  assert.deepEqual(all.body.data[0].effects, second.body.effects);
  assert.equal(all.body.data[0].created_at, second.body.created_at);
  assert.equal('member' in all.body.data[0], false, 'the balances of then are not listed');

  const page2 = await list('?per_page=1&page=2');
  assert.deepEqual([page2.body.data.map((a) => a.id), page2.body.page, page2.body.per_page, page2.body.total], [[first.body.id], 2, 1, 2]);
  for (const bad of ['?page=0', '?per_page=51', '?page=x']) {
    const res = await list(bad);
    assert.deepEqual([res.status, res.body.error.code], [400, 'invalid_query'], `${bad}: ${res.text}`);
  }

  // Another community's member reads as a missing one, with the community's own key as with the admin's.
  const other = await seedCommunity(admin, 'Elsewhere');
  const otherKey = (await admin.post(`/v1/communities/${other.cid}/api-keys`, { name: 'k' })).body.key;
  const theirs = await admin.get(`/v1/communities/${other.cid}/users/${cy.id}/adjustments`);
  const none = await admin.get(`/v1/communities/${cid}/users/usr_${'0'.repeat(32)}/adjustments`);
  assert.deepEqual([theirs.status, theirs.body.error.code, none.status], [404, 'not_found', 404]);
  assert.deepEqual(theirs.body, none.body, 'another community\'s member is indistinguishable from none');
  const intruder = client(worker.base, otherKey);
  assert.equal((await intruder.get(`/v1/communities/${cid}/users/${cy.id}/adjustments`)).status, 404);
  assert.equal((await intruder.get(`/v1/communities/${other.cid}/users/${cy.id}/adjustments`)).status, 404);
});
