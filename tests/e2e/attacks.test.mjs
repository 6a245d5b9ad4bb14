// An outsider who knows (or captured) an edge URL, and a tenant with its own API key, try the
// attacks of issue 13 against a real wrangler dev. Each test is an attack that once worked; it
// asserts that it now fails, and that nothing of value (coins, XP, storage, a sender's budget)
// moved. SECURITY.md lists each attack with its defence and its test here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { d1, persisted, startWorker, workerLines, objects } from './support/worker.mjs';
import { client, deliver, encryptCbc, encryptGcm, envelope, eventually, seedCommunity, KEY, IV } from './support/api.mjs';

let worker, admin;
before(async () => {
  // The worker's request log shown (wrangler's log level 'log'): each line counts the request's
  // storage round trips, so attack 9's "no lookup" is counted, not timed. Nothing else here reads it.
  worker = await startWorker({ logLevel: 'log' });
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

/** The member's balances as the admin sees them. */
async function balances(cid, uid) {
  const user = (await admin.get(`/v1/communities/${cid}/users/${uid}`)).body;
  return { xp: user.xp, coins: user.coins };
}

// --- the edge: replay, oracle, lockout, pending, bodies (1, 2, 3, 5, 6) ---

const coinsMapping = (extra = {}) => ({
  user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }], ...extra,
});
const webhooks = (cid) => `/v1/communities/${cid}/incoming-webhooks`;
const now = () => Math.floor(Date.now() / 1000);
const sign = (secret, id, ts, body) =>
  `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.${body}`).digest('base64')}`;

/** Per-minute counts start again each calendar minute: keep a burst inside one. */
async function sameMinute(seconds) {
  const second = new Date().getSeconds();
  if (second > 59 - seconds) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
}

test('attack 1: a captured signed delivery re-sent with a fresh Idempotency-Key mints nothing', async () => {
  const { cid, uid } = await seedCommunity(admin, 'Replay signed');
  const hook = (await admin.post(webhooks(cid), { name: 'signed', signing_secret: true, mapping: coinsMapping() })).body;
  const body = JSON.stringify({ e: 'ada@example.com', n: 100 });
  const ts = now();
  const captured = { 'webhook-id': 'msg_captured', 'webhook-timestamp': String(ts), 'webhook-signature': sign(hook.signing_secret, 'msg_captured', ts, body) };
  assert.equal((await deliver(hook.url, body, captured)).status, 200);
  for (let i = 0; i < 3; i += 1) {
    const res = await deliver(hook.url, body, { ...captured, 'idempotency-key': `fresh-${i}` });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'idempotency_conflict');
  }
  const same = await deliver(hook.url, body, { ...captured, 'idempotency-key': 'msg_captured' });
  assert.equal(same.body.duplicate, true, 'the same key as webhook-id is no conflict');
  assert.deepEqual(await balances(cid, uid), { xp: 0, coins: 100 });
});

test('attack 1: a captured encrypted delivery keyed by its payload cannot be re-keyed by a header', async () => {
  const { cid, uid } = await seedCommunity(admin, 'Replay path');
  const hook = (await admin.post(webhooks(cid), {
    name: 'path', encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV }, mapping: coinsMapping({ idempotency_path: 'order' }),
  })).body;
  const body = envelope('aes-256-gcm', KEY, JSON.stringify({ e: 'ada@example.com', n: 100, order: 'A-1' }));
  const first = await deliver(hook.url, body);
  assert.equal(first.status, 200);
  const rekeyed = await deliver(hook.url, body, { 'idempotency-key': 'another' });
  assert.equal(rekeyed.status, 400, rekeyed.text);
  assert.equal(rekeyed.body.error.code, 'idempotency_conflict');
  const viaWebhookId = await deliver(hook.url, body, { 'webhook-id': 'another' });
  assert.equal(viaWebhookId.body.error?.code, 'idempotency_conflict', viaWebhookId.text);
  // Unproved (no key, no signature): a repeat is told its first delivery's id and status only.
  assert.deepEqual((await deliver(hook.url, body)).body, { delivery_id: first.body.delivery_id, status: 'success' });
  assert.deepEqual(await balances(cid, uid), { xp: 0, coins: 100 });
  const failed = (await admin.get(`${webhooks(cid)}/${hook.id}/deliveries?status=failed`)).body.data;
  assert.ok(failed.every((d) => d.error.code === 'idempotency_conflict'), 'the admin sees why');
});

test('attack 2: a CBC webhook without a key answers every decoding failure the same, dry run or not', async () => {
  const { cid } = await seedCommunity(admin, 'Oracle');
  const hook = (await admin.post(webhooks(cid), {
    name: 'cbc', encryption: { algorithm: 'aes-256-cbc', key: KEY, iv: IV }, mapping: coinsMapping(),
  })).body;
  const forged = {
    bad_padding: randomBytes(32).toString('base64'),
    not_json: encryptCbc(KEY, IV, 'certainly not JSON'),
    not_base64: '%%%',
    bad_length: randomBytes(17).toString('base64'),
  };
  const answers = { real: new Set(), dry: new Set() };
  for (const dryRun of [false, true]) {
    for (const [cause, body] of Object.entries(forged)) {
      const res = await deliver(`${hook.url}${dryRun ? '?dry_run=true' : ''}`, body);
      assert.equal(res.status, dryRun ? 401 : 400, `${cause}: ${res.text}`);
      answers[dryRun ? 'dry' : 'real'].add(JSON.stringify({ ...res.body.error }));
    }
  }
  assert.equal(answers.real.size, 1, `one answer for every cause: ${[...answers.real].join(' | ')}`);
  assert.equal(JSON.parse([...answers.real][0]).code, 'undecodable');
  // A dry run needs a proved sender (issue 27): refused before the body is read, whatever it is.
  assert.equal(answers.dry.size, 1, `one dry-run answer for every cause: ${[...answers.dry].join(' | ')}`);
  assert.equal(JSON.parse([...answers.dry][0]).code, 'proof_required');
  const recorded = (await admin.get(`${webhooks(cid)}/${hook.id}/deliveries?status=failed`)).body.data;
  assert.deepEqual(recorded.map((d) => d.error.code).sort(), Object.keys(forged).sort(), 'the history names each cause');
});

test('attack 2: a sender-chosen CBC IV is refused unless the webhook authenticates its sender', async () => {
  const { cid, uid } = await seedCommunity(admin, 'Chosen IV');
  const open = (await admin.post(webhooks(cid), {
    name: 'open', encryption: { algorithm: 'aes-256-cbc', key: KEY, iv: IV }, mapping: coinsMapping(),
  }));
  assert.ok(open.body.warnings?.some((w) => w.code === 'encryption_without_authentication'), open.text);
  const payload = JSON.stringify({ e: 'ada@example.com', n: 1 });
  const refused = await deliver(open.body.url, envelope('aes-256-cbc', KEY, payload));
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.body.error.code, 'undecodable');
  const detail = (await admin.get(`${webhooks(cid)}/${open.body.id}/deliveries/${refused.body.delivery_id}`)).body;
  assert.equal(detail.error.code, 'message_iv_refused');
  assert.equal((await deliver(open.body.url, encryptCbc(KEY, IV, payload))).status, 200, 'the configured IV still works');
  const keyed = (await admin.post(webhooks(cid), {
    name: 'keyed', api_key: true, encryption: { algorithm: 'aes-256-cbc', key: KEY, iv: IV }, mapping: coinsMapping(),
  })).body;
  assert.equal(keyed.warnings, undefined);
  const ok = await deliver(keyed.url, envelope('aes-256-cbc', KEY, payload), { 'x-api-key': keyed.api_key });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await balances(cid, uid)).coins, 2);
});

test('attack 3: wrong keys neither spend the sender\'s rate limit nor fill the history', async () => {
  const { cid, uid } = await seedCommunity(admin, 'Lockout');
  const hook = (await admin.post(webhooks(cid), { name: 'keyed', api_key: true, rate_limit: 10, mapping: coinsMapping() })).body;
  const body = JSON.stringify({ e: 'ada@example.com', n: 1 });
  await sameMinute(25);
  const statuses = [];
  for (let i = 0; i < 45; i += 1) statuses.push((await deliver(hook.url, body, { 'x-api-key': `hmw_${'0'.repeat(48)}` })).status);
  assert.deepEqual(statuses.slice(0, 30), Array(30).fill(401), 'failures up to the budget are answered and recorded');
  assert.deepEqual(statuses.slice(30), Array(15).fill(429), 'beyond it they are refused unrecorded');
  const real = await deliver(hook.url, body, { 'x-api-key': hook.api_key });
  assert.equal(real.status, 200, `the real sender still gets through: ${real.text}`);
  const failed = (await admin.get(`${webhooks(cid)}/${hook.id}/deliveries?status=failed`)).body.total;
  assert.equal(failed, 30, 'the history holds the failures of the budget only');
  assert.equal((await balances(cid, uid)).coins, 1);
});

test('attack 5: a pending delivery replayed by the admin is not applied again by the sender\'s retry', async () => {
  const { cid, uid } = await seedCommunity(admin, 'Pending');
  const hook = (await admin.post(webhooks(cid), { name: 'later' })).body;
  const body = JSON.stringify({ e: 'ada@example.com', n: 7 });
  const pending = await deliver(hook.url, body, { 'idempotency-key': 'order-7' });
  assert.equal(pending.status, 202, pending.text);
  await admin.patch(`${webhooks(cid)}/${hook.id}`, { mapping: coinsMapping() });
  const replayed = await admin.post(`${webhooks(cid)}/${hook.id}/deliveries/${pending.body.delivery_id}/replay`);
  assert.equal(replayed.status, 200, replayed.text);
  assert.equal(replayed.body.idempotency_key, 'order-7', 'the replay keeps the key the delivery came with');
  const retry = await deliver(hook.url, body, { 'idempotency-key': 'order-7' });
  assert.equal(retry.status, 200, retry.text);
  // A duplicate of the replay (unproved: told its id and status only).
  assert.deepEqual(retry.body, { delivery_id: replayed.body.delivery_id, status: 'success' });
  assert.equal((await balances(cid, uid)).coins, 7);
});

/** wrangler's workerd processes: their pids. */
function workerdPids() {
  const pids = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (name === 'workerd' && Number(group) === worker.child.pid) pids.push(pid);
    } catch { /* the process ended meanwhile */ }
  }
  assert.ok(pids.length > 0, 'the workerd process was found');
  return pids;
}

/**
 * Runs `attack` and answers by how much workerd's peak resident memory rose meanwhile. The
 * kernel's high-water mark is reset first (clear_refs), so an earlier peak cannot hide this one.
 */
async function peakGrowth(attack) {
  const read = (field) => workerdPids().reduce((sum, pid) =>
    sum + Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024, 0);
  for (const pid of workerdPids()) writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = read('VmRSS');
  await attack();
  return read('VmHWM') - before;
}

/** Streams up to `mib` MiB without Content-Length until the worker answers; resolves its status. */
function chunked(url, mib) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    let answered = false;
    req.on('response', (res) => { answered = true; res.resume(); resolve(res.statusCode); req.destroy(); });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    const chunk = Buffer.alloc(1 << 20, 0x20);
    (async () => {
      for (let i = 0; i < mib && !answered; i += 1) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      if (!answered) req.end();
    })().catch(() => {});
  });
}

test('attack 6: 256 MiB chunked bodies to a known and an unknown URL are cut off, not held', async () => {
  const { cid } = await seedCommunity(admin, 'Flood');
  const hook = (await admin.post(webhooks(cid), { name: 'big', mapping: coinsMapping() })).body;
  const unknown = hook.url.replace(/[0-9a-f]{48}$/, 'f'.repeat(48));
  const grown = await peakGrowth(async () => {
    assert.equal(await chunked(unknown, 256), 404);
    assert.equal(await chunked(hook.url, 256), 413);
  });
  assert.ok(grown < 64 * 2 ** 20, `workerd's peak memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  const failed = (await admin.get(`${webhooks(cid)}/${hook.id}/deliveries?status=failed`)).body.data;
  assert.equal(failed[0]?.error.code, 'payload_too_large');
});

// --- outbound: redirects, the URL guard, templates (4, 7, 8) ---

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
  const first = await eventually(async () => (await logs()).data[0], 'the attempt');
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
  let res;
  const grown = await peakGrowth(async () => {
    res = await deliver(hook.body.url, JSON.stringify({ v: 'x'.repeat(900_000) }));
  });
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

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const tokenOf = (url) => url.split('/hooks/')[1];

/**
 * `send`s one request and returns its answer with the storage round trips its request log line
 * counts. wrangler prints lines late, so the line is found between two probes, each awaited
 * until its own line shows: an unauthenticated PATCH to an unknown route, which nothing else
 * here sends (the log names method, route and error, never the path).
 */
async function withTrips(send) {
  const requestLines = () => workerLines(worker).filter((l) => l.msg === 'request');
  const isProbe = (l) => l.method === 'PATCH' && l.route === '(no route)' && l.error === 'missing_token';
  const probe = async () => {
    const seen = requestLines().filter(isProbe).length;
    const res = await fetch(`${worker.base}/v1/probe`, { method: 'PATCH' });
    await res.arrayBuffer();
    assert.equal(res.status, 401);
    await eventually(() => requestLines().filter(isProbe).length > seen, 'the probe\'s line');
    // This probe's line is the (seen + 1)th probe line.
    return requestLines().flatMap((l, i) => (isProbe(l) ? [i] : []))[seen];
  };
  const start = await probe();
  const res = await send();
  const end = await probe();
  const lines = requestLines().slice(start + 1, end);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.equal(lines[0].status, res.status, JSON.stringify(lines[0]));
  assert.equal(typeof lines[0].storage_round_trips, 'number', JSON.stringify(lines[0]));
  return { res, trips: lines[0].storage_round_trips };
}

test('attack 9: a copy of D1 and KV reveals no webhook URL, and the URLs still work', async () => {
  const { cid, uid } = await seedCommunity(admin, 'Digests');
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'digested', mapping: coinsMapping() })).body;
  const token = tokenOf(hook.url);
  assert.match(token, /^[0-9a-f]{48}$/);
  // A delivery puts the record in the KV cache too.
  const first = await deliver(hook.url, JSON.stringify({ e: 'ada@example.com', n: 1 }));
  assert.equal(first.status, 200, first.text);
  // A webhook made before digests existed: its token in clear, as the old worker wrote it.
  await worker.halt();
  const legacy = randomBytes(24).toString('hex');
  const now = new Date().toISOString();
  d1(worker.state, `INSERT INTO incoming_webhooks (id, community_id, token, name, location, enabled, mapping, version, created_at, updated_at)
    VALUES ('whk_legacy', '${cid}', '${legacy}', 'legacy', 'user_fields', 1, '${JSON.stringify(coinsMapping())}', 1, '${now}', '${now}')`);
  // And the copy its community's database keeps of it, as the API writes with every webhook.
  objects(worker.state, `INSERT INTO incoming_webhooks (id, community_id, version, enabled, rate_limit)
    VALUES ('whk_legacy', '${cid}', 1, 1, 60)`, cid);
  await worker.start();
  admin = client(worker.base, worker.adminToken);

  // The workerd restart wrote every journal page to the files.
  const bytes = persisted(worker.state);
  assert.equal(bytes.includes(Buffer.from(token)), false, 'the token is stored in clear');
  assert.ok(bytes.includes(Buffer.from(sha256(token))), 'the token is looked up by its digest');
  const url = `${worker.base}/hooks/${token}`;
  const again = await deliver(url, JSON.stringify({ e: 'ada@example.com', n: 1 }));
  assert.equal(again.status, 200, again.text);
  assert.equal((await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`)).body.url, url);

  // The old row still works, and its first lookup trades the clear token for digest and seal.
  const old = await deliver(`${worker.base}/hooks/${legacy}`, JSON.stringify({ e: 'ada@example.com', n: 1 }));
  assert.equal(old.status, 200, old.text);
  assert.equal((await admin.get(`/v1/communities/${cid}/users/${uid}`)).body.coins, 3);
  assert.equal((await admin.get(`/v1/communities/${cid}/incoming-webhooks/whk_legacy`)).body.url, `${worker.base}/hooks/${legacy}`);
  await worker.halt();
  const [row] = d1(worker.state, "SELECT token, token_digest, token_sealed FROM incoming_webhooks WHERE id = 'whk_legacy'");
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  assert.equal(row.token, null);
  assert.equal(row.token_digest, sha256(legacy));
  assert.match(row.token_sealed, /^sealed:v1:/);
  assert.equal((await deliver(`${worker.base}/hooks/${legacy}`, JSON.stringify({ e: 'ada@example.com', n: 1 }))).status, 200);
});

test('attack 9: unknown and malformed tokens cost no storage round trip after the first', async () => {
  const anon = client(worker.base);
  const unknown = randomBytes(24).toString('hex');
  const first = await withTrips(() => anon.post(`/hooks/${unknown}`, '{}'));
  assert.equal(first.res.status, 404, first.res.text);
  assert.equal(first.res.body.error.code, 'not_found');
  assert.ok(first.trips >= 1, 'the first request looks the token up');
  for (let i = 0; i < 20; i++) {
    const { res, trips } = await withTrips(() => anon.post(`/hooks/${unknown}`, '{}'));
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    assert.equal(trips, 0, `request ${i + 2} to an unknown token went to storage`);
  }
  const malformed = [unknown.slice(1), `${unknown}0`, unknown.toUpperCase(), `${unknown.slice(1)}g`, 'a', '0'.repeat(64)];
  for (const token of malformed) {
    const { res, trips } = await withTrips(() => anon.post(`/hooks/${token}`, '{}'));
    assert.equal(res.status, 404, token);
    assert.equal(res.body.error.code, 'not_found');
    assert.equal(trips, 0, `the malformed token ${token} went to storage`);
  }
});

/** A community with its own API key (which acts on it alone). */
async function keyedCommunity(name) {
  const seeded = await seedCommunity(admin, name);
  const key = (await admin.post(`/v1/communities/${seeded.cid}/api-keys`, { name: 'tenant' })).body.key;
  return { ...seeded, keyed: client(worker.base, key) };
}

test('attack 10: a community cannot create webhooks or subscriptions past its quota, nor raise it', async () => {
  const { cid, keyed } = await keyedCommunity('Quotas');
  const quotas = `/v1/communities/${cid}/quotas`;
  const raise = await keyed.patch(quotas, { incoming_webhooks: 1000, subscriptions: 1000 });
  assert.equal(raise.status, 403, raise.text);
  assert.equal(raise.body.error.code, 'forbidden');
  const set = await admin.patch(quotas, { incoming_webhooks: 2, subscriptions: 1, max_rate_limit: 100 });
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
  const bad = await admin.patch(quotas, { incoming_webhooks: -1 });
  assert.equal(bad.status, 422, bad.text);
  assert.equal((await admin.patch(quotas, { incoming_webhooks: 3 })).status, 200);
  assert.equal((await keyed.post(hooks, { name: 'third' })).status, 201);
});

test('attack 10: a community\'s webhooks cannot add up to more than its total rate, created at once or raised one by one', async () => {
  const { cid, keyed } = await keyedCommunity('Total rate');
  const quotas = `/v1/communities/${cid}/quotas`;
  assert.equal((await keyed.patch(quotas, { total_rate_limit: 240000 })).status, 403, 'a community cannot raise it');
  assert.equal((await admin.patch(quotas, { total_rate_limit: 1000 })).status, 200);
  const hooks = `/v1/communities/${cid}/incoming-webhooks`;
  // At once, four creates of 400 a minute against a total of 1,000: the sum is checked inside
  // each INSERT, so two fit.
  const created = await Promise.all([1, 2, 3, 4].map((n) => keyed.post(hooks, { name: `r${n}`, rate_limit: 400 })));
  assert.deepEqual(created.map((r) => r.status).sort(), [201, 201, 422, 422], created.map((r) => r.text).join('\n'));
  const refused = created.find((r) => r.status === 422).body.error;
  assert.equal(refused.code, 'quota_exceeded');
  assert.deepEqual(refused.details, { at: 'rate_limit', quota: 'total_rate_limit', limit: 1000 });
  const [a, b] = created.filter((r) => r.status === 201).map((r) => r.body);
  // Raising one past the total is refused and changes nothing; within it, or lowering, is fine.
  const raised = await keyed.patch(`${hooks}/${a.id}`, { rate_limit: 700 });
  assert.equal(raised.status, 422, raised.text);
  assert.equal(raised.body.error.details.quota, 'total_rate_limit');
  assert.equal((await keyed.get(`${hooks}/${a.id}`)).body.rate_limit, 400);
  assert.equal((await keyed.patch(`${hooks}/${a.id}`, { rate_limit: 600 })).status, 200);
  assert.equal((await keyed.post(hooks, { name: 'one more', rate_limit: 1 })).status, 422);
  // A total lowered below the sum refuses no other change: renaming still works.
  assert.equal((await admin.patch(quotas, { total_rate_limit: 500 })).status, 200);
  assert.equal((await keyed.patch(`${hooks}/${b.id}`, { name: 'renamed', rate_limit: 300 })).status, 200);
});

test('attack 10: published events past the community quota a minute answer 429 with Retry-After', async () => {
  const { cid, keyed } = await keyedCommunity('Chatty');
  assert.equal((await admin.patch(`/v1/communities/${cid}/quotas`, { events_per_minute: 3 })).status, 200);
  await sameMinute(10);
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
  const { cid } = await seedCommunity(admin, 'Hoarder');
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'big', mapping: coinsMapping() })).body;
  const history = `/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries`;
  // About 200 KB, of three-byte characters, for an unknown member: a failed delivery.
  const body = JSON.stringify({ e: 'nobody@example.com', n: 1, pad: '€'.repeat(70_000) });
  const failed = await deliver(hook.url, body);
  assert.equal(failed.status, 422, failed.text);
  const stored = (await admin.get(`${history}/${failed.body.delivery_id}`)).body;
  assert.equal(stored.payload_truncated, true);
  assert.equal(stored.payload, null);
  const cap = (await admin.get(`/v1/communities/${cid}/quotas`)).body.failed_payload_bytes;
  const kept = Buffer.byteLength(stored.payload_text);
  assert.ok(kept <= cap && kept > cap - 3, `kept ${kept} bytes of a ${cap}-byte cap`);
  assert.ok(body.startsWith(stored.payload_text), 'the kept text is the payload\'s start, cut between characters');
  const replay = await admin.post(`${history}/${failed.body.delivery_id}/replay`);
  assert.equal(replay.status, 409, replay.text);
  assert.match(replay.body.error.message, /cut to the community's failed_payload_bytes quota/);

  // A lower cap applies to the very next delivery; a small failure is kept whole.
  assert.equal((await admin.patch(`/v1/communities/${cid}/quotas`, { failed_payload_bytes: 1000 })).status, 200);
  const next = await deliver(hook.url, body);
  const small = (await admin.get(`${history}/${next.body.delivery_id}`)).body;
  assert.equal(Buffer.byteLength(small.payload_text), 999);
  const whole = await deliver(hook.url, JSON.stringify({ e: 'nobody@example.com', n: 1 }));
  const kept2 = (await admin.get(`${history}/${whole.body.delivery_id}`)).body;
  assert.equal(kept2.payload_truncated, false);
  assert.deepEqual(kept2.payload, { e: 'nobody@example.com', n: 1 });
});
