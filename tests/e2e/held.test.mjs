// Members who have not joined yet (issue 28): a webhook with `on_unknown_member: "hold"` keeps a
// delivery for an unknown member pending (`member_unknown`) and answers 202 {held: true}; the
// member's creation applies every delivery held for their email or username, once, oldest first;
// a held delivery still held when retention drops its payload fails with `member_never_joined`;
// the community's `held_deliveries` quota bounds how many are held.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, objects } from './support/worker.mjs';
import { choresRan, client, deliver, eventually } from './support/api.mjs';

let worker, admin;
before(async () => {
  worker = await startWorker({ vars: { CHORES_EVERY_SECONDS: '1' } });
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

const mapping = (match = 'email') => ({
  user: { match, path: 'who' }, idempotency_path: 'order',
  fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }],
});

/** A community with a keyed coins webhook holding deliveries for unknown members. */
async function shop(name, extra = {}) {
  const cid = (await admin.post('/v1/communities', { name })).body.id;
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'orders', api_key: true, on_unknown_member: 'hold', mapping: mapping(), ...extra,
  });
  assert.equal(created.status, 201, created.text);
  const hook = created.body;
  assert.equal(hook.on_unknown_member, 'hold');
  const path = () => `${worker.base}${new URL(hook.url).pathname}`;
  const send = (order, who, n = 10, headers = { 'x-api-key': hook.api_key }) =>
    deliver(path(), JSON.stringify({ who, order, n }), headers);
  const base = `/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`;
  const history = async (query = '') => (await admin.get(`${base}${query}`)).body;
  const one = async (did) => (await admin.get(`${base}/${did}`)).body;
  const join = (email, username) => admin.post(`/v1/communities/${cid}/users`, { email, username });
  const member = async (email) => (await admin.get(`/v1/communities/${cid}/users?email=${encodeURIComponent(email)}`)).body.data[0];
  const logs = async (uid) => (await admin.get(`/v1/communities/${cid}/gamification-logs?user_id=${uid}`)).body;
  return { cid, hook, send, history, one, join, member, logs, base };
}

test('the default policy is fail; a policy the API does not know is refused and changes nothing', async () => {
  const cid = (await admin.post('/v1/communities', { name: 'Defaults' })).body.id;
  const plain = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'p', api_key: true, mapping: mapping() })).body;
  assert.equal(plain.on_unknown_member, 'fail');
  const res = await deliver(plain.url, JSON.stringify({ who: 'new@example.com', order: 'o-1', n: 5 }), { 'x-api-key': plain.api_key });
  assert.deepEqual([res.status, res.body.error.code], [422, 'unknown_member']);

  const bad = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${plain.id}`, { on_unknown_member: 'wait' });
  assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.details.at], [422, 'invalid_field', 'on_unknown_member']);
  const after = (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${plain.id}`)).body;
  assert.deepEqual([after.on_unknown_member, after.version], ['fail', plain.version]);
});

test('hold, then create the member through the API: the delivery applies once, and retries are its duplicates', async () => {
  const s = await shop('Hold once');
  // A dry run says what the delivery would get, and holds nothing.
  const dry = await deliver(`${s.hook.url}?dry_run=true`, JSON.stringify({ who: 'ann@example.com', order: 'o-1', n: 25 }), { 'x-api-key': s.hook.api_key });
  assert.equal(dry.status, 202, dry.text);
  assert.deepEqual([dry.body.dry_run, dry.body.held, dry.body.effects[0].amount], [true, true, 25]);
  assert.equal((await s.history()).total, 0);

  const held = await s.send('o-1', 'Ann@Example.com', 25);
  assert.equal(held.status, 202, held.text);
  assert.deepEqual([held.body.held, held.body.status, held.body.reason], [true, 'pending', 'member_unknown']);
  const did = held.body.delivery_id;

  // The sender's retry before she joins is the held delivery's duplicate, and holds nothing more.
  const retry = await s.send('o-1', 'ann@example.com', 25);
  assert.deepEqual([retry.status, retry.body.duplicate, retry.body.held, retry.body.delivery_id], [202, true, true, did]);
  const pending = await s.history('?status=pending');
  assert.equal(pending.total, 1);
  assert.deepEqual([pending.data[0].error.code, pending.data[0].id], ['member_unknown', did]);
  assert.match(pending.data[0].error.message, /held/);

  // She joins: the held delivery applies, once, against the mapping of now (a second row added).
  const m2 = mapping();
  m2.fields.push({ target: { currency: 'xp' }, op: 'add', path: 'n' });
  assert.equal((await admin.patch(`/v1/communities/${s.cid}/incoming-webhooks/${s.hook.id}`, { mapping: m2 })).status, 200);
  const joined = await s.join('ANN@example.com', 'ann');
  assert.equal(joined.status, 201, joined.text);
  const ann = await s.member('ann@example.com');
  assert.deepEqual([ann.coins, ann.xp], [25, 25]);

  const original = await s.one(did);
  assert.equal(original.status, 'replayed');
  const applied = await s.one(original.replayed_as);
  assert.deepEqual([applied.status, applied.user_id, applied.replay_of], ['success', ann.id, did]);
  assert.equal((await s.history('?status=pending')).total, 0);

  // A retry after she joined is a duplicate of the delivery that applied; nothing applies twice.
  const late = await s.send('o-1', 'ann@example.com', 25);
  assert.deepEqual([late.status, late.body.duplicate, late.body.delivery_id], [200, true, applied.id]);
  const again = await s.member('ann@example.com');
  assert.deepEqual([again.coins, again.xp], [25, 25]);
  assert.equal((await s.logs(ann.id)).total, 2, 'one coins and one xp log');

  // An admin's replay of the original now is a duplicate too.
  const replay = await admin.post(`${s.base}/${did}/replay`);
  assert.equal(replay.body.duplicate, true, replay.text);
  assert.equal((await s.member('ann@example.com')).coins, 25);
});

test('two deliveries held for one member, then concurrent creations, retries and replays: each applies once', async () => {
  const cid = (await admin.post('/v1/communities', { name: 'Races' })).body.id;
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'orders', api_key: true, on_unknown_member: 'hold',
    mapping: mapping('username'),
  })).body;
  const send = (order, n) => deliver(hook.url, JSON.stringify({ who: 'bo', order, n }), { 'x-api-key': hook.api_key });
  const base = `/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`;
  const first = await send('o-1', 3);
  const second = await send('o-2', 4);
  assert.deepEqual([first.status, second.status], [202, 202]);

  // Two creations race (one is 409 email_taken), with the sender's retries and the admin's
  // replays of both held deliveries.
  const answers = await Promise.all([
    admin.post(`/v1/communities/${cid}/users`, { email: 'bo@example.com', username: 'bo' }),
    admin.post(`/v1/communities/${cid}/users`, { email: 'bo@example.com', username: 'bo' }),
    send('o-1', 3), send('o-2', 4),
    admin.post(`${base}/${first.body.delivery_id}/replay`),
    admin.post(`${base}/${second.body.delivery_id}/replay`),
  ]);
  assert.deepEqual(answers.slice(0, 2).map((r) => r.status).sort(), [201, 409]);
  for (const r of answers.slice(2)) assert.ok([200, 202].includes(r.status), r.text);

  const bo = (await admin.get(`/v1/communities/${cid}/users?username=bo`)).body.data[0];
  assert.equal(bo.coins, 7, 'each delivery applied exactly once');
  const logs = (await admin.get(`/v1/communities/${cid}/gamification-logs?user_id=${bo.id}`)).body;
  assert.equal(logs.total, 2);
  const successes = (await admin.get(`${base}?status=success`)).body;
  assert.equal(successes.total, 2);
  assert.equal((await admin.get(`${base}?status=pending`)).body.total, 0);

  // Retries after all that are duplicates still.
  for (const [order, n] of [['o-1', 3], ['o-2', 4]]) {
    const r = await send(order, n);
    assert.deepEqual([r.status, r.body.duplicate], [200, true]);
  }
  assert.equal((await admin.get(`/v1/communities/${cid}/users/${bo.id}`)).body.coins, 7);
});

test('deliveries racing the member\'s creation: none is left held, each applies once', async () => {
  const s = await shop('Creation race');
  // 16 orders sent while she joins: each is applied directly, held then applied by the creation,
  // or found her while being held and applied itself (the hold's INSERT sees the member).
  const orders = Array.from({ length: 16 }, (_, i) => `r-${i}`);
  const [joined, ...answers] = await Promise.all([
    new Promise((r) => setTimeout(r, 15)).then(() => s.join('dee@example.com', 'dee')),
    ...orders.map((order) => s.send(order, 'dee@example.com', 1)),
  ]);
  assert.equal(joined.status, 201, joined.text);
  for (const r of answers) assert.ok([200, 202].includes(r.status), r.text);
  assert.equal((await s.history('?status=pending')).total, 0, 'nothing held while she exists');
  const dee = await s.member('dee@example.com');
  assert.equal(dee.coins, 16);
  // Every order again: all duplicates.
  const again = await Promise.all(orders.map((order) => s.send(order, 'dee@example.com', 1)));
  assert.deepEqual(again.map((r) => [r.status, r.body.duplicate]), orders.map(() => [200, true]));
  assert.equal((await s.member('dee@example.com')).coins, 16);
});

test('held deliveries apply in delivery order, against the mapping current when the member joins', async () => {
  const cid = (await admin.post('/v1/communities', { name: 'Order' })).body.id;
  assert.equal((await admin.post(`/v1/communities/${cid}/user-fields`, { key: 'last', type: 'text' })).status, 201);
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'orders', api_key: true, on_unknown_member: 'hold',
    mapping: { ...mapping(), fields: [{ target: { field: 'last' }, op: 'overwrite', path: 'order' }] },
  })).body;
  for (const order of ['o-1', 'o-2', 'o-3']) {
    const r = await deliver(hook.url, JSON.stringify({ who: 'cy@example.com', order }), { 'x-api-key': hook.api_key });
    assert.equal(r.status, 202, r.text);
  }
  assert.equal((await admin.post(`/v1/communities/${cid}/users`, { email: 'cy@example.com', username: 'cy' })).status, 201);
  const cy = (await admin.get(`/v1/communities/${cid}/users?email=cy@example.com`)).body.data[0];
  assert.equal(cy.fields.last, 'o-3', 'the newest delivery applied last');
  const hist = (await admin.get(`/v1/communities/${cid}/user-field-histories?user_id=${cy.id}&field=last`)).body;
  assert.deepEqual(hist.data.map((h) => h.new_value).reverse(), ['o-1', 'o-2', 'o-3']);
});

test('the held_deliveries quota bounds what a community holds; beyond it the delivery fails with quota_exceeded', async () => {
  const s = await shop('Quota');
  assert.equal((await admin.patch(`/v1/communities/${s.cid}/quotas`, { held_deliveries: 2 })).status, 200);
  assert.equal((await admin.get(`/v1/communities/${s.cid}/quotas`)).body.held_deliveries, 2);
  const answers = await Promise.all(['a', 'b', 'c', 'd'].map((who, i) => s.send(`q-${i}`, `${who}@example.com`)));
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [202, 202, 422, 422], answers.map((r) => r.text).join('\n'));
  for (const refused of answers.filter((r) => r.status === 422)) {
    assert.deepEqual([refused.body.error.code, refused.body.error.details.quota, refused.body.error.details.limit],
      ['quota_exceeded', 'held_deliveries', 2]);
  }
  assert.equal((await s.history('?status=pending')).total, 2);
  assert.equal((await s.history('?status=failed')).total, 2);
});

test('hold, then retention drops the payload: the delivery fails with member_never_joined and its key is free', async () => {
  const s = await shop('Never');
  assert.equal((await admin.patch(`/v1/communities/${s.cid}/quotas`, { payload_days: 1 })).status, 200);
  const held = await s.send('n-1', 'ghost@example.com');
  assert.equal(held.status, 202);
  await worker.halt();
  objects(worker.state, "UPDATE deliveries SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '-2 days');");
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  await choresRan(admin, new Date().toISOString());

  const failed = await s.one(held.body.delivery_id);
  assert.deepEqual([failed.status, failed.error.code, failed.payload_expired], ['failed', 'member_never_joined', true]);
  // Joining now applies nothing (nothing is held), and the sender may send the order again.
  assert.equal((await s.join('ghost@example.com', 'ghost')).status, 201);
  assert.equal((await s.member('ghost@example.com')).coins, 0);
  const again = await s.send('n-1', 'ghost@example.com', 10);
  assert.deepEqual([again.status, again.body.duplicate], [200, false]);
  assert.equal((await s.member('ghost@example.com')).coins, 10);
});

test('the community\'s chores apply a delivery still held for a member who exists (a creation that stopped before applying it)', async () => {
  const s = await shop('Catch up');
  const held = await s.send('cu-1', 'fay@example.com', 6);
  assert.equal(held.status, 202);
  // The member appears without the API's creation (as if its worker stopped right after the
  // INSERT): nothing applied the held delivery.
  await worker.halt();
  objects(worker.state, `INSERT INTO users (id, community_id, email, username, created_at)
    VALUES ('usr_catchup', '${s.cid}', 'fay@example.com', 'fay', '2026-01-01T00:00:00.000Z');`, s.cid);
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  await eventually(async () => (await s.member('fay@example.com')).coins === 6, 'the held delivery applied by the chores');
  assert.equal((await s.history('?status=pending')).total, 0);
  assert.equal((await s.history('?status=success')).total, 1);
});

test('attack: an outsider with the URL can neither hold deliveries nor have held ones apply to someone else', async () => {
  // A webhook that checks neither key nor signature: anyone with the URL is its sender. Holding
  // needs a proved sender, so there the outsider's delivery fails as before and nothing waits
  // for whoever joins under that email.
  const cid = (await admin.post('/v1/communities', { name: 'Open' })).body.id;
  const open = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'open', on_unknown_member: 'hold', mapping: mapping() })).body;
  const r = await deliver(open.url, JSON.stringify({ who: 'victim@example.com', order: 'x-1', n: 1000 }));
  assert.equal(r.status, 422, `an outsider's delivery was not refused: ${r.text}`);
  assert.equal(r.body.error.code, 'unknown_member');
  assert.equal((await admin.post(`/v1/communities/${cid}/users`, { email: 'victim@example.com', username: 'victim' })).status, 201);
  const victim = (await admin.get(`/v1/communities/${cid}/users?email=victim@example.com`)).body.data[0];
  assert.equal(victim.coins, 0);

  // On a keyed webhook, a request without the key is refused before anything is held.
  const s = await shop('Keyed');
  const noKey = await s.send('x-2', 'later@example.com', 1000, {});
  assert.equal(noKey.status, 401);
  const wrongKey = await s.send('x-3', 'later@example.com', 1000, { 'x-api-key': 'hmw_wrong' });
  assert.equal(wrongKey.status, 401);
  assert.equal((await s.history('?status=pending')).total, 0);

  // A delivery held in one community never applies to a member another community creates under
  // the same email, nor can that community's key create members here.
  const held = await s.send('x-4', 'later@example.com', 7);
  assert.equal(held.status, 202);
  const other = (await admin.post('/v1/communities', { name: 'Other' })).body.id;
  const otherKey = (await admin.post(`/v1/communities/${other}/api-keys`, { name: 'k' })).body.key;
  const tenant = client(worker.base, otherKey);
  assert.equal((await tenant.post(`/v1/communities/${other}/users`, { email: 'later@example.com', username: 'later' })).status, 201);
  assert.equal((await tenant.post(`/v1/communities/${s.cid}/users`, { email: 'later@example.com', username: 'later' })).status, 404);
  assert.equal((await s.history('?status=pending')).total, 1, 'still held');
  const theirs = (await tenant.get(`/v1/communities/${other}/users?email=later@example.com`)).body.data[0];
  assert.equal(theirs.coins, 0);
  // Only this community's admin creates its members: then it applies, to them.
  assert.equal((await s.join('later@example.com', 'later')).status, 201);
  assert.equal((await s.member('later@example.com')).coins, 7);
});

// ---- on_unknown_member: "create" ----

/** A community with a keyed webhook that creates members who have not joined. */
async function creating(name, { quotas, match = 'email' } = {}) {
  const cid = (await admin.post('/v1/communities', { name })).body.id;
  if (quotas) assert.equal((await admin.patch(`/v1/communities/${cid}/quotas`, quotas)).status, 200);
  const create = match === 'email' ? { username: 'name' } : { email: 'mail' };
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'signups', api_key: true, on_unknown_member: 'create',
    mapping: { user: { match, path: 'who', create }, idempotency_path: 'order', fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  });
  assert.equal(created.status, 201, created.text);
  const hook = created.body;
  assert.deepEqual(hook.mapping.user.create, create);
  const send = (body, headers = { 'x-api-key': hook.api_key }) => deliver(hook.url, JSON.stringify(body), headers);
  const users = async () => (await admin.get(`/v1/communities/${cid}/users`)).body;
  return { cid, hook, send, users };
}

test('create: a valid new member is created in the delivery\'s batch, announced, and the delivery applies to them', async () => {
  const c = await creating('Create');
  // A subscriber of member.joined hears of the member the webhook created.
  const sub = (await admin.post(`/v1/communities/${c.cid}/webhooks`, { url: 'http://127.0.0.1:9/joined', events: ['member.joined'] })).body;
  const res = await c.send({ who: ' New.Buyer@Example.com ', name: 'newbuyer', order: 'c-1', n: 40 });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.member.coins, 40);
  const [member] = (await c.users()).data;
  assert.deepEqual([member.email, member.username, member.coins, member.id], ['new.buyer@example.com', 'newbuyer', 40, res.body.member.id]);
  // Her next order applies to the same member; a repeat is a duplicate.
  assert.equal((await c.send({ who: 'new.buyer@example.com', name: 'ignored now', order: 'c-2', n: 2 })).status, 200);
  assert.equal((await c.send({ who: 'new.buyer@example.com', name: 'newbuyer', order: 'c-1', n: 40 })).body.duplicate, true);
  const after = await c.users();
  assert.deepEqual([after.total, after.data[0].coins, after.data[0].username], [1, 42, 'newbuyer']);
  // Announced by the API worker (queued by the edge), once.
  const announced = await eventually(async () => {
    const list = (await admin.get(`/v1/communities/${c.cid}/webhooks/${sub.id}/deliveries`)).body;
    return list.total > 0 && list;
  }, 'member.joined');
  await new Promise((r) => setTimeout(r, 500));
  const again = (await admin.get(`/v1/communities/${c.cid}/webhooks/${sub.id}/deliveries`)).body;
  assert.deepEqual(again.data.map((d) => d.event), ['member.joined'], 'announced once');
  assert.equal(announced.total, 1);
});

test('create: an invalid email or username fails the delivery with its code and creates nothing', async () => {
  const byName = await creating('Create invalid', { match: 'username' });
  const bad = await byName.send({ who: 'zed', mail: 'not-an-email', order: 'i-1', n: 5 });
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual([bad.body.error.code, bad.body.error.details.at], ['invalid_member', 'user.create.email']);
  const missing = await byName.send({ who: 'zed', order: 'i-2', n: 5 });
  assert.deepEqual([missing.status, missing.body.error.code], [422, 'invalid_member']);
  const byEmail = await creating('Create invalid 2');
  const long = await byEmail.send({ who: 'a@b.example', name: 'x'.repeat(65), order: 'i-3', n: 5 });
  assert.deepEqual([long.status, long.body.error.code, long.body.error.details.at], [422, 'invalid_member', 'user.create.username']);
  // The users API refuses the same values.
  const api = await admin.post(`/v1/communities/${byName.cid}/users`, { email: 'not-an-email', username: 'zed' });
  assert.deepEqual([api.status, api.body.error.code], [422, 'invalid_field']);
  assert.equal((await byName.users()).total, 0);
  assert.equal((await byEmail.users()).total, 0);

  // A username another member has: the member is not created, the delivery fails.
  assert.equal((await admin.post(`/v1/communities/${byEmail.cid}/users`, { email: 'first@example.com', username: 'taken' })).status, 201);
  const taken = await byEmail.send({ who: 'second@example.com', name: 'taken', order: 'i-4', n: 5 });
  assert.deepEqual([taken.status, taken.body.error.code, taken.body.error.details.at], [422, 'username_taken', 'user.create.username']);
  assert.equal((await byEmail.users()).total, 1);
  // Fixed, the sender's retry of the same order creates her.
  const retried = await byEmail.send({ who: 'second@example.com', name: 'second', order: 'i-4', n: 5 });
  assert.equal(retried.status, 200, retried.text);
  assert.equal((await byEmail.users()).total, 2);
});

test('create: the members_per_hour quota bounds what webhooks create, concurrent deliveries included', async () => {
  const c = await creating('Create quota', { quotas: { members_per_hour: 3 } });
  assert.equal((await admin.get(`/v1/communities/${c.cid}/quotas`)).body.members_per_hour, 3);
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) =>
    c.send({ who: `m${i}@example.com`, name: `m${i}`, order: `q-${i}`, n: 1 })));
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 422, 422, 422], answers.map((r) => r.text).join('\n'));
  for (const r of answers.filter((a) => a.status === 422)) {
    assert.deepEqual([r.body.error.code, r.body.error.details.quota, r.body.error.details.limit], ['quota_exceeded', 'members_per_hour', 3]);
  }
  assert.equal((await c.users()).total, 3);
  // Members the API creates are not counted; a delivery for an existing member still applies.
  assert.equal((await admin.post(`/v1/communities/${c.cid}/users`, { email: 'api@example.com', username: 'api' })).status, 201);
  const existing = await c.send({ who: 'api@example.com', name: 'x', order: 'q-9', n: 1 });
  assert.equal(existing.status, 200, existing.text);
});

test('create: deliveries other webhooks held for the new member apply once she is created by a delivery', async () => {
  const c = await creating('Create and held');
  const holding = (await admin.post(`/v1/communities/${c.cid}/incoming-webhooks`, {
    name: 'orders', api_key: true, on_unknown_member: 'hold',
    mapping: { user: { match: 'email', path: 'who' }, idempotency_path: 'order', fields: [{ target: { currency: 'xp' }, op: 'add', path: 'n' }] },
  })).body;
  const held = await deliver(holding.url, JSON.stringify({ who: 'eve@example.com', order: 'h-1', n: 9 }), { 'x-api-key': holding.api_key });
  assert.equal(held.status, 202);
  assert.equal((await c.send({ who: 'eve@example.com', name: 'eve', order: 's-1', n: 1 })).status, 200);
  // The API worker applies them, queued by the edge.
  const eve = await eventually(async () => {
    const [m] = (await c.users()).data;
    return m.xp === 9 && m;
  }, 'the held delivery applied');
  assert.deepEqual([eve.coins, eve.xp], [1, 9]);
  const hist = (await admin.get(`/v1/communities/${c.cid}/incoming-webhooks/${holding.id}/deliveries?status=success`)).body;
  assert.equal(hist.total, 1);
});

test('attack: an outsider with the URL of a webhook that creates members creates none', async () => {
  // Without key or signature, create acts as fail: anyone with the URL could otherwise create
  // members at will (and spend the community's hourly quota).
  const cid = (await admin.post('/v1/communities', { name: 'Open create' })).body.id;
  const open = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'open', on_unknown_member: 'create',
    mapping: { user: { match: 'email', path: 'who', create: { username: 'name' } }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  })).body;
  const answers = await Promise.all(Array.from({ length: 5 }, (_, i) =>
    deliver(open.url, JSON.stringify({ who: `bot${i}@example.com`, name: `bot${i}`, n: 1000 }))));
  for (const r of answers) {
    assert.equal(r.status, 422, `an outsider's delivery was not refused: ${r.text}`);
    assert.equal(r.body.error.code, 'unknown_member');
  }
  assert.equal((await admin.get(`/v1/communities/${cid}/users`)).body.total, 0);
  // On a keyed one, a request without the key is refused before anything is created.
  const c = await creating('Keyed create');
  assert.equal((await c.send({ who: 'x@example.com', name: 'x', n: 1 }, {})).status, 401);
  assert.equal((await c.users()).total, 0);
});
