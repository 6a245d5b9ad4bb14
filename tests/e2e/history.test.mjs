// The incoming history helps find what went wrong: filters by status, time, member and error
// code, and a pending delivery left over an hour is flagged stale.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, objects } from './support/worker.mjs';
import { client, deliver, eventually } from './support/api.mjs';

let worker, admin, cid, ada, hook, caught;
const history = async (query = '') =>
  admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries${query}`);
const ids = (res) => res.body.data.map((d) => d.id);
const send = (url, body) => deliver(`${worker.base}${new URL(url).pathname}`, JSON.stringify(body));

before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  cid = (await admin.post('/v1/communities', { name: 'History' })).body.id;
  ada = (await admin.post(`/v1/communities/${cid}/users`, { email: 'ada@example.com', username: 'ada' })).body;
  await admin.post(`/v1/communities/${cid}/users`, { email: 'bob@example.com', username: 'bob' });
  hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'coins', location: 'user_fields',
    mapping: { user: { match: 'email', path: 'who' }, fields: [{ target: { currency: 'coins' }, op: 'subtract', path: 'n' }] },
  })).body;
  caught = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'no mapping yet', location: 'user_fields' })).body;
});
after(async () => worker?.stop());

test('the history filters by status, member, error code and time', async () => {
  const gift = (who, n) => send(hook.url, { who, n });
  // Nothing to subtract from: every one fails, for two different reasons.
  const broke = await gift('ada@example.com', 5);
  const nobody = await gift('carol@example.com', 1);
  assert.deepEqual([broke.body.error.code, nobody.body.error.code], ['insufficient_balance', 'unknown_member']);
  // Subtracting nothing succeeds, and names Ada.
  const fine = await gift('ada@example.com', 0);
  assert.equal(fine.status, 200, fine.text);
  const all = await history();
  assert.equal(all.body.total, 3);

  assert.deepEqual(ids(await history('?status=success')), [fine.body.delivery_id]);
  const failedOnly = (await history('?status=failed')).body;
  assert.equal(failedOnly.total, 2);
  // Totals per status follow the other filters, never the status filter: each tab's count.
  assert.deepEqual(all.body.totals, { success: 1, failed: 2, pending: 0, filtered: 0, replayed: 0 });
  assert.deepEqual(failedOnly.totals, { success: 1, failed: 2, pending: 0, filtered: 0, replayed: 0 });
  assert.deepEqual((await history('?error_code=unknown_member')).body.totals, { success: 0, failed: 1, pending: 0, filtered: 0, replayed: 0 });
  assert.deepEqual((await history('?until=2000-01-01')).body.totals, { success: 0, failed: 0, pending: 0, filtered: 0, replayed: 0 });
  assert.deepEqual(ids(await history('?error_code=unknown_member')), [nobody.body.delivery_id]);
  assert.deepEqual(ids(await history('?error_code=insufficient_balance')), [broke.body.delivery_id]);
  // The member is recorded with what applied to them.
  assert.deepEqual(ids(await history(`?user_id=${ada.id}`)), [fine.body.delivery_id]);
  assert.equal((await history('?user_id=usr_nobody')).body.total, 0);

  const first = all.body.data[2].created_at;
  assert.equal((await history(`?since=${first}`)).body.total, 3);
  assert.equal((await history(`?until=${first}`)).body.total, 0);
  assert.equal((await history('?since=2000-01-01&until=2999-12-31')).body.total, 3);
  assert.equal((await history('?until=2000-01-01')).body.total, 0);

  const bad = await history('?since=yesterday');
  assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.details.at], [400, 'invalid_query', 'since']);
});

test('a pending delivery over an hour old is stale; a fresh one is not', async () => {
  const list = () => admin.get(`/v1/communities/${cid}/incoming-webhooks/${caught.id}/deliveries`);
  assert.equal((await send(caught.url, { who: 'ada@example.com' })).status, 202);
  assert.deepEqual((await list()).body.data.map((d) => [d.status, d.stale]), [['pending', false]]);
  // An hour and a minute pass for the stored row (wrangler's D1 client must not write under a
  // running worker).
  await worker.halt();
  objects(worker.state, "UPDATE deliveries SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '-61 minutes')");
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  const [old] = (await list()).body.data;
  assert.deepEqual([old.status, old.stale], ['pending', true]);
  const one = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${caught.id}/deliveries/${old.id}`);
  assert.equal(one.body.stale, true);
  // Failures are never stale: only a delivery still waiting is.
  assert.ok((await history()).body.data.every((d) => d.stale === false));
});

test('a replayed delivery is listed as replayed and names its replay, so the pending list empties', async () => {
  const waiting = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'caught first', location: 'user_fields' })).body;
  const base = `/v1/communities/${cid}/incoming-webhooks/${waiting.id}/deliveries`;
  const list = async (query = '') => (await admin.get(`${base}${query}`)).body;
  const [a, b] = [await send(waiting.url, { who: 'bob@example.com', id: 'k-a', n: 2 }), await send(waiting.url, { who: 'bob@example.com', id: 'k-b', n: 3 })];
  assert.deepEqual([a.status, b.status], [202, 202]);
  assert.equal((await list('?status=pending')).total, 2);

  const saved = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${waiting.id}`, {
    mapping: { user: { match: 'email', path: 'who' }, idempotency_path: 'id', fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  });
  assert.equal(saved.status, 200, saved.text);
  const replayed = await admin.post(`${base}/${a.body.delivery_id}/replay`, {});
  assert.equal(replayed.status, 200, replayed.text);

  const original = (await admin.get(`${base}/${a.body.delivery_id}`)).body;
  assert.deepEqual([original.status, original.replayed_as], ['replayed', replayed.body.delivery_id]);
  assert.deepEqual((await list('?status=pending')).data.map((d) => d.id), [b.body.delivery_id]);
  assert.deepEqual((await list('?status=replayed')).data.map((d) => d.id), [a.body.delivery_id]);
  assert.deepEqual((await list()).totals, { success: 1, failed: 0, pending: 1, filtered: 0, replayed: 1 });

  // Replayed again, its key already applied: it now names the delivery that applied it, and
  // nothing applies twice.
  const again = await admin.post(`${base}/${a.body.delivery_id}/replay`, {});
  assert.equal(again.body.duplicate, true, again.text);
  assert.equal((await admin.get(`${base}/${a.body.delivery_id}`)).body.replayed_as, replayed.body.delivery_id);
});

test('bulk replay takes the failed and pending deliveries the filters find, through the queue, with its progress readable', async () => {
  const bulk = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'bulk', location: 'user_fields' })).body;
  const base = `/v1/communities/${cid}/incoming-webhooks/${bulk.id}`;
  const [bob] = (await admin.get(`/v1/communities/${cid}/users?email=bob@example.com`)).body.data;
  const coins = async () => (await admin.get(`/v1/communities/${cid}/users/${bob.id}`)).body.coins;
  const before = await coins();
  for (const [who, id, n] of [['bob@example.com', 'b-1', 2], ['bob@example.com', 'b-2', 3], ['nobody@example.com', 'b-3', 4]]) {
    assert.equal((await send(bulk.url, { who, id, n })).status, 202);
  }
  assert.equal((await admin.patch(base, {
    mapping: { user: { match: 'email', path: 'who' }, idempotency_path: 'id', fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  })).status, 200);

  const start = (filters) => admin.post(`${base}/deliveries/replay`, filters);
  const wrong = await start({ status: 'success' });
  assert.deepEqual([wrong.status, wrong.body.error.code, wrong.body.error.details.at], [422, 'invalid_field', 'status']);
  assert.equal((await start({ since: 'yesterday' })).status, 422);
  assert.equal((await start({ user: 'x' })).status, 422, 'unknown members are refused');
  assert.deepEqual((await start({ until: '2000-01-01' })).body.queued, 0);

  const run = await start({ status: 'pending' });
  assert.equal(run.status, 202, run.text);
  assert.deepEqual([run.body.queued, run.body.remaining, run.body.filters], [3, 0, { status: 'pending' }]);
  const done = await eventually(async () => {
    const r = (await admin.get(`${base}/replays/${run.body.id}`)).body;
    return r.finished && r;
  }, 'the run');
  assert.deepEqual([done.done, done.succeeded, done.failed, done.pending, done.skipped], [3, 2, 1, 0, 0]);
  assert.equal(await coins(), before + 5);

  const history = (await admin.get(`${base}/deliveries`)).body;
  assert.deepEqual(history.totals, { success: 2, failed: 1, pending: 0, filtered: 0, replayed: 3 });
  // Nothing is left to replay but the new failure, which a second run takes; the first run's
  // deliveries are never taken again.
  const again = await start({});
  assert.deepEqual([again.body.queued, again.body.remaining], [1, 0]);
  await eventually(async () => (await admin.get(`${base}/replays/${again.body.id}`)).body.finished, 'the second run', 60_000);
  assert.equal(await coins(), before + 5, 'nothing applied twice');
  assert.equal((await admin.get(`/v1/communities/${cid}/incoming-webhooks/${caught.id}/replays/${run.body.id}`)).status, 404,
    'a run is read under its own webhook only');
});

test('saving a mapping says how many caught deliveries wait, and process_pending replays them', async () => {
  const hook2 = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'process me', location: 'user_fields' })).body;
  const base = `/v1/communities/${cid}/incoming-webhooks/${hook2.id}`;
  for (const id of ['p-1', 'p-2']) assert.equal((await send(hook2.url, { who: 'ada@example.com', id, n: 1 })).status, 202);
  const mapping = { user: { match: 'email', path: 'who' }, idempotency_path: 'id', fields: [{ target: { currency: 'xp' }, op: 'add', path: 'n' }] };

  const refused = await admin.patch(base, { process_pending: true });
  assert.deepEqual([refused.status, refused.body.error.details.at], [422, 'process_pending'], 'no mapping: nothing to process with');
  const saved = await admin.patch(base, { mapping });
  assert.deepEqual([saved.status, saved.body.pending_deliveries, saved.body.replay], [200, 2, undefined]);
  assert.equal((await admin.get(`${base}/deliveries?status=pending`)).body.total, 2, 'saving alone replays nothing');

  const processed = await admin.patch(base, { mapping, process_pending: true });
  assert.equal(processed.status, 200, processed.text);
  assert.deepEqual([processed.body.pending_deliveries, processed.body.replay.queued, processed.body.replay.filters], [2, 2, { status: 'pending' }]);
  // A run goes through the queue, which a loaded machine may take longer than 20 s to consume.
  await eventually(async () => (await admin.get(`${base}/replays/${processed.body.replay.id}`)).body.finished, 'the run', 60_000);
  const after = (await admin.get(`${base}/deliveries`)).body.totals;
  assert.deepEqual(after, { success: 2, failed: 0, pending: 0, filtered: 0, replayed: 2 });
  assert.equal((await admin.patch(base, { name: 'renamed' })).body.pending_deliveries, undefined, 'only a saved mapping says it');
});

test('include=payload lists each delivery with its payload exactly as the single answer gives it', async () => {
  const own = (await admin.post('/v1/communities', { name: 'Shadow' })).body.id;
  await admin.post(`/v1/communities/${own}/users`, { email: 'ada@example.com', username: 'ada' });
  assert.equal((await admin.patch(`/v1/communities/${own}/quotas`, { failed_payload_bytes: 1000 })).status, 200);
  const shadow = (await admin.post(`/v1/communities/${own}/incoming-webhooks`, {
    name: 'shadow', location: 'user_fields',
    mapping: { user: { match: 'email', path: 'who' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  })).body;
  const base = `/v1/communities/${own}/incoming-webhooks/${shadow.id}/deliveries`;
  assert.equal((await send(shadow.url, { who: 'ada@example.com', n: 2 })).status, 200);
  // A failure longer than the cap keeps its first 1000 bytes (ASCII: no character to cut
  // around); one that is not JSON keeps none.
  assert.equal((await send(shadow.url, { who: 'nobody@example.com', n: 1, pad: 'x'.repeat(2000) })).status, 422);
  assert.equal((await deliver(`${worker.base}${new URL(shadow.url).pathname}`, 'not json')).status, 400);

  const listed = await admin.get(`${base}?include=payload&per_page=50`);
  assert.equal(listed.status, 200, listed.text);
  assert.equal(listed.body.data.length, 3);
  for (const item of listed.body.data) {
    assert.deepEqual(item, (await admin.get(`${base}/${item.id}`)).body, 'the same as the single answer');
  }
  const payloads = listed.body.data.map((d) => [d.payload, d.payload_truncated, d.payload_text?.length, d.payload_expired]);
  assert.deepEqual(payloads, [[null, false, undefined, false], [null, true, 1000, false], [{ who: 'ada@example.com', n: 2 }, false, undefined, false]]);
  // Without it the list stays as light as before.
  const plain = (await admin.get(base)).body.data;
  assert.ok(plain.every((d) => !['payload', 'payload_truncated', 'payload_text', 'payload_expired'].some((k) => k in d)), JSON.stringify(plain));

  const wrong = await admin.get(`${base}?include=effects`);
  assert.deepEqual([wrong.status, wrong.body.error.code, wrong.body.error.details.at], [400, 'invalid_query', 'include'], wrong.text);
  assert.match(wrong.body.error.message, /"payload"/);
  assert.equal((await admin.get(`${base}?include=payload&per_page=51`)).status, 400, 'per_page stays at most 50');

  // Another community's webhook, by a key of this one: 404 as without include, no payload.
  const key = (await admin.post(`/v1/communities/${own}/api-keys`, { name: 'console' })).body.key;
  const keyed = client(worker.base, key);
  for (const path of [`/v1/communities/${own}/incoming-webhooks/${hook.id}/deliveries`, `/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`]) {
    const plainly = await keyed.get(path);
    const withPayload = await keyed.get(`${path}?include=payload`);
    assert.equal(withPayload.status, 404, withPayload.text);
    assert.deepEqual(withPayload.body, plainly.body);
  }
});

test('gamification logs and field histories filter by webhook_id, with user_id and field; another community\'s webhook matches nothing', async () => {
  const own = (await admin.post('/v1/communities', { name: 'Sources' })).body.id;
  const make = async (c, path, body) => (await admin.post(`/v1/communities/${c}${path}`, body)).body;
  const ann = await make(own, '/users', { email: 'ann@example.com', username: 'ann' });
  await make(own, '/users', { email: 'ben@example.com', username: 'ben' });
  const mapping = (currency) => ({ user: { match: 'email', path: 'who' }, fields: [
    { target: { currency }, op: 'add', path: 'n' }, { target: { field: 'tier' }, op: 'overwrite', path: 'tier' }] });
  await make(own, '/user-fields', { key: 'tier', type: 'text' });
  const shop = await make(own, '/incoming-webhooks', { name: 'shop', mapping: mapping('coins') });
  const game = await make(own, '/incoming-webhooks', { name: 'game', mapping: mapping('xp') });
  for (const [h, who, n] of [[shop, 'ann', 1], [shop, 'ben', 2], [game, 'ann', 3]]) {
    const res = await send(h.url, { who: `${who}@example.com`, n, tier: `${h.name}-${n}` });
    assert.equal(res.status, 200, res.text);
  }
  // A community with the same shape elsewhere: its webhook's rows must never show in `own`'s lists.
  const other = (await admin.post('/v1/communities', { name: 'Elsewhere' })).body.id;
  await make(other, '/users', { email: 'ann@example.com', username: 'ann' });
  await make(other, '/user-fields', { key: 'tier', type: 'text' });
  const theirs = await make(other, '/incoming-webhooks', { name: 'theirs', mapping: mapping('coins') });
  assert.equal((await send(theirs.url, { who: 'ann@example.com', n: 9, tier: 'theirs' })).status, 200);

  const logs = async (c, query) => (await admin.get(`/v1/communities/${c}/gamification-logs?${query}`)).body;
  const changes = async (c, query) => (await admin.get(`/v1/communities/${c}/user-field-histories?${query}`)).body;
  const rows = (list) => [list.total, list.data.map((r) => [r.action ?? r.field, r.delta ?? r.new_value])];
  assert.deepEqual(rows(await logs(own, `webhook_id=${shop.id}`)), [2, [['shop', 2], ['shop', 1]]]);
  assert.deepEqual(rows(await logs(own, `webhook_id=${shop.id}&user_id=${ann.id}`)), [1, [['shop', 1]]]);
  assert.deepEqual(rows(await logs(own, `webhook_id=${game.id}`)), [1, [['game', 3]]]);
  assert.deepEqual(rows(await changes(own, `webhook_id=${game.id}`)), [1, [['tier', 'game-3']]]);
  assert.deepEqual(rows(await changes(own, `webhook_id=${shop.id}&user_id=${ann.id}&field=tier`)), [1, [['tier', 'shop-1']]]);
  assert.deepEqual(rows(await changes(own, `webhook_id=${shop.id}&field=nothing`)), [0, []]);
  assert.equal((await logs(own, '')).total, 3, 'without the filter: every row');

  for (const query of [`webhook_id=${theirs.id}`, `webhook_id=${theirs.id}&user_id=${ann.id}`, 'webhook_id=whk_nothing']) {
    assert.deepEqual(rows(await logs(own, query)), [0, []], query);
    assert.deepEqual(rows(await changes(own, query)), [0, []], query);
  }
  assert.deepEqual(rows(await logs(other, `webhook_id=${shop.id}`)), [0, []]);
  assert.deepEqual(rows(await logs(other, `webhook_id=${theirs.id}`)), [1, [['theirs', 9]]]);
});

test('the community history lists every webhook\'s deliveries, each naming its webhook, with the same filters and ?webhook_id=', async () => {
  const own = (await admin.post('/v1/communities', { name: 'One history' })).body.id;
  const at = `/v1/communities/${own}`;
  await admin.post(`${at}/users`, { email: 'ann@example.com', username: 'ann' });
  const mapping = { user: { match: 'email', path: 'who' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] };
  const shop = (await admin.post(`${at}/incoming-webhooks`, { name: 'shop', mapping })).body;
  const game = (await admin.post(`${at}/incoming-webhooks`, { name: 'game', mapping })).body;
  const waiting = (await admin.post(`${at}/incoming-webhooks`, { name: 'no mapping' })).body;
  const sent = [];
  for (const [h, who] of [[shop, 'ann'], [game, 'ann'], [shop, 'nobody'], [waiting, 'ann']]) {
    sent.push((await send(h.url, { who: `${who}@example.com`, n: 1 })).body.delivery_id);
  }
  const list = async (query = '') => admin.get(`${at}/deliveries${query}`);
  const all = await list();
  assert.equal(all.status, 200, all.text);
  // Newest first, across webhooks, each with its webhook.
  assert.deepEqual(all.body.data.map((d) => [d.id, d.webhook_id]), [
    [sent[3], waiting.id], [sent[2], shop.id], [sent[1], game.id], [sent[0], shop.id]]);
  assert.deepEqual(all.body.totals, { success: 2, failed: 1, pending: 1, filtered: 0, replayed: 0 });
  assert.deepEqual([all.body.page, all.body.per_page, all.body.total], [1, 20, 4]);
  // The same item as the per-webhook history gives.
  const alone = (await admin.get(`${at}/incoming-webhooks/${shop.id}/deliveries`)).body.data;
  assert.deepEqual(all.body.data.filter((d) => d.webhook_id === shop.id), alone);

  assert.deepEqual((await list(`?webhook_id=${shop.id}`)).body.data.map((d) => d.id), [sent[2], sent[0]]);
  assert.deepEqual((await list(`?webhook_id=${shop.id}`)).body.totals, { success: 1, failed: 1, pending: 0, filtered: 0, replayed: 0 });
  assert.deepEqual((await list('?status=pending')).body.data.map((d) => d.id), [sent[3]]);
  assert.deepEqual((await list('?error_code=unknown_member')).body.data.map((d) => d.id), [sent[2]]);
  assert.equal((await list('?until=2000-01-01')).body.total, 0);
  assert.equal((await list('?per_page=1&page=2')).body.data[0].id, sent[2]);
  const withPayload = (await list(`?webhook_id=${game.id}&include=payload`)).body.data[0];
  assert.deepEqual(withPayload.payload, { who: 'ann@example.com', n: 1 });
  assert.equal((await list('?status=nope')).body.error.code, 'invalid_query');
  assert.equal((await list('?include=everything')).body.error.code, 'invalid_query');

  // Another community's webhook is not found here, and its deliveries never show.
  assert.equal((await admin.get(`/v1/communities/${cid}/deliveries?webhook_id=${shop.id}`)).status, 404);
  assert.equal((await list(`?webhook_id=${hook.id}`)).status, 404);
  const theirs = (await admin.get(`/v1/communities/${cid}/deliveries`)).body.data;
  assert.equal(theirs.some((d) => sent.includes(d.id)), false);
  assert.ok(theirs.some((d) => d.webhook_id === hook.id));
});
