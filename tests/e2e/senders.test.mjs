// Real senders as they sign: Stripe (signed by the stripe package's own test helper), GitHub
// (@octokit/webhooks-methods), Paddle, Shopify, WooCommerce and Svix's senders (Node's crypto, as
// their docs describe), a generic HMAC profile, and API keys in the URL. Each attack an outsider
// holding one captured request could try is here beside the sender's own path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { startWorker } from './support/worker.mjs';
import { client, deliver, seedCommunity } from './support/api.mjs';

let worker, admin, cid, uid;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin, 'Senders'));
});
after(async () => worker?.stop());

const stripe = new Stripe('sk_test_unused_by_these_tests');
const hmac = (alg, secret, content, encoding) => createHmac(alg, secret).update(content).digest(encoding);

async function coins() {
  const res = await admin.get(`/v1/communities/${cid}/users/${uid}`);
  assert.equal(res.status, 200);
  return res.body.coins;
}

/** A webhook mapping `path` (an amount) and `email` onto the seeded member's coins. */
async function webhook(signature, email, amount, extra = {}) {
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: `signed by ${signature?.scheme ?? 'key'}`, signature, ...extra,
    mapping: { user: { match: 'email', path: email }, fields: [{ target: { currency: 'coins' }, op: 'add', path: amount }] },
  });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

/** Sends `body` with `headers`, expecting `status` (and `code` when refused); the answer's body. */
async function expect(url, body, headers, status, code) {
  const res = await deliver(url, body, headers);
  assert.equal(res.status, status, res.text);
  if (code) assert.equal(res.body.error.code, code, res.text);
  return res.body;
}

test('stripe: the stripe package\'s signed event applies once; retries, tampering, another secret and old timestamps do not', async () => {
  const secret = 'whsec_' + randomUUID().replaceAll('-', '');
  const noSecret = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'stripe', signature: { scheme: 'stripe' } });
  assert.equal(noSecret.status, 422, noSecret.text);
  assert.equal(noSecret.body.error.details.at, 'signature.secret');

  const hook = await webhook({ scheme: 'stripe', secret }, 'data.object.customer_details.email', 'data.object.amount_total');
  assert.deepEqual(hook.signature, { scheme: 'stripe' });
  assert.equal(hook.signing_secret, true, 'a secret the request gave is never shown');
  assert.ok(!JSON.stringify(hook).includes(secret));

  const payload = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type: 'checkout.session.completed',
    data: { object: { customer_details: { email: 'ada@example.com' }, amount_total: 500 } } });
  const header = (opts = {}) => ({ 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret, ...opts }) });
  const before = await coins();
  const first = await expect(hook.url, payload, header(), 200);
  assert.equal(first.idempotency_key, JSON.parse(payload).id, 'the event id keys the delivery');
  assert.equal(await coins(), before + 500);

  // Stripe retries the same event with a fresh timestamp and signature: a duplicate.
  const retry = await expect(hook.url, payload, header({ timestamp: Math.floor(Date.now() / 1000) - 5 }), 200);
  assert.equal(retry.duplicate, true);
  await expect(hook.url, payload.replace('500', '50000'), header(), 401, 'invalid_signature');
  await expect(hook.url, payload, { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: secret + 'x' }) }, 401, 'invalid_signature');
  const stale = await expect(hook.url, payload, header({ timestamp: Math.floor(Date.now() / 1000) - 400 }), 401, 'invalid_signature');
  assert.match(stale.error.message, /s from now/);
  await expect(hook.url, payload, {}, 401, 'invalid_signature');
  // An idempotency key beside the event id could be re-chosen by whoever holds the request.
  await expect(hook.url, payload, { ...header(), 'idempotency-key': 'fresh' }, 400, 'idempotency_conflict');
  assert.equal(await coins(), before + 500, 'nothing but the first delivery moved coins');

  // The stripe package's own verifier accepts the signatures these tests send.
  const event = stripe.webhooks.constructEvent(payload, header()['stripe-signature'], secret);
  assert.equal(event.id, JSON.parse(payload).id);
});

test('paddle: signed as Paddle documents (h1 of ts:body), its event_id keys the delivery; retries, tampering, old timestamps, a rotation on either side', async () => {
  const secret = 'pdl_ntfset_' + randomUUID().replaceAll('-', '');
  const noSecret = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'paddle', signature: { scheme: 'paddle' } });
  assert.equal(noSecret.status, 422, 'Paddle makes the secret: it must be pasted');
  assert.equal(noSecret.body.error.details.at, 'signature.secret');

  const hook = await webhook({ scheme: 'paddle', secret }, 'data.custom_data.email', 'data.details.totals.grand_total');
  assert.deepEqual(hook.signature, { scheme: 'paddle' });
  assert.equal(hook.signing_secret, true, 'a secret the request gave is never shown');
  assert.ok(!JSON.stringify(hook).includes(secret));

  // A Paddle Billing notification; amounts are strings of the lowest denomination.
  const event = (n) => JSON.stringify({ event_id: `evt_${randomUUID().replaceAll('-', '')}`, event_type: 'transaction.completed',
    occurred_at: new Date().toISOString(), notification_id: `ntf_${n}`,
    data: { id: `txn_${n}`, custom_data: { email: 'ada@example.com' }, details: { totals: { grand_total: '500' } } } });
  const now = () => Math.floor(Date.now() / 1000);
  // Paddle-Signature as Paddle's docs build it: ts=<unix>;h1=<hex HMAC-SHA256 of "ts:body">, one h1 per secret.
  const signed = (payload, { ts = now(), keys = [secret] } = {}) =>
    ({ 'paddle-signature': [`ts=${ts}`, ...keys.map((k) => `h1=${hmac('sha256', k, `${ts}:${payload}`, 'hex')}`)].join(';') });

  const payload = event(1);
  const before = await coins();
  const first = await expect(hook.url, payload, signed(payload), 200);
  assert.equal(first.idempotency_key, JSON.parse(payload).event_id, 'the event_id keys the delivery');
  assert.equal(await coins(), before + 500);
  // Paddle retries the same event with a fresh timestamp and signature: a duplicate.
  assert.equal((await expect(hook.url, payload, signed(payload, { ts: now() - 5 }), 200)).duplicate, true);
  await expect(hook.url, payload.replace('"500"', '"50000"'), signed(payload), 401, 'invalid_signature');
  await expect(hook.url, payload, signed(payload, { keys: [secret + 'x'] }), 401, 'invalid_signature');
  const stale = await expect(hook.url, payload, signed(payload, { ts: now() - 400 }), 401, 'invalid_signature');
  assert.match(stale.error.message, /s from now/);
  await expect(hook.url, payload, {}, 401, 'invalid_signature');
  // Stripe's signed content ("ts.body") is not Paddle's.
  const dotted = { 'paddle-signature': `ts=${now()};h1=${hmac('sha256', secret, `${now()}.${payload}`, 'hex')}` };
  await expect(hook.url, payload, dotted, 401, 'invalid_signature');
  // An idempotency key beside the event id could be re-chosen by whoever holds the request.
  await expect(hook.url, payload, { ...signed(payload), 'idempotency-key': 'fresh' }, 400, 'idempotency_conflict');
  assert.equal(await coins(), before + 500, 'nothing but the first delivery moved coins');

  // Paddle rotating its secret signs with both while the old one lasts: either h1 may match.
  const second = event(2);
  await expect(hook.url, second, signed(second, { keys: ['pdl_ntfset_retired', secret] }), 200);

  // The admin pastes Paddle's new secret: the replaced one keeps verifying for the grace.
  const next = 'pdl_ntfset_' + randomUUID().replaceAll('-', '');
  const rotated = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, { signature: { scheme: 'paddle', secret: next } });
  assert.equal(rotated.status, 200, rotated.text);
  assert.ok(rotated.body.previous_secret_verifies_until, 'the replaced secret verifies for a while');
  const third = event(3);
  await expect(hook.url, third, signed(third, { keys: [next] }), 200);
  const fourth = event(4);
  await expect(hook.url, fourth, signed(fourth), 200);
  assert.equal(await coins(), before + 2000);
});

test('svix: Standard Webhooks under svix- headers, as Clerk and Resend send it; svix-id keys the delivery, signed with it', async () => {
  const noSecret = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'svix', signature: { scheme: 'svix' } });
  assert.equal(noSecret.status, 422, 'the sender makes the secret: it must be pasted');
  assert.equal(noSecret.body.error.details.at, 'signature.secret');
  const notWhsec = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'svix', signature: { scheme: 'svix', secret: 'plain' } });
  assert.equal(notWhsec.status, 422, notWhsec.text);
  assert.equal(notWhsec.body.error.details.at, 'signature.secret');

  const secret = 'whsec_' + randomBytes(24).toString('base64');
  const hook = await webhook({ scheme: 'svix', secret }, 'data.email_addresses[0].email_address', 'data.public_metadata.coins');
  assert.deepEqual(hook.signature, { scheme: 'svix' });
  assert.equal(hook.signing_secret, true, 'a secret the request gave is never shown');
  assert.ok(!JSON.stringify(hook).includes(secret));

  // A Clerk user.created event; Svix signs "{svix-id}.{svix-timestamp}.{body}" with the base64 key.
  const body = JSON.stringify({ type: 'user.created', object: 'event',
    data: { id: 'user_2g7np7Hrk0SN6kj5EDMLDaKNL0S', email_addresses: [{ email_address: 'ada@example.com' }], public_metadata: { coins: 40 } } });
  const now = () => Math.floor(Date.now() / 1000);
  const entry = (key, id, ts, payload = body) =>
    'v1,' + createHmac('sha256', Buffer.from(key.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${payload}`).digest('base64');
  const signed = (id, { ts = now(), keys = [secret], payload = body } = {}) =>
    ({ 'svix-id': id, 'svix-timestamp': String(ts), 'svix-signature': keys.map((k) => entry(k, id, ts, payload)).join(' ') });

  const before = await coins();
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const first = await expect(hook.url, body, signed(id), 200);
  assert.equal(first.idempotency_key, id, 'svix-id keys the delivery');
  // Svix retries a message with the same svix-id, a fresh timestamp and signature: a duplicate.
  assert.equal((await expect(hook.url, body, signed(id, { ts: now() - 5 }), 200)).duplicate, true);
  // The id is signed: a fresh one on a captured signature is refused, not applied again.
  await expect(hook.url, body, { ...signed(id), 'svix-id': `msg_${randomUUID()}` }, 401, 'invalid_signature');
  await expect(hook.url, body.replace('40', '4000'), signed(id), 401, 'invalid_signature');
  const stale = await expect(hook.url, body, signed(`msg_${randomUUID()}`, { ts: now() - 400 }), 401, 'invalid_signature');
  assert.match(stale.error.message, /s from now/);
  // Standard Webhooks' own names carry the same signature, but this sender sends svix- ones.
  const own = signed(`msg_${randomUUID()}`);
  await expect(hook.url, body, { 'webhook-id': own['svix-id'], 'webhook-timestamp': own['svix-timestamp'], 'webhook-signature': own['svix-signature'] },
    401, 'invalid_signature');
  // While the sender rotates its secret it signs with both: any one entry may match.
  const retired = 'whsec_' + randomBytes(24).toString('base64');
  await expect(hook.url, body.replace('"coins":40', '"coins":2'), signed(`msg_${randomUUID()}`, { keys: [retired, secret], payload: body.replace('"coins":40', '"coins":2') }), 200);
  await expect(hook.url, body, signed(`msg_${randomUUID()}`, { keys: [retired] }), 401, 'invalid_signature');
  assert.equal(await coins(), before + 42);
});

test('github: a generated secret, signed by @octokit/webhooks-methods; a captured request under a fresh delivery id applies nothing', async () => {
  const hook = await webhook({ scheme: 'github' }, 'sender.email', 'reward');
  assert.match(hook.signing_secret, /^[0-9a-f]{64}$/, 'the generated secret is shown once');
  assert.match(hook.note, /shown only once/);
  const secret = hook.signing_secret;
  const read = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`);
  assert.equal(read.body.signing_secret, true);
  assert.ok(!read.text.includes(secret));

  const body = JSON.stringify({ action: 'closed', sender: { email: 'ada@example.com' }, reward: 30, number: 1 });
  const headers = async (id, payload = body, key = secret) => ({
    'x-hub-signature-256': await githubSign(key, payload), 'x-github-delivery': id, 'x-github-event': 'pull_request',
  });
  const before = await coins();
  const id = randomUUID();
  const first = await expect(hook.url, body, await headers(id), 200);
  assert.equal(first.idempotency_key, id);
  assert.equal((await expect(hook.url, body, await headers(id), 200)).duplicate, true, 'a redelivery is a duplicate');
  // The attack: X-GitHub-Delivery is not signed, so an outsider puts a fresh one on captured bytes.
  const replayed = await expect(hook.url, body, await headers(randomUUID()), 200);
  assert.equal(replayed.duplicate, true);
  assert.equal(replayed.delivery_id, first.delivery_id, 'answered with the first delivery');
  await expect(hook.url, body.replace('30', '3000'), await headers(randomUUID()), 401, 'invalid_signature');
  await expect(hook.url, body, await headers(randomUUID(), body, 'not-the-secret'), 401, 'invalid_signature');
  // A different event (its body differs) applies.
  const second = body.replace('"number":1', '"number":2');
  await expect(hook.url, second, await headers(randomUUID(), second), 200);
  assert.equal(await coins(), before + 60);

  assert.equal(read.body.previous_secret_verifies_until, null, 'nothing rotated yet');
});

test('a rotated secret keeps verifying for its grace, so the sender is not locked out; the admin can end it', async () => {
  const hook = await webhook({ scheme: 'github' }, 'sender.email', 'reward');
  const patch = (body) => admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, body);
  let n = 0;
  /** A fresh event (its own body and delivery id) signed with `key`, sent, expecting `status`. */
  const send = async (key, status) => {
    n += 1;
    const body = JSON.stringify({ action: 'closed', sender: { email: 'ada@example.com' }, reward: 1, number: n });
    return expect(hook.url, body, { 'x-hub-signature-256': await githubSign(key, body), 'x-github-delivery': randomUUID() },
      status, status === 401 ? 'invalid_signature' : undefined);
  };
  const before = await coins();
  const first = hook.signing_secret;
  await send(first, 200);

  // Rotated: the new secret verifies at once, and the replaced one for a day (the default).
  const second = (await patch({ signature: { scheme: 'github' } })).body;
  const grace = Date.parse(second.previous_secret_verifies_until) - Date.now();
  assert.ok(grace > 23.9 * 3600e3 && grace < 24 * 3600e3 + 60e3, `a day's grace: ${second.previous_secret_verifies_until}`);
  await send(first, 200);
  await send(second.signing_secret, 200);
  const read = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`);
  assert.equal(read.body.previous_secret_verifies_until, second.previous_secret_verifies_until);
  assert.ok(!read.text.includes(first) && !read.text.includes(second.signing_secret), 'no secret in a read');

  // The admin ends the grace (a leak): previous_secret_hours alone shortens it, here to nothing.
  const ended = await patch({ previous_secret_hours: 0 });
  assert.equal(ended.status, 200, ended.text);
  assert.equal(ended.body.previous_secret_verifies_until, null);
  await send(first, 401);
  // ... and never lengthens it again.
  assert.equal((await patch({ previous_secret_hours: 100 })).body.previous_secret_verifies_until, null);
  await send(first, 401);

  // Rotated twice with a grace: only the secret replaced last verifies, never the one before it.
  const third = (await patch({ signature: { scheme: 'github' } })).body;
  const fourth = (await patch({ signature: { scheme: 'github' }, previous_secret_hours: 2 })).body;
  const two = Date.parse(fourth.previous_secret_verifies_until) - Date.now();
  assert.ok(two > 1.9 * 3600e3 && two < 2 * 3600e3 + 60e3, `two hours: ${fourth.previous_secret_verifies_until}`);
  await send(second.signing_secret, 401);
  await send(third.signing_secret, 200);
  await send(fourth.signing_secret, 200);

  // A rotation with no grace, as after a leak: the replaced secret stops at once.
  const fifth = (await patch({ signature: { scheme: 'github' }, previous_secret_hours: 0 })).body;
  assert.equal(fifth.previous_secret_verifies_until, null);
  await send(fourth.signing_secret, 401);
  await send(fifth.signing_secret, 200);

  // Another scheme drops the replaced secret: it was a github secret.
  await patch({ signature: { scheme: 'github' } });
  const shopify = await patch({ signature: { scheme: 'shopify', secret: 'shop-' + randomUUID() } });
  assert.equal(shopify.body.previous_secret_verifies_until, null);

  for (const bad of [-1, 169, 1.5, '24', true]) {
    const refused = await patch({ previous_secret_hours: bad });
    assert.equal(refused.status, 422, `${JSON.stringify(bad)}: ${refused.text}`);
    assert.equal(refused.body.error.details.at, 'previous_secret_hours');
  }
  const create = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'new', previous_secret_hours: 1 });
  assert.equal(create.status, 422, 'a new webhook has no replaced secret');
  // Each accepted event applied once: the refused ones changed nothing.
  assert.equal(await coins(), before + 6);
});

test('shopify and woocommerce: base64 HMACs of the raw body, their delivery ids as keys, captured bytes applied once', async () => {
  for (const [scheme, signatureHeader, idHeader] of [
    ['shopify', 'x-shopify-hmac-sha256', 'x-shopify-webhook-id'],
    ['woocommerce', 'x-wc-webhook-signature', 'x-wc-webhook-delivery-id'],
  ]) {
    const secret = `${scheme}-secret-${randomUUID()}`;
    const hook = await webhook({ scheme, secret }, 'customer.email', 'total_price');
    assert.deepEqual(hook.signature, { scheme });
    // Shopify writes prices as strings; the amount must still be an integer.
    const body = JSON.stringify({ id: 820982911946154500, customer: { email: 'ada@example.com' }, total_price: 25 });
    const headers = (id, key = secret, payload = body) => ({ [signatureHeader]: hmac('sha256', key, payload, 'base64'), [idHeader]: id });
    const before = await coins();
    const id = randomUUID();
    assert.equal((await expect(hook.url, body, headers(id), 200)).idempotency_key, id, scheme);
    assert.equal((await expect(hook.url, body, headers(id), 200)).duplicate, true, scheme);
    assert.equal((await expect(hook.url, body, headers(randomUUID()), 200)).duplicate, true, `${scheme}: fresh id on captured bytes`);
    await expect(hook.url, body.replace('25', '2500'), headers(randomUUID()), 401, 'invalid_signature');
    await expect(hook.url, body, headers(randomUUID(), 'wrong'), 401, 'invalid_signature');
    await expect(hook.url, body, { [idHeader]: randomUUID() }, 401, 'invalid_signature');
    assert.equal(await coins(), before + 25, scheme);
  }
});

test('hmac: a generic profile (sha512, base64, signed timestamp) verifies as configured; bad settings are named', async () => {
  const bad = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'bad',
    signature: { scheme: 'hmac', secret: 's', header: 'X-Sig', algorithm: 'sha512', encoding: 'hex', timestamp_header: 'X-Ts' } });
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.body.error.details.at, 'signature.signed_content');

  const secret = 'generic-' + randomUUID();
  const settings = { scheme: 'hmac', header: 'X-Sig', algorithm: 'sha512', encoding: 'base64', prefix: 'v1=',
    timestamp_header: 'X-Ts', signed_content: '{timestamp}.{body}', id_header: 'X-Event-Id' };
  const hook = await webhook({ ...settings, secret }, 'who', 'n');
  assert.deepEqual(hook.signature, { ...settings, header: 'x-sig', timestamp_header: 'x-ts', id_header: 'x-event-id', tolerance: 300 });
  const body = JSON.stringify({ who: 'ada@example.com', n: 7 });
  const signed = (ts, id = randomUUID()) => ({ 'x-sig': 'v1=' + hmac('sha512', secret, `${ts}.${body}`, 'base64'), 'x-ts': String(ts), 'x-event-id': id });
  const now = Math.floor(Date.now() / 1000);
  const before = await coins();
  const first = signed(now);
  await expect(hook.url, body, first, 200);
  // The id is not in the signed content: a fresh one on the same signed bytes is a duplicate.
  assert.equal((await expect(hook.url, body, { ...first, 'x-event-id': randomUUID() }, 200)).duplicate, true);
  await expect(hook.url, body, signed(now - 301), 401, 'invalid_signature');
  await expect(hook.url, body, { ...signed(now), 'x-sig': first['x-sig'].slice(3) }, 401, 'invalid_signature');
  // The sender's next event, signed a second later, applies.
  await expect(hook.url, body, signed(now + 1), 200);
  assert.equal(await coins(), before + 14);
});

test('a signed webhook refuses query parameters, which its signature does not cover', async () => {
  const secret = 'q-' + randomUUID();
  const hook = await webhook({ scheme: 'woocommerce', secret }, 'customer.email', 'total_price');
  const body = JSON.stringify({ customer: { email: 'ada@example.com' }, total_price: 5 });
  const headers = { 'x-wc-webhook-signature': hmac('sha256', secret, body, 'base64'), 'x-wc-webhook-delivery-id': randomUUID() };
  const before = await coins();
  const refused = await expect(`${hook.url}?total_price=5000`, body, headers, 401, 'unsigned_parameters');
  assert.match(refused.error.message, /total_price/);
  assert.equal(await coins(), before);
  // The edge's own parameters are not payload: a dry run still works.
  const dry = await expect(`${hook.url}?dry_run=true`, body, headers, 200);
  assert.equal(dry.dry_run, true);
  assert.equal(await coins(), before);
});

test('an API key in the URL works only where the webhook allows it, and never reaches the stored payload', async () => {
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'form-less shop', api_key: true, api_key_in: 'query',
    mapping: { user: { match: 'email', path: 'email' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.api_key_in, 'query');
  const { url, api_key: key, id } = created.body;
  const body = JSON.stringify({ email: 'ada@example.com', n: 3 });
  const before = await coins();
  const applied = await expect(`${url}?api_key=${key}`, body, {}, 200);
  assert.equal(await coins(), before + 3);
  const stored = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${id}/deliveries/${applied.delivery_id}`);
  assert.equal(stored.status, 200, stored.text);
  assert.ok(!stored.text.includes(key), 'the key is not kept with the delivery');
  await expect(`${url}?api_key=hmw_${'0'.repeat(48)}`, body, {}, 401, 'invalid_api_key');
  await expect(url, body, { 'x-api-key': key }, 200);
  await expect(url, body, {}, 401, 'missing_api_key');

  // A header webhook refuses a key in the URL, even the right one: it has leaked into logs.
  const patched = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${id}`, { api_key_in: 'header' });
  assert.equal(patched.body.api_key_in, 'header');
  const leaked = await expect(`${url}?api_key=${key}`, body, {}, 401, 'api_key_in_url');
  assert.match(leaked.error.message, /rotate/);
  assert.equal(await coins(), before + 6);
  const wrong = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${id}`, { api_key_in: 'cookie' });
  assert.equal(wrong.status, 422);
  assert.equal(wrong.body.error.details.at, 'api_key_in');
});

test('signature and signing_secret: one scheme per webhook, set, read and removed', async () => {
  const both = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'both', signing_secret: true, signature: { scheme: 'github' } });
  assert.equal(both.status, 422, both.text);
  const sw = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'sw', signature: { scheme: 'standard_webhooks' } });
  assert.equal(sw.status, 201, sw.text);
  assert.match(sw.body.signing_secret, /^whsec_/);
  assert.deepEqual(sw.body.signature, { scheme: 'standard_webhooks' });
  const legacy = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'legacy', signing_secret: true });
  assert.deepEqual(legacy.body.signature, { scheme: 'standard_webhooks' });
  const removed = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${sw.body.id}`, { signature: null });
  assert.equal(removed.body.signature, null);
  assert.equal(removed.body.signing_secret, false);
  const unknown = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${sw.body.id}`, { signature: { scheme: 'paypal', secret: 'x' } });
  assert.equal(unknown.status, 422);
  assert.equal(unknown.body.error.details.at, 'signature.scheme');
});

test('a caught shopify delivery, replayed by an admin, still guards its signed bytes against a fresh id', async () => {
  const secret = 'caught-' + randomUUID();
  const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'caught shop', signature: { scheme: 'shopify', secret } });
  assert.equal(created.status, 201, created.text);
  const hook = created.body;
  const body = JSON.stringify({ customer: { email: 'ada@example.com' }, total_price: 40 });
  const headers = (id) => ({ 'x-shopify-hmac-sha256': hmac('sha256', secret, body, 'base64'), 'x-shopify-webhook-id': id });
  const caught = await expect(hook.url, body, headers(randomUUID()), 202);
  const saved = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, {
    mapping: { user: { match: 'email', path: 'customer.email' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'total_price' }] } });
  assert.equal(saved.status, 200, saved.text);
  const before = await coins();
  const replayed = await admin.post(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${caught.delivery_id}/replay`);
  assert.equal(replayed.status, 200, replayed.text);
  assert.equal(await coins(), before + 40);
  // The captured request under a fresh id: the replay claimed its signed bytes too.
  const again = await deliver(hook.url, body, headers(randomUUID()));
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.duplicate, true, again.text);
  assert.equal(await coins(), before + 40);
});

test('a signed delivery that failed on its mapping, fixed and replayed, is the one its provider redelivers', async () => {
  const hook = await webhook({ scheme: 'github' }, 'sender.mail', 'reward');
  const secret = hook.signing_secret;
  const body = JSON.stringify({ sender: { email: 'ada@example.com' }, reward: 9 });
  const id = randomUUID();
  const headers = async () => ({ 'x-hub-signature-256': await githubSign(secret, body), 'x-github-delivery': id });
  const failed = await expect(hook.url, body, await headers(), 422, 'missing_path');
  const fixed = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, {
    mapping: { user: { match: 'email', path: 'sender.email' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'reward' }] } });
  assert.equal(fixed.status, 200, fixed.text);
  const before = await coins();
  const replayed = await admin.post(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${failed.delivery_id}/replay`);
  assert.equal(replayed.status, 200, replayed.text);
  assert.equal(replayed.body.idempotency_key, id, 'the replay applies under the delivery id GitHub sent');
  // GitHub's redelivery of the same delivery (same id, same bytes) after the replay: a duplicate.
  assert.equal((await expect(hook.url, body, await headers(), 200)).duplicate, true);
  assert.equal(await coins(), before + 9);
});
