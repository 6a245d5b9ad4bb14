// Moving a populated community from the directory (D1) into its own database while its senders
// keep sending (README, "Moving an existing deployment"). The database is built as a deployment
// from before the data plane left it: every migration applied, the community's rows in D1. Until
// the move ends, the community's webhook answers 503 with Retry-After and records nothing; the
// senders send again when told. Nothing may be lost or doubled: every delivery applies exactly
// once, the balances are the old ones plus the new deliveries, and the counts match.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { moveCommunity, olderDatabase, root, startWorker } from './support/worker.mjs';
import { client } from './support/api.mjs';

const MEMBERS = 200;
const PAST_DELIVERIES = 600;
const CLIENTS = 16;
const PER_CLIENT = 10;
const TOKEN = 'c'.repeat(48);

let older;
let worker;
let admin;

before(async () => {
  const latest = readdirSync(join(root, 'migrations')).filter((n) => n.endsWith('.sql')).sort().at(-1);
  older = olderDatabase(latest);
  const mapping = JSON.stringify({
    user: { match: 'email', path: 'email' }, idempotency_path: 'key',
    fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }],
  });
  older.execute(`
    INSERT INTO communities (id, name, created_at) VALUES ('com_moving', 'Moving', '2026-01-01T00:00:00Z');
    INSERT INTO incoming_webhooks (id, community_id, token, name, location, mapping, rate_limit, enabled, version, created_at, updated_at)
      VALUES ('whk_moving', 'com_moving', '${TOKEN}', 'moving', 'user_fields', '${mapping}', 100000, 1, 1,
              '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${MEMBERS - 1})
    INSERT INTO users (id, community_id, email, username, created_at)
      SELECT 'usr_' || i, 'com_moving', 'm' || i || '@example.com', 'm' || i, '2026-01-02T00:00:00Z' FROM n;
    INSERT INTO balances (community_id, user_id, currency, amount)
      SELECT 'com_moving', id, 'coins', 10 + CAST(substr(id, 5) AS INTEGER) FROM users WHERE community_id = 'com_moving';
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${PAST_DELIVERIES - 1})
    INSERT INTO deliveries (id, seq, community_id, webhook_id, webhook_version, status, http_status, user_id,
                            idempotency_key, payload, effects, created_at)
      SELECT 'dlv_old_' || i, 1000 + i, 'com_moving', 'whk_moving', 1, 'success', 200, 'usr_' || (i % ${MEMBERS}),
             'old-' || i, '{"n":1}', '[]', '2026-01-03T00:00:00Z' FROM n;
    INSERT INTO idempotency_keys (webhook_id, key, delivery_id, created_at)
      SELECT webhook_id, idempotency_key, id, created_at FROM deliveries WHERE community_id = 'com_moving';
    INSERT INTO gamification_logs (id, community_id, user_id, currency, delta, balance_after, action, delivery_id, created_at)
      SELECT 'log_' || id, 'com_moving', user_id, 'coins', 1, NULL, 'moving', id, created_at
        FROM deliveries WHERE community_id = 'com_moving';`);
  worker = await startWorker({ state: older.state });
  admin = client(worker.base, worker.adminToken);
});

after(async () => {
  await worker?.stop();
  older?.cleanup();
});

/** Sends one delivery until it is answered other than 503, as a sender that honours Retry-After
 * does; the answers, in order. */
async function sendUntilTaken(body) {
  const answers = [];
  for (;;) {
    const res = await fetch(`${worker.base}/hooks/${TOKEN}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    answers.push({ status: res.status, text, retryAfter: res.headers.get('retry-after') });
    if (res.status !== 503) return answers;
    assert.equal(JSON.parse(text).error.code, 'community_moving', text);
    const wait = Number(res.headers.get('retry-after'));
    assert.ok(wait > 0, 'a 503 says when to send again');
    // Told seconds; waits a fraction of them, so the test stays short and senders press harder.
    await new Promise((r) => setTimeout(r, wait * 100));
  }
}

test('a populated community moves while its senders send: nothing lost, nothing doubled', async () => {
  const before = await admin.get('/v1/communities/com_moving/users/usr_7');
  assert.equal(before.status, 503, 'waiting to move, its data is not served from the directory');

  const sent = [];
  const senders = Array.from({ length: CLIENTS }, async (_, c) => {
    for (let i = 0; i < PER_CLIENT; i++) {
      const key = `new-${c}-${i}`;
      const member = (c * PER_CLIENT + i) % MEMBERS;
      const body = JSON.stringify({ email: `m${member}@example.com`, key, n: 1 + (i % 3) });
      // Every other delivery is sent twice, as a sender unsure of its first answer would.
      const answers = await sendUntilTaken(body);
      const repeat = i % 2 === 0 ? await sendUntilTaken(body) : null;
      sent.push({ key, member, n: 1 + (i % 3), answers, repeat });
    }
  });
  // The move starts once the senders have been turned away a while.
  await new Promise((r) => setTimeout(r, 1500));
  const report = await moveCommunity(admin, 'com_moving');
  await Promise.all(senders);

  assert.deepEqual(report.mismatches ?? [], []);
  assert.equal(report.counts.users[0], MEMBERS);
  assert.equal(report.counts.deliveries[1], PAST_DELIVERIES);
  const oldCoins = MEMBERS * 10 + (MEMBERS * (MEMBERS - 1)) / 2;
  assert.deepEqual(report.balances.coins, [oldCoins, oldCoins]);

  const turnedAway = sent.filter((s) => s.answers[0].status === 503).length;
  assert.ok(turnedAway > 0, 'some deliveries arrived during the move');
  // The webhook checks neither key nor signature, so a sender is told the delivery's id and
  // status only: a repeat names the first delivery.
  const ids = new Set();
  for (const s of sent) {
    const last = s.answers.at(-1);
    assert.equal(last.status, 200, `${s.key}: ${last.text}`);
    const id = JSON.parse(last.text).delivery_id;
    assert.ok(!ids.has(id), `${s.key} is a delivery of its own`);
    ids.add(id);
    if (s.repeat) {
      assert.equal(s.repeat.at(-1).status, 200, s.key);
      assert.equal(JSON.parse(s.repeat.at(-1).text).delivery_id, id, `${s.key} applies once`);
    }
  }

  // Every balance is the old one plus what the new deliveries added, exactly once.
  const added = new Map();
  for (const s of sent) added.set(s.member, (added.get(s.member) ?? 0) + s.n);
  for (const member of [0, 7, 55, 199]) {
    const got = await admin.get(`/v1/communities/com_moving/users/usr_${member}`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.balances.coins, 10 + member + (added.get(member) ?? 0), `usr_${member}`);
  }
  const history = await admin.get('/v1/communities/com_moving/incoming-webhooks/whk_moving/deliveries?per_page=1');
  assert.equal(history.body.totals.success, PAST_DELIVERIES + CLIENTS * PER_CLIENT);
  assert.equal(history.body.totals.failed, 0, 'a 503 records nothing');

  // Moved once, a move does nothing more.
  const again = await admin.post('/v1/communities/com_moving/move');
  assert.deepEqual([again.status, again.body.state, again.body.copied, again.body.deleted], [200, 'live', 0, 0]);
});

test('a community created on the data plane is live already: its move does nothing', async () => {
  const made = await admin.post('/v1/communities', { name: 'New' });
  const moved = await admin.post(`/v1/communities/${made.body.id}/move`);
  assert.deepEqual([moved.status, moved.body.state, moved.body.copied, moved.body.left_in_directory], [200, 'live', 0, 0]);
  const keyed = await admin.post(`/v1/communities/${made.body.id}/api-keys`, { name: 'k' });
  const refused = await client(worker.base, keyed.body.key).post(`/v1/communities/${made.body.id}/move`);
  assert.equal(refused.status, 403, 'only the admin token moves a community');
});
