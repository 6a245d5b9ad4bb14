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
// (Static imports are hoisted: this section's own stay here, apart from the other sections'.)
import { createServer } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';

/** An HTTP server on loopback in this process, closed after test `t`: its URL and what it got. */
async function loopbackServer(t, answer) {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push({ method: req.method, url: req.url });
    req.resume();
    answer(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${server.address().port}`, hits };
}

/** Polls `probe` until it returns a truthy value (the outbox queue works in the background). */
async function pollUntil(probe, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A subscriber whose URL passes the guard answers with a redirect to an address the guard would
 * refuse (in production a private one; here a second loopback server stands for it).
 */
async function redirectingSubscriber(t, status = 307) {
  const inside = await loopbackServer(t, (req, res) => res.writeHead(200).end('{"ok":true}'));
  const outside = await loopbackServer(t, (req, res) =>
    res.writeHead(status, { location: `${inside.url}/latest/meta-data` }).end());
  const { cid } = await seedCommunity(admin, `Redirected ${status}`);
  const sub = await admin.post(`/v1/communities/${cid}/webhooks`, { url: `${outside.url}/hook`, events: ['store.purchased'] });
  assert.equal(sub.status, 201, sub.text);
  return { cid, sub: sub.body, inside, outside };
}

test('attack 4: a queued delivery does not follow the subscriber\'s 307; it fails at once, logged with the status', async (t) => {
  const { cid, sub, inside, outside } = await redirectingSubscriber(t, 307);
  const published = await admin.post(`/v1/communities/${cid}/events`, { type: 'store.purchased', data: {} });
  assert.equal(published.status, 202, published.text);
  assert.equal(published.body.deliveries, 1);
  const logs = async () => (await admin.get(`/v1/communities/${cid}/webhooks/${sub.id}/logs`)).body;
  const first = await pollUntil(async () => (await logs()).data[0], 'the attempt');
  assert.equal(first.attempt, 1);
  assert.equal(first.status_code, 307);
  assert.match(first.error, /answered 307 \(a redirect; redirects are not followed\)/);
  // The test worker retries after 1 s (OUTBOX_RETRY_SCHEDULE): a retried delivery would show by now.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await logs()).total, 1, 'a redirect is a final failure, not retried');
  assert.equal(outside.hits.length, 1);
  assert.deepEqual(inside.hits, [], 'the redirect target got nothing');
});

test('attack 4: the test ping does not follow any redirect status', async (t) => {
  for (const status of [301, 302, 303, 307, 308]) {
    const { cid, sub, inside, outside } = await redirectingSubscriber(t, status);
    const ping = await admin.post(`/v1/communities/${cid}/webhooks/${sub.id}/test`, {});
    assert.equal(ping.status, 200, ping.text);
    assert.deepEqual([ping.body.status_code, ping.body.success], [status, false], ping.text);
    assert.match(ping.body.error, new RegExp(`answered ${status} \\(a redirect; redirects are not followed\\)`));
    const logs = (await admin.get(`/v1/communities/${cid}/webhooks/${sub.id}/logs`)).body;
    assert.deepEqual(logs.data.map((a) => [a.event, a.status_code]), [['test.ping', status]]);
    assert.equal(outside.hits.length, 1);
    assert.deepEqual(inside.hits, [], `the target of a ${status} got nothing`);
  }
});

test('attack 8: IPv6 URLs that embed a private IPv4 address, or are not global, are refused; nothing is created', async () => {
  // The test worker allows http to loopback (ALLOW_HTTP_LOOPBACK), which also frees the port: the
  // rule that production takes only ports 443 and 8443 is tested in hookmap-core (target.rs).
  const { cid } = await seedCommunity(admin, 'Guarded');
  const list = async () => (await admin.get(`/v1/communities/${cid}/webhooks`)).body;
  const before = await list();
  for (const host of [
    '::a00:1', // IPv4-compatible ::10.0.0.1
    '::a9fe:a9fe', // ::169.254.169.254
    '::ffff:0:a00:1', // SIIT ::ffff:0:10.0.0.1
    '2002:a00:1::1', // 6to4 of 10.0.0.1
    '2002:a9fe:a9fe::', // 6to4 of the metadata address
    '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
    'fec0::1', // site-local
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '::ffff:a00:1', // IPv4-mapped 10.0.0.1
  ]) {
    const res = await admin.post(`/v1/communities/${cid}/webhooks`, { url: `https://[${host}]/x`, events: ['store.purchased'] });
    assert.equal(res.status, 422, `${host}: ${res.text}`);
    assert.equal(res.body.error.code, 'invalid_url', res.text);
    assert.equal(res.body.error.details.at, 'url', res.text);
  }
  assert.deepEqual(await list(), before, 'no subscription was created');
});

/**
 * The peak resident memory (VmHWM, bytes) of the workerd process that wrangler started for the
 * suite's worker (in its process group). Local workerd has no isolate memory limit, so a worker
 * that builds a huge string answers all the same: its peak memory is what shows it.
 */
function workerdPeakBytes() {
  let peak = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (name !== 'workerd' || Number(group) !== worker.child.pid) continue;
      const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1];
      peak = Math.max(peak, Number(kib) * 1024);
    } catch { /* the process ended meanwhile */ }
  }
  assert.ok(peak > 0, 'the workerd process was found');
  return peak;
}

test('attack 7: 800 placeholders of a 900 KB value are refused as too long without building the text; the worker goes on', async () => {
  const { cid } = await seedCommunity(admin, 'Templated');
  const channel = (await admin.post(`/v1/communities/${cid}/channels`, { name: 'general' })).body;
  // 800 placeholders is the most a template (4000 characters) holds.
  const template = '{{v}}'.repeat(800);
  const hook = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'Amplifier', location: 'chat', mapping: { message: { channel: { id: channel.id }, template } },
  });
  assert.equal(hook.status, 201, hook.text);
  const messages = async () => (await admin.get(`/v1/communities/${cid}/channels/${channel.id}/messages`)).body.total;
  const peakBefore = workerdPeakBytes();
  const res = await deliver(hook.body.url, JSON.stringify({ v: 'x'.repeat(900_000) }));
  const grown = workerdPeakBytes() - peakBefore;
  // The whole text would be 720 MB; the body itself, parsed, a few MB.
  assert.ok(grown < 64 * 2 ** 20, `workerd's peak memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  assert.equal(res.status, 422, res.text.slice(0, 500));
  assert.equal(res.body.error.code, 'message_too_long');
  assert.equal(res.body.error.details.at, 'message.template');
  assert.match(res.body.error.message, /is 720000000 characters long; at most 2000 are allowed/);
  assert.equal(await messages(), 0, 'nothing was posted');
  const normal = await deliver(hook.body.url, JSON.stringify({ v: 'y' }));
  assert.equal(normal.status, 200, normal.text);
  assert.equal(await messages(), 1, 'the worker is still serving');
});

// --- tokens and quotas (9, 10) ---
