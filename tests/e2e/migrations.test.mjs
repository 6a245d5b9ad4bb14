// A populated database from before currencies were data (migrations up to 0010) is migrated by
// the worker's deploy step (wrangler d1 migrations apply), its community is moved into its own
// database (POST .../move, README "Moving an existing deployment") and served: every balance
// arrives in the balances rows, the logs stay, and the old columns are gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { moveCommunity, olderDatabase, startWorker } from './support/worker.mjs';
import { client } from './support/api.mjs';

let older;
let worker;
let admin;
// The directory's balance rows after its migrations, before the move.
let migrated;

before(async () => {
  older = olderDatabase('0010_quotas.sql');
  older.execute(`
    INSERT INTO communities (id, name, created_at) VALUES ('com_old', 'Old', '2026-01-01T00:00:00Z');
    INSERT INTO users (id, community_id, email, username, xp, coins, created_at) VALUES
      ('usr_rich', 'com_old', 'rich@example.com', 'rich', 1200, 345, '2026-01-02T00:00:00Z'),
      ('usr_xp', 'com_old', 'xp@example.com', 'xp', 7, 0, '2026-01-03T00:00:00Z'),
      ('usr_none', 'com_old', 'none@example.com', 'none', 0, 0, '2026-01-04T00:00:00Z');
    INSERT INTO gamification_logs (id, community_id, user_id, currency, delta, balance_after, action, delivery_id, created_at)
      VALUES ('log_1', 'com_old', 'usr_rich', 'coins', 345, 345, 'shop', NULL, '2026-01-05T00:00:00Z');
    INSERT INTO incoming_webhooks (id, community_id, token, name, location, signing_secret, created_at, updated_at) VALUES
      ('whk_signed', 'com_old', '${'a'.repeat(48)}', 'signed', 'user_fields', 'sealed-secret', '2026-01-06T00:00:00Z', '2026-01-06T00:00:00Z'),
      ('whk_open', 'com_old', '${'b'.repeat(48)}', 'open', 'user_fields', NULL, '2026-01-06T00:00:00Z', '2026-01-06T00:00:00Z');`);
  worker = await startWorker({ state: older.state });
  // Read with wrangler's own D1 client, which must not share the files with a running worker.
  await worker.halt();
  migrated = older.execute('SELECT user_id, currency, amount FROM balances ORDER BY user_id, currency')[0].results;
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  // Until it is moved, the community's data is in the directory: its routes say so.
  const waiting = await admin.get('/v1/communities/com_old/users/usr_rich');
  assert.equal(waiting.status, 503, waiting.text);
  assert.equal(waiting.body.error.code, 'community_moving');
  assert.ok(Number(waiting.headers.get('retry-after')) > 0);
  const moved = await moveCommunity(admin, 'com_old');
  assert.deepEqual(moved.mismatches ?? [], []);
  assert.deepEqual(moved.balances, { coins: [345, 345], xp: [1207, 1207] });
});

after(async () => {
  await worker?.stop();
  older?.cleanup();
});

test('every balance survives the move to balance rows, and members show them', async () => {
  const want = { usr_rich: { xp: 1200, coins: 345 }, usr_xp: { xp: 7, coins: 0 }, usr_none: { xp: 0, coins: 0 } };
  for (const [id, balances] of Object.entries(want)) {
    const member = await admin.get(`/v1/communities/com_old/users/${id}`);
    assert.equal(member.status, 200, member.text);
    assert.deepEqual(member.body.balances, balances, id);
    assert.deepEqual({ xp: member.body.xp, coins: member.body.coins }, balances, id);
  }
});

test('the old community has the built-in currencies, its log stays, and a new currency works at once', async () => {
  const currencies = await admin.get('/v1/communities/com_old/currencies');
  assert.deepEqual(currencies.body.data.map((c) => [c.key, c.built_in]), [['coins', true], ['xp', true]]);
  const logs = await admin.get('/v1/communities/com_old/gamification-logs');
  assert.deepEqual(logs.body.data.map((l) => [l.id, l.currency, l.delta, l.balance_after]), [['log_1', 'coins', 345, 345]]);
  assert.equal((await admin.post('/v1/communities/com_old/currencies', { key: 'gems', name: 'Gems' })).status, 201);
  const member = await admin.get('/v1/communities/com_old/users/usr_rich');
  assert.deepEqual(member.body.balances, { xp: 1200, coins: 345, gems: 0 });
});

test('a signing secret from before signature schemes is a Standard Webhooks secret; keys stay in the header', async () => {
  const signed = await admin.get('/v1/communities/com_old/incoming-webhooks/whk_signed');
  assert.equal(signed.status, 200, signed.text);
  assert.deepEqual(signed.body.signature, { scheme: 'standard_webhooks' });
  assert.equal(signed.body.signing_secret, true);
  assert.equal(signed.body.api_key_in, 'header');
  const open = await admin.get('/v1/communities/com_old/incoming-webhooks/whk_open');
  assert.equal(open.body.signature, null);
  assert.equal(open.body.signing_secret, false);
});

test('stored, the balances were rows, the old columns are gone, and the moved rows left the directory', async () => {
  // Zeros need no row; the others are exactly the old columns.
  assert.deepEqual(migrated, [
    { user_id: 'usr_rich', currency: 'coins', amount: 345 },
    { user_id: 'usr_rich', currency: 'xp', amount: 1200 },
    { user_id: 'usr_xp', currency: 'xp', amount: 7 },
  ]);
  await worker.halt();
  const columns = older.execute("SELECT name FROM pragma_table_info('users')")[0].results.map((c) => c.name);
  assert.ok(!columns.includes('xp') && !columns.includes('coins'), columns.join());
  const left = older.execute(`SELECT (SELECT COUNT(*) FROM users WHERE community_id = 'com_old')
    + (SELECT COUNT(*) FROM balances WHERE community_id = 'com_old')
    + (SELECT COUNT(*) FROM gamification_logs WHERE community_id = 'com_old') AS n`)[0].results;
  assert.deepEqual(left, [{ n: 0 }]);
  const kept = older.execute("SELECT COUNT(*) AS n FROM incoming_webhooks WHERE community_id = 'com_old'")[0].results;
  assert.deepEqual(kept, [{ n: 2 }], 'the settings stay in the directory');
});
