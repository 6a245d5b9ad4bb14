// Mappings that compute and decide, as a new user writes them from the README's recipes, each sent
// with its provider's own signature: Stripe (cents -> coins), Shopify (a price string x 10, rounded,
// only when paid), GitHub (a star -> +5 XP, only when created), WooCommerce (the sum of line-item
// quantities) and a loyalty-tier lookup. Then what a mapping refuses at save, what a delivery
// fails with, the filtered status, and the headers a replay reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { startWorker } from './support/worker.mjs';
import { client, deliver, seedCommunity } from './support/api.mjs';

let worker, admin, cid, uid;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin, 'Expressions'));
});
after(async () => worker?.stop());

const stripe = new Stripe('sk_test_unused_by_these_tests');
const base64Hmac = (secret, body) => createHmac('sha256', secret).update(body).digest('base64');

async function member() {
  const res = await admin.get(`/v1/communities/${cid}/users/${uid}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

async function create(name, mapping, extra = {}) {
  const res = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name, mapping, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function send(url, body, headers, status) {
  const res = await deliver(url, typeof body === 'string' ? body : JSON.stringify(body), headers);
  assert.equal(res.status, status, res.text);
  return res.body;
}

async function history(hook, did) {
  const res = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${did}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

test('stripe: cents become coins only through an explicit rounding; other event types are filtered', async () => {
  const secret = 'whsec_' + randomUUID().replaceAll('-', '');
  const user = { match: 'email', path: 'data.object.customer_details.email' };
  // A currency never takes a fraction: a division must round, and the save says where.
  const unrounded = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'stripe', signature: { scheme: 'stripe', secret },
    mapping: { user, fields: [{ target: { currency: 'coins' }, op: 'add', value: 'data.object.amount_total / 100' }] },
  });
  assert.equal(unrounded.status, 422, unrounded.text);
  assert.equal(unrounded.body.error.code, 'invalid_expression');
  assert.equal(unrounded.body.error.details.at, 'fields[0].value');
  assert.equal(unrounded.body.error.details.offset, 0, 'the division starts the expression');
  assert.match(unrounded.body.error.message, /divides.*round/);

  const hook = await create('stripe', {
    filter: 'type == "checkout.session.completed"',
    user,
    fields: [{ target: { currency: 'coins' }, op: 'add', value: 'floor(data.object.amount_total / 100)' }],
  }, { signature: { scheme: 'stripe', secret } });
  const event = (type, amount) => JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type,
    data: { object: { customer_details: { email: 'ada@example.com' }, amount_total: amount } } });
  const signed = (payload) => ({ 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret }) });

  const before = (await member()).coins;
  const paid = event('checkout.session.completed', 2499);
  const applied = await send(hook.url, paid, signed(paid), 200);
  assert.deepEqual(applied.effects, [{ kind: 'currency', currency: 'coins', op: 'add', amount: 24 }]);
  assert.equal((await member()).coins, before + 24, '2,499 cents are 24 coins, not 2,499');

  const refund = event('charge.refunded', 2499);
  const filtered = await send(hook.url, refund, signed(refund), 200);
  assert.equal(filtered.filtered, true);
  assert.equal(filtered.status, 'filtered');
  assert.equal(filtered.reason, undefined, 'the sender is not told the admin\'s filter');
  const again = await send(hook.url, refund, signed(refund), 200);
  assert.deepEqual([again.duplicate, again.filtered, again.delivery_id], [true, true, filtered.delivery_id],
    'a filtered delivery took its key: Stripe\'s retry is its duplicate');
  const row = await history(hook, filtered.delivery_id);
  assert.equal(row.status, 'filtered');
  assert.match(row.reason, /the filter "type == \\"checkout.session.completed\\"" is false/);
  assert.equal(row.error, null);
  const listed = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries?status=filtered`);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body.data.map((d) => d.id), [filtered.delivery_id]);
  assert.equal(listed.body.totals.filtered, 1, listed.text);
  const replay = await admin.post(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${filtered.delivery_id}/replay`, {});
  assert.equal(replay.status, 409, replay.text);
  assert.equal(replay.body.error.code, 'already_filtered');
  assert.equal((await member()).coins, before + 24, 'filtered deliveries applied nothing');
});

test('shopify: a price string times 10, rounded half up, only for paid orders named by the topic header', async () => {
  const secret = `shopify-${randomUUID()}`;
  const hook = await create('shopify', {
    filter: 'headers["x-shopify-topic"] == "orders/paid" && financial_status == "paid"',
    user: { match: 'email', path: 'customer.email' },
    fields: [
      { target: { currency: 'coins' }, op: 'add', value: 'round(decimal(total_price) * 10)' },
      { target: { field: 'tier' }, op: 'overwrite', value: 'decimal(total_price) >= 100 ? "big spender" : "shopper"' },
    ],
  }, { signature: { scheme: 'shopify', secret } });
  const order = (price, status) => JSON.stringify({ id: Math.floor(Math.random() * 1e12), financial_status: status,
    total_price: price, customer: { email: 'ada@example.com' } });
  const headers = (body, topic = 'orders/paid') => ({ 'x-shopify-hmac-sha256': base64Hmac(secret, body),
    'x-shopify-webhook-id': randomUUID(), 'x-shopify-topic': topic });

  const before = (await member()).coins;
  const body = order('24.99', 'paid');
  const applied = await send(hook.url, body, headers(body), 200);
  assert.equal(applied.effects[0].amount, 250, '"24.99" x 10 = 249.9, rounded half up');
  assert.equal(applied.effects[1].value, 'shopper');
  // 0.29 x 10 is 2.9 exactly (a binary float would make it 2.8999...): rounded, 3.
  const small = order('0.29', 'paid');
  assert.equal((await send(hook.url, small, headers(small), 200)).effects[0].amount, 3);
  const pending = order('99.00', 'pending');
  assert.equal((await send(hook.url, pending, headers(pending), 200)).filtered, true);
  const created = order('99.00', 'paid');
  assert.equal((await send(hook.url, created, headers(created, 'orders/create'), 200)).filtered, true);
  assert.equal((await member()).coins, before + 253);
  const row = await history(hook, applied.delivery_id);
  assert.deepEqual(Object.keys(row.headers).sort(), ['content-type', 'user-agent', 'x-shopify-topic', 'x-shopify-webhook-id']);
  assert.equal(row.headers['x-shopify-topic'], 'orders/paid');
  // The catch carries them too, for the console's preview.
  const caught = await admin.get(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/catch`);
  assert.equal(caught.status, 200, caught.text);
  assert.equal(caught.body.headers['x-shopify-topic'], 'orders/create', 'the latest delivery\'s');
  assert.ok(!JSON.stringify(row.headers).includes(base64Hmac(secret, body)), 'the signature is never kept');
});

test('github: a star is +5 XP, only when created', async () => {
  const hook = await create('github', {
    filter: 'headers["x-github-event"] == "star" && action == "created"',
    user: { match: 'username', path: 'sender.login' },
    fields: [{ target: { currency: 'xp' }, op: 'add', value: '5' }],
  }, { signature: { scheme: 'github' } });
  const secret = hook.signing_secret;
  const star = async (action, event = 'star') => {
    // Each event's own bytes: GitHub's signature guards the body, whatever delivery id it carries.
    const body = JSON.stringify({ action, sender: { login: 'ada' }, repository: { full_name: 'acme/app' }, starred_at: randomUUID() });
    return send(hook.url, body, { 'x-hub-signature-256': await githubSign(secret, body), 'x-github-delivery': randomUUID(), 'x-github-event': event }, 200);
  };
  const before = (await member()).xp;
  assert.equal((await star('created')).effects[0].amount, 5);
  assert.equal((await star('deleted')).filtered, true);
  assert.equal((await star('created', 'watch')).filtered, true);
  assert.equal((await member()).xp, before + 5);
});

test('woocommerce: the sum of line-item quantities, times 5, in coins and a number field', async () => {
  const secret = `woo-${randomUUID()}`;
  const hook = await create('woocommerce', {
    user: { match: 'email', path: 'billing.email' },
    fields: [
      { target: { currency: 'coins' }, op: 'add', value: 'line_items.map(i, i.quantity).sum() * 5' },
      { target: { field: 'orders' }, op: 'add', value: 'size(line_items)', when: 'status == "completed"' },
    ],
  }, { signature: { scheme: 'woocommerce', secret } });
  const body = (status) => JSON.stringify({ id: Math.floor(Math.random() * 1e9), status, billing: { email: 'ada@example.com' },
    line_items: [{ name: 'Mug', quantity: 2, price: '5.50' }, { name: 'Tee', quantity: 3, price: 12 }] });
  const headers = (b) => ({ 'x-wc-webhook-signature': base64Hmac(secret, b), 'x-wc-webhook-delivery-id': randomUUID() });
  const before = await member();
  const completed = body('completed');
  const applied = await send(hook.url, completed, headers(completed), 200);
  assert.deepEqual(applied.effects.map((e) => e.amount ?? e.value), [25, 2]);
  const processing = body('processing');
  const skipped = await send(hook.url, processing, headers(processing), 200);
  assert.equal(skipped.effects.length, 1, 'the row whose when is false is left out');
  const after = await member();
  assert.equal(after.coins, before.coins + 50);
  assert.equal(after.fields.orders, (before.fields.orders ?? 0) + 2);
});

test('a loyalty-tier lookup, a dry run, and what a delivery fails with', async () => {
  const hook = await create('tiers', {
    user: { match: 'email', path: 'email' },
    fields: [{ target: { currency: 'xp' }, op: 'add', value: '{"gold": 100, "silver": 50}[tier]' }],
  }, { api_key: true });
  const key = { 'x-api-key': hook.api_key };
  const before = (await member()).xp;
  const dry = await send(`${hook.url}?dry_run=true`, { email: 'ada@example.com', tier: 'gold' }, key, 200);
  assert.equal(dry.dry_run, true);
  assert.equal(dry.effects[0].amount, 100);
  assert.equal((await member()).xp, before, 'a dry run applies nothing');
  assert.equal((await send(hook.url, { email: 'ada@example.com', tier: 'silver' }, key, 200)).effects[0].amount, 50);
  const unknown = await send(hook.url, { email: 'ada@example.com', tier: 'tin' }, key, 422);
  assert.equal(unknown.error.code, 'missing_path');
  assert.equal(unknown.error.details.at, 'fields[0].value');
  assert.match(unknown.error.message, /the map has no key "tin"/);

  // A fraction that still reaches a currency fails the delivery; it is never truncated.
  const priced = await create('fraction', {
    user: { match: 'email', path: 'email' },
    fields: [{ target: { currency: 'coins' }, op: 'add', value: 'price * 10' }],
  }, { api_key: true });
  const fraction = await send(priced.url, { email: 'ada@example.com', price: 2.45 }, { 'x-api-key': priced.api_key }, 422);
  assert.equal(fraction.error.code, 'non_integer_amount');
  assert.match(fraction.error.message, /24\.5 is not a whole number/);
  assert.equal((await send(priced.url, { email: 'ada@example.com', price: 2.4 }, { 'x-api-key': priced.api_key }, 200)).effects[0].amount, 24);

  // A payload that makes a small expression run long stops at the step budget.
  const costly = await create('costly', {
    user: { match: 'email', path: 'email' },
    fields: [{ target: { currency: 'coins' }, op: 'add', value: 'items.map(a, items.map(b, b).size()).sum()' }],
  }, { api_key: true });
  const items = Array.from({ length: 200 }, (_, i) => i);
  const long = await send(costly.url, { email: 'ada@example.com', items }, { 'x-api-key': costly.api_key }, 422);
  assert.equal(long.error.code, 'expression_step_limit');

  // Syntax errors are refused at save, naming the row and the character.
  const broken = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'broken', mapping: {
    user: { match: 'email', path: 'email' }, fields: [{ target: { currency: 'xp' }, op: 'add', value: 'round(price * 10' }] } });
  assert.equal(broken.status, 422, broken.text);
  assert.equal(broken.body.error.code, 'invalid_expression');
  assert.equal(broken.body.error.details.at, 'fields[0].value');
  assert.equal(broken.body.error.details.offset, 16);
  assert.match(broken.body.error.message, /at character 16/);
});

test('a replay reads the headers the delivery arrived with', async () => {
  const hook = await create('replayed', {
    filter: 'headers["x-event-type"] == "order.paid"',
    user: { match: 'email', path: 'customer' },
    fields: [{ target: { currency: 'coins' }, op: 'add', value: 'amount' }],
  }, { api_key: true });
  const key = { 'x-api-key': hook.api_key };
  // The payload names the member under another key: the delivery fails at planning.
  const failed = await send(hook.url, { who: 'ada@example.com', amount: 7 }, { ...key, 'x-event-type': 'order.paid', authorization: 'Bearer leak' }, 422);
  const stored = await history(hook, failed.delivery_id);
  assert.deepEqual(Object.keys(stored.headers).sort(), ['content-type', 'user-agent', 'x-event-type'], 'credentials are never kept');
  assert.equal(stored.headers['x-event-type'], 'order.paid');
  const fixed = await admin.patch(`/v1/communities/${cid}/incoming-webhooks/${hook.id}`, { mapping: {
    filter: 'headers["x-event-type"] == "order.paid"',
    user: { match: 'email', path: 'who' },
    fields: [{ target: { currency: 'coins' }, op: 'add', value: 'amount' }] } });
  assert.equal(fixed.status, 200, fixed.text);
  const before = (await member()).coins;
  const replay = await admin.post(`/v1/communities/${cid}/incoming-webhooks/${hook.id}/deliveries/${failed.delivery_id}/replay`, {});
  assert.equal(replay.status, 200, replay.text);
  assert.equal(replay.body.effects[0].amount, 7, 'the stored header passed the filter');
  assert.equal((await member()).coins, before + 7);
});
