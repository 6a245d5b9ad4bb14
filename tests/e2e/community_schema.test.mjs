// A community's own database at an older schema version (migrations/community/): the object
// brings it up to date when it starts, each missing step in its own transaction, and serves the
// data it held as it was. The database is rebuilt, while workerd is halted, as step 1 alone would
// have left it, with members, balances, a field value, a delivery and its log row in it; the code
// of now then opens it, reaches the latest version (checked in the file itself), answers every
// read with the old rows and takes new writes, including ones only the later steps make possible
// (the quotas' copy, a webhook's mapping copy, the placement). A database newer than the code is
// refused: nothing is read from it, nothing written to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, startWorker } from './support/worker.mjs';
import { client, deliver } from './support/api.mjs';

const steps = readdirSync(join(root, 'migrations', 'community')).filter((n) => /^\d{4}_.*\.sql$/.test(n)).sort();
const LATEST = steps.length;
const INITIAL = readFileSync(join(root, 'migrations', 'community', steps[0]), 'utf8');

/**
 * Runs `body` (Python, with `con` open on community `cid`'s object file and `args` parsed) on a
 * halted worker's state, committed; what it leaves in `out`, as JSON. The object's file is the one
 * whose currencies name the community (its name is a hash of the object's id).
 */
function sqlite(state, cid, body, args = {}) {
  const script = `
import glob, json, sqlite3, sys
state, cid, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
found = []
for path in sorted(glob.glob(state + "/v3/do/*-Community/*.sqlite")):
    if path.endswith("/metadata.sqlite"):
        continue
    c = sqlite3.connect(path)
    try:
        if c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'currencies'").fetchone() \\
           and c.execute("SELECT 1 FROM currencies WHERE community_id = ? LIMIT 1", (cid,)).fetchone():
            found.append(path)
    finally:
        c.close()
if len(found) != 1:
    sys.exit("community %s has %d databases" % (cid, len(found)))
con = sqlite3.connect(found[0])
# Ours: not the runtime's own tables (_cf_..., __miniflare_...) nor SQLite's.
def ours():
    return [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 1) <> '_' "
        "AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name")]
def dump():
    return {t: [list(r) for r in con.execute('SELECT * FROM "%s" ORDER BY rowid' % t)] for t in ours()}
out = None
${body}
con.commit()
con.close()
print(json.dumps(out))
`;
  const run = spawnSync('python3', ['-c', script, state, cid, JSON.stringify(args)], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`sqlite: ${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

const hex = (c) => c.repeat(32);
const ADA = `usr_${hex('a')}`;
const BOB = `usr_${hex('b')}`;
const OLD_DELIVERY = `dlv_${hex('d')}`;
const T = '2026-01-02T03:04:05.678Z';

let worker, admin, cid, hook, other;

const mapping = {
  user: { match: 'email', path: 'email' }, idempotency_path: 'order',
  fields: [{ target: { currency: 'coins' }, op: 'add', path: 'coins' }, { target: { field: 'tier' }, op: 'overwrite', path: 'tier' }],
};

before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  // The old community: what the directory (D1) holds of it is made through the API, as then; its
  // own database is rebuilt below.
  cid = (await admin.post('/v1/communities', { name: 'Older' })).body.id;
  assert.equal((await admin.post(`/v1/communities/${cid}/user-fields`, { key: 'tier', name: 'Tier', type: 'text' })).status, 201);
  const made = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'shop', api_key: true, mapping });
  assert.equal(made.status, 201, made.text);
  hook = made.body;
  // A quota of its own, in the directory: the database at version 1 below has no copy of it.
  const held = await admin.patch(`/v1/communities/${cid}/quotas`, { held_deliveries: 7 });
  assert.equal(held.status, 200, held.text);
  // The community whose database a newer release left (the second test), with rows of its own.
  other = (await admin.post('/v1/communities', { name: 'Newer' })).body.id;
  const member = await admin.post(`/v1/communities/${other}/users`, { email: 'cy@example.com', username: 'cy' });
  assert.equal(member.status, 201, member.text);
  other = { cid: other, uid: member.body.id };
  const adjusted = await admin.post(`/v1/communities/${other.cid}/users/${other.uid}/adjustments`,
    { reason: 'Welcome', balances: [{ currency: 'coins', op: 'add', amount: 40 }] });
  assert.equal(adjusted.status, 201, adjusted.text);
  await worker.halt();
});
after(async () => worker?.stop());

/** The sender's URL on the worker's port of now (it changes with each start). */
const hookUrl = () => `${worker.base}${new URL(hook.url).pathname}`;

test('a database at version 1 with data in it is migrated to the latest version when opened, and its data served as it was', async () => {
  // Step 1 only, as the object at version 1 held it: every table of ours dropped, the first step
  // run, the version set to 1, and rows written with that step's columns. (Halted by before().)
  const v1 = sqlite(worker.state, cid, `
for t in ours():
    con.execute('DROP TABLE "%s"' % t)
assert ours() == [], ours()
con.executescript(args["initial"])
con.execute("CREATE TABLE hookmap_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)")
con.execute("INSERT INTO hookmap_schema (id, version) VALUES (1, 1)")
cid, T, ada, bob, dlv, wid = args["cid"], args["t"], args["ada"], args["bob"], args["delivery"], args["webhook"]
con.executemany("INSERT INTO currencies (community_id, key, name, built_in, created_at) VALUES (?, ?, ?, ?, ?)",
                [(cid, "xp", "XP", 1, T), (cid, "coins", "Coins", 1, T), (cid, "gems", "Gems", 0, T)])
con.execute("INSERT INTO user_fields (community_id, key, name, type, created_at) VALUES (?, 'tier', 'Tier', 'text', ?)", (cid, T))
con.executemany("INSERT INTO users (id, community_id, email, username, created_at, created_by_delivery) VALUES (?, ?, ?, ?, ?, NULL)",
                [(ada, cid, "ada@example.com", "ada", T), (bob, cid, "bob@example.com", "bob", T)])
con.executemany("INSERT INTO balances (community_id, user_id, currency, amount) VALUES (?, ?, ?, ?)",
                [(cid, ada, "coins", 120), (cid, ada, "xp", 7), (cid, ada, "gems", 3), (cid, bob, "coins", 5)])
con.execute("INSERT INTO user_field_values (community_id, user_id, field_key, value, updated_at) VALUES (?, ?, 'tier', 'silver', ?)", (cid, ada, T))
con.execute("""INSERT INTO user_field_histories (id, community_id, user_id, field_key, old_value, new_value, source, delivery_id, created_at)
               VALUES (?, ?, ?, 'tier', NULL, 'silver', 'webhook:shop', ?, ?)""", (dlv + "_1", cid, ada, dlv, T))
# The webhook's copy as step 1 kept it: no mapping column yet.
con.execute("INSERT INTO incoming_webhooks (id, community_id, version, enabled, rate_limit) VALUES (?, ?, ?, 1, ?)",
            (wid, cid, args["version"], args["rate_limit"]))
effects = json.dumps([{"kind": "currency", "currency": "coins", "op": "add", "amount": 120},
                      {"kind": "field", "field": "tier", "type": "text", "op": "overwrite", "value": "silver"}])
con.execute("""INSERT INTO deliveries (id, seq, community_id, webhook_id, webhook_version, status, http_status, user_id,
                                       idempotency_key, payload, effects, created_at)
               VALUES (?, 1, ?, ?, ?, 'success', 200, ?, 'order-1', ?, ?, ?)""",
            (dlv, cid, wid, args["version"], ada,
             json.dumps({"email": "ada@example.com", "order": "order-1", "coins": 120, "tier": "silver"}), effects, T))
con.execute("INSERT INTO idempotency_keys (webhook_id, key, delivery_id, created_at) VALUES (?, 'order-1', ?, ?)", (wid, dlv, T))
con.execute("""INSERT INTO gamification_logs (id, community_id, user_id, currency, delta, balance_after, action, delivery_id, created_at)
               VALUES (?, ?, ?, 'coins', 120, 120, 'shop', ?, ?)""", (dlv + "_0", cid, ada, dlv, T))
out = {"tables": ours(), "rows": sum(len(v) for t, v in dump().items() if t != "hookmap_schema")}
`, {
    initial: INITIAL, cid, t: T, ada: ADA, bob: BOB, delivery: OLD_DELIVERY, webhook: hook.id,
    version: hook.version, rate_limit: hook.rate_limit,
  });
  // Step 1's tables only: none of the later steps' is there to be found.
  for (const later of ['community_quotas', 'placement', 'move_progress', 'copies_pending']) assert.ok(!v1.tables.includes(later), later);

  await worker.start();
  admin = client(worker.base, worker.adminToken);
  const at = `/v1/communities/${cid}`;

  // Read first, before anything is written: the rows are those of version 1, counted as they were
  // (the later steps' bookkeeping is not the community's data), and the quotas' copy, which the
  // object filled from the directory when it opened the database.
  const quotas = await admin.get(`${at}/quotas`);
  assert.equal(quotas.status, 200, quotas.text);
  assert.equal(quotas.body.usage.stored_rows, v1.rows + 1);

  const member = async (uid) => {
    const res = await admin.get(`${at}/users/${uid}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const ada = await member(ADA);
  assert.deepEqual([ada.email, ada.username, ada.created_at], ['ada@example.com', 'ada', T]);
  assert.deepEqual(ada.balances, { coins: 120, gems: 3, xp: 7 });
  assert.deepEqual([ada.coins, ada.xp, ada.fields], [120, 7, { tier: 'silver' }]);
  const bob = await member(BOB);
  assert.deepEqual([bob.balances, bob.fields], [{ coins: 5, gems: 0, xp: 0 }, {}]);
  const listed = await admin.get(`${at}/users`);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body.data.map((m) => m.username).sort(), ['ada', 'bob']);

  const logs = await admin.get(`${at}/gamification-logs?user_id=${ADA}`);
  assert.equal(logs.status, 200, logs.text);
  assert.deepEqual(logs.body.data.map((l) => [l.id, l.currency, l.delta, l.balance_after, l.action, l.delivery_id, l.created_at]),
    [[`${OLD_DELIVERY}_0`, 'coins', 120, 120, 'shop', OLD_DELIVERY, T]]);
  const changes = await admin.get(`${at}/user-field-histories?user_id=${ADA}&field=tier`);
  assert.equal(changes.status, 200, changes.text);
  assert.deepEqual(changes.body.data.map((c) => [c.old_value, c.new_value, c.source]), [[null, 'silver', 'webhook:shop']]);
  const history = await admin.get(`${at}/incoming-webhooks/${hook.id}/deliveries`);
  assert.equal(history.status, 200, history.text);
  assert.deepEqual(history.body.data.map((d) => [d.id, d.status, d.http_status, d.user_id, d.idempotency_key, d.created_at]),
    [[OLD_DELIVERY, 'success', 200, ADA, 'order-1', T]]);
  assert.deepEqual(history.body.data[0].effects[0], { kind: 'currency', currency: 'coins', op: 'add', amount: 120 });
  const currencies = await admin.get(`${at}/currencies`);
  assert.equal(currencies.status, 200, currencies.text);
  assert.deepEqual(currencies.body.data.map((c) => c.key).sort(), ['coins', 'gems', 'xp']);

  // The sender's retry of the old order is the old delivery's duplicate: its idempotency key kept.
  const send = (body) => deliver(hookUrl(), JSON.stringify(body), { 'x-api-key': hook.api_key });
  const retry = await send({ email: 'ada@example.com', order: 'order-1', coins: 120, tier: 'silver' });
  assert.equal(retry.status, 200, retry.text);
  assert.deepEqual([retry.body.duplicate, retry.body.delivery_id], [true, OLD_DELIVERY]);
  // A new delivery applies on top of the old balance.
  const fresh = await send({ email: 'ada@example.com', order: 'order-2', coins: 30, tier: 'gold' });
  assert.equal(fresh.status, 200, fresh.text);
  assert.deepEqual([fresh.body.status, fresh.body.duplicate, fresh.body.member.coins], ['success', false, 150]);
  // So does an admin's adjustment.
  const adjusted = await admin.post(`${at}/users/${BOB}/adjustments`,
    { reason: 'Migrated', balances: [{ currency: 'coins', op: 'add', amount: 10 }, { currency: 'xp', op: 'add', amount: 2 }] });
  assert.equal(adjusted.status, 201, adjusted.text);
  assert.deepEqual(adjusted.body.member.balances, { coins: 15, gems: 0, xp: 2 });
  const refused = await admin.post(`${at}/users/${ADA}/adjustments`,
    { reason: 'Too much', balances: [{ currency: 'gems', op: 'subtract', amount: 4 }] });
  assert.deepEqual([refused.status, refused.body?.error?.code], [422, 'insufficient_balance'], refused.text);
  assert.deepEqual((await member(ADA)).balances, { coins: 150, gems: 3, xp: 7 });
  assert.deepEqual((await member(ADA)).fields, { tier: 'gold' });
  assert.equal((await admin.get(`${at}/users/${BOB}/adjustments`)).body.data.length, 1);
  const after = await admin.get(`${at}/gamification-logs?user_id=${ADA}`);
  assert.deepEqual(after.body.data.map((l) => [l.currency, l.delta, l.balance_after]).sort(),
    [['coins', 120, 120], ['coins', 30, 150]].sort());

  // Step 2's tables and columns: the quotas' copy, and a webhook's mapping copied with its
  // settings, which keeps the field it writes from being deleted. Step 2 added them empty; with no
  // setting changed since, the object filled them from the directory when it opened the database
  // (step 4's mark), so the field the mapping writes is in use.
  const inUse = await admin.del(`${at}/user-fields/tier`);
  assert.deepEqual([inUse.status, inUse.body?.error?.code], [409, 'field_in_use'], inUse.text);
  const third = await send({ email: 'bob@example.com', order: 'order-3', coins: 1, tier: 'bronze' });
  assert.equal(third.status, 200, third.text);
  assert.equal(third.body.member.coins, 16);

  await worker.halt();
  const now = sqlite(worker.state, cid, `
out = {
  "version": con.execute("SELECT version FROM hookmap_schema").fetchall(),
  "placement": con.execute("SELECT id, state FROM placement").fetchall(),
  "quotas": con.execute("SELECT community_id, held_deliveries FROM community_quotas").fetchall(),
  "mapping": con.execute("SELECT id, json_extract(mapping, '$.fields[1].target.field') FROM incoming_webhooks").fetchall(),
  "moves": con.execute("SELECT COUNT(*) FROM move_progress").fetchone()[0],
  "marked": con.execute("SELECT COUNT(*) FROM copies_pending").fetchone()[0],
  "balances": con.execute("SELECT user_id, currency, amount FROM balances ORDER BY user_id, currency").fetchall(),
  "deliveries": con.execute("SELECT seq, idempotency_key, status FROM deliveries ORDER BY seq").fetchall(),
}
`);
  assert.deepEqual(now.version, [[LATEST]], `the latest version is ${LATEST} (${steps.join(', ')})`);
  assert.deepEqual(now.placement, [[1, 'live']], 'a database that held its currencies is live');
  assert.deepEqual(now.quotas, [[cid, 7]]);
  assert.deepEqual(now.mapping, [[hook.id, 'tier']]);
  assert.equal(now.moves, 0);
  assert.equal(now.marked, 0, 'the copies were filled once, and the mark cleared with them');
  assert.deepEqual(now.balances, [
    [ADA, 'coins', 150], [ADA, 'gems', 3], [ADA, 'xp', 7], [BOB, 'coins', 16], [BOB, 'xp', 2],
  ]);
  assert.deepEqual(now.deliveries.map((d) => [d[1], d[2]]), [['order-1', 'success'], ['order-2', 'success'], ['order-3', 'success']]);
  assert.ok(now.deliveries[1][0] > 1, 'new deliveries are numbered after the old one');
});

test('a database newer than the code is refused: nothing read, nothing written', async () => {
  // A release with a step this code does not know left it at version 99. (Halted already, unless
  // the first test stopped early: a file is changed only while workerd is down.)
  await worker.halt();
  const before = sqlite(worker.state, other.cid, `
con.execute("UPDATE hookmap_schema SET version = 99")
out = dump()
`);
  assert.deepEqual(before.hookmap_schema, [[1, 99]]);
  assert.ok(before.balances.length > 0 && before.adjustments.length === 1);

  await worker.start();
  admin = client(worker.base, worker.adminToken);
  const at = `/v1/communities/${other.cid}`;
  // Each is answered at once; a hang would fail here, not at the runner's timeout.
  const timed = async (p) => {
    let timer;
    const late = new Promise((_, no) => { timer = setTimeout(() => no(new Error('no answer within 20 s')), 20_000); });
    try { return await Promise.race([p, late]); } finally { clearTimeout(timer); }
  };
  const attempts = [
    await timed(admin.get(`${at}/users/${other.uid}`)),
    await timed(admin.get(`${at}/users`)),
    await timed(admin.get(`${at}/quotas`)),
    await timed(admin.post(`${at}/users/${other.uid}/adjustments`, { reason: 'Again', balances: [{ currency: 'coins', op: 'add', amount: 1 }] })),
    await timed(admin.post(`${at}/users`, { email: 'dee@example.com', username: 'dee' })),
  ];
  for (const res of attempts) {
    assert.deepEqual([res.status, res.body?.error?.code], [500, 'internal'], res.text);
    // A 500 tells nothing of its cause.
    assert.doesNotMatch(res.body.error.message, /version|newer/, res.text);
  }
  // Every other community's database is its own: the old one above answers as before.
  const elsewhere = await admin.get(`/v1/communities/${cid}/users/${ADA}`);
  assert.equal(elsewhere.status, 200, elsewhere.text);
  assert.equal(elsewhere.body.coins, 150);

  // The cause is logged, not told: the object refused to open a database newer than its code.
  // eslint-disable-next-line no-control-regex
  const log = worker.log.join('').replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(log, new RegExp(`database is at version 99, newer than this code's ${LATEST}`));
  await worker.halt();
  const after = sqlite(worker.state, other.cid, 'out = dump()');
  assert.deepEqual(after, before, 'the newer database is as it was left');
});
