// The event catalogue over a real `wrangler dev`: the built-ins with their schemas, a community's
// own type (the seed's payment.completed) registered with a schema, subscribed to beside a built-in,
// published (checked against the schema) and received signed by a real receiver process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startReceiver } from './support/receivers.mjs';
import { startWorker } from './support/worker.mjs';
import { client, eventually, seedCommunity } from './support/api.mjs';

let worker, admin, receiver, hooks, cid;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  receiver = await startReceiver();
  hooks = receiver.url;
  ({ cid } = await seedCommunity(admin, 'Catalogue'));
});
after(async () => {
  receiver?.stop();
  await worker?.stop();
});

const base = () => `/v1/communities/${cid}`;
const received = (name) => receiver.received(name);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PAYMENT = {
  name: 'payment.completed',
  description: 'A payment went through in the shop.',
  schema: {
    type: 'object',
    required: ['amount', 'currency'],
    properties: {
      amount: { type: 'integer', minimum: 1 },
      currency: { type: 'string', enum: ['EUR', 'USD'] },
      payer: { type: 'object', properties: { email: { type: 'string', maxLength: 100 } } },
    },
    additionalProperties: false,
  },
};

function verify(secret, request) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': header } = request.headers;
  return header.split(' ').includes(`v1,${createHmac('sha256', key).update(`${id}.${ts}.${request.body}`).digest('base64')}`);
}

function refused(res, status, code, at) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.error.code, code, res.text);
  if (at !== undefined) assert.equal(res.body.error.details?.at, at, res.text);
}

test('GET /v1/event-types lists every built-in with who emits it and its data schema', async () => {
  const res = await admin.get('/v1/event-types');
  assert.equal(res.status, 200, res.text);
  const byName = Object.fromEntries(res.body.data.map((t) => [t.name, t]));
  assert.deepEqual(Object.keys(byName).sort(), ['incoming_webhook.failing', 'incoming_webhook.recovered', 'member.joined', 'member.visited', 'message.posted', 'store.purchased', 'subscription.disabled', 'test.ping']);
  for (const t of res.body.data) {
    assert.equal(t.built_in, true);
    assert.equal(t.schema.type, 'object', t.name);
    assert.ok(t.description.length > 10, t.name);
    assert.equal(t.created_at, null);
  }
  assert.equal(byName['member.joined'].emitted_by, 'hookmap');
  assert.equal(byName['store.purchased'].emitted_by, 'api');
  assert.equal(byName['store.purchased'].schema.properties.price.type, 'number');
});

test('payment.completed: registered with a schema, subscribed, published, received signed', async () => {
  const created = await admin.post(`${base()}/event-types`, PAYMENT);
  assert.equal(created.status, 201, created.text);
  assert.deepEqual({ ...created.body, created_at: undefined },
    { ...PAYMENT, built_in: false, emitted_by: 'api', created_at: undefined });
  refused(await admin.post(`${base()}/event-types`, PAYMENT), 409, 'event_type_exists');
  const shown = await admin.get(`${base()}/event-types/payment.completed`);
  assert.deepEqual(shown.body, created.body);
  const listed = (await admin.get(`${base()}/event-types`)).body;
  const builtIns = (await admin.get('/v1/event-types')).body.data.length;
  assert.equal(listed.total, builtIns + 1);
  assert.deepEqual(listed.data.map((t) => t.name).slice(-1), ['payment.completed']);

  // The seed's example subscription works once the type is registered.
  const sub = await admin.post(`${base()}/webhooks`, { url: `${hooks}/hook/payments`, events: ['member.joined', 'payment.completed'], is_active: true });
  assert.equal(sub.status, 201, sub.text);
  assert.deepEqual(sub.body.events, ['member.joined', 'payment.completed']);

  const data = { amount: 1250, currency: 'EUR', payer: { email: 'ada@example.com' } };
  const published = await admin.post(`${base()}/events`, { type: 'payment.completed', data });
  assert.equal(published.status, 202, published.text);
  assert.deepEqual([published.body.type, published.body.deliveries], ['payment.completed', 1]);
  const [request] = await eventually(async () => (await received('payments')).length && received('payments'), 'the event');
  assert.ok(verify(sub.body.secret, request), 'signed with the subscription secret');
  const event = JSON.parse(request.body);
  assert.deepEqual([event.id, event.type, event.data], [published.body.id, 'payment.completed', data]);
  const log = await eventually(async () => {
    const l = (await admin.get(`${base()}/webhooks/${sub.body.id}/logs`)).body;
    return l.data.length && l;
  }, 'the log');
  assert.equal(log.data[0].event, 'payment.completed');
  assert.equal(log.data[0].status_code, 200);

  // Invalid data: a 422 naming the place, and nothing sent.
  for (const [bad, at, words] of [
    [{ amount: '12', currency: 'EUR' }, 'data.amount', 'must be integer, not string'],
    [{ amount: 0, currency: 'EUR' }, 'data.amount', 'at least 1'],
    [{ amount: 5 }, 'data.currency', 'is required'],
    [{ amount: 5, currency: 'GBP' }, 'data.currency', 'one of'],
    [{ amount: 5, currency: 'EUR', tip: 1 }, 'data.tip', 'not allowed'],
    [{ amount: 5, currency: 'EUR', payer: { email: 7 } }, 'data.payer.email', 'must be string'],
  ]) {
    const res = await admin.post(`${base()}/events`, { type: 'payment.completed', data: bad });
    refused(res, 422, 'invalid_event_data', at);
    assert.ok(res.body.error.message.includes(words), res.body.error.message);
  }
  // A built-in publishable type is checked against its own schema too.
  refused(await admin.post(`${base()}/events`, { type: 'store.purchased', data: { price: -1 } }), 422, 'invalid_event_data', 'data.price');
  await sleep(1500);
  assert.equal((await received('payments')).length, 1, 'refused events are not sent');

  // Delete is refused while a subscription lists the type, then allowed.
  refused(await admin.del(`${base()}/event-types/payment.completed`), 409, 'event_type_in_use');
  const patched = await admin.patch(`${base()}/webhooks/${sub.body.id}`, { events: ['member.joined'] });
  assert.equal(patched.status, 200, patched.text);
  assert.equal((await admin.del(`${base()}/event-types/payment.completed`)).status, 204);
  refused(await admin.get(`${base()}/event-types/payment.completed`), 404, 'not_found');
  refused(await admin.post(`${base()}/events`, { type: 'payment.completed', data }), 422, 'invalid_event', 'type');
  // Listing it again registers it again, without the schema, and says so.
  const relisted = await admin.patch(`${base()}/webhooks/${sub.body.id}`, { events: ['payment.completed'] });
  assert.equal(relisted.status, 200, relisted.text);
  assert.deepEqual(relisted.body.warnings.map((w) => w.code), ['event_type_registered']);
  assert.equal((await admin.get(`${base()}/event-types/payment.completed`)).body.schema, null);
  await admin.patch(`${base()}/webhooks/${sub.body.id}`, { events: ['member.joined'] });
  assert.equal((await admin.del(`${base()}/event-types/payment.completed`)).status, 204);
});

test('seed 004 as written: a new event name in a subscription is registered, with a warning, and its events arrive', async () => {
  const { cid: seeded } = await seedCommunity(admin, 'Seed 004');
  const at = `/v1/communities/${seeded}`;
  // The seed's request body, verbatim.
  const created = await admin.call('POST', `${at}/webhooks`, `{
  "url": "https://your-server.com/webhook",
  "events": ["member.joined", "payment.completed"],
  "is_active": true
}`);
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(created.body.events, ['member.joined', 'payment.completed']);
  assert.equal(created.body.warnings.length, 1, created.text);
  assert.equal(created.body.warnings[0].code, 'event_type_registered');
  assert.match(created.body.warnings[0].message, /"payment\.completed"/);
  const type = (await admin.get(`${at}/event-types/payment.completed`)).body;
  assert.deepEqual([type.built_in, type.schema, type.emitted_by], [false, null, 'api']);
  assert.match(type.description, new RegExp(`registered by webhook subscription ${created.body.id}`));
  // A type it lists is in use: it stays while the subscription lists it.
  refused(await admin.del(`${at}/event-types/payment.completed`), 409, 'event_type_in_use');
  // Listing it again (or a known name) warns of nothing.
  const again = await admin.patch(`${at}/webhooks/${created.body.id}`, { url: `${hooks}/hook/seed004` });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.warnings, undefined);

  const data = { amount: 1999, currency: 'EUR', order: 'o-1' };
  const published = await admin.post(`${at}/events`, { type: 'payment.completed', data });
  assert.equal(published.status, 202, published.text);
  const [request] = await eventually(async () => (await received('seed004')).length && received('seed004'), 'payment.completed at the subscriber');
  assert.equal(verify(created.body.secret, request), true);
  const event = JSON.parse(request.body);
  assert.deepEqual([event.type, event.data], ['payment.completed', data]);
});

test('a name a subscription would register counts against the 50, and malformed names stay refused', async () => {
  const { cid: full } = await seedCommunity(admin, 'Nearly full');
  const at = `/v1/communities/${full}`;
  for (let i = 0; i < 49; i += 1) {
    assert.equal((await admin.post(`${at}/event-types`, { name: `kind.n${i}`, description: 'x' })).status, 201);
  }
  // Two new names with room for one: neither is registered, nothing is stored.
  refused(await admin.post(`${at}/webhooks`, { url: `${hooks}/hook/full`, events: ['kind.a', 'kind.b'] }), 422, 'too_many_event_types', 'events');
  assert.equal((await admin.get(`${at}/webhooks`)).body.total, 0);
  refused(await admin.get(`${at}/event-types/kind.a`), 404, 'not_found');
  const one = await admin.post(`${at}/webhooks`, { url: `${hooks}/hook/full`, events: ['kind.a', 'kind.n0'] });
  assert.equal(one.status, 201, one.text);
  assert.deepEqual(one.body.warnings.map((w) => w.message.match(/"([^"]+)"/)[1]), ['kind.a']);
  for (const name of ['Payment.Completed', 'payment', 'payment..done', ' payment.done']) {
    refused(await admin.post(`${at}/webhooks`, { url: `${hooks}/hook/full`, events: [name] }), 422, 'invalid_event', 'events[0]');
  }
});

test('unknown, malformed and built-in names are refused; bad schemas name the keyword', async () => {
  refused(await admin.post(`${base()}/webhooks`, { url: `${hooks}/hook/x`, events: ['member.joined', 'order'] }), 422, 'invalid_event', 'events[1]');
  refused(await admin.post(`${base()}/events`, { type: 'order.shipped', data: {} }), 422, 'invalid_event', 'type');
  refused(await admin.post(`${base()}/events`, { type: 'member.joined', data: {} }), 422, 'invalid_event', 'type');
  refused(await admin.post(`${base()}/events`, { type: ' store.purchased', data: {} }), 422, 'invalid_event', 'type');
  refused(await admin.post(`${base()}/events`, { type: 'x'.repeat(300), data: {} }), 422, 'invalid_event', 'type');
  refused(await admin.post(`${base()}/event-types`, { name: 'store.purchased', description: 'mine' }), 409, 'built_in_event_type');
  refused(await admin.del(`${base()}/event-types/member.joined`), 409, 'built_in_event_type');
  assert.equal((await admin.get(`${base()}/event-types/member.joined`)).body.built_in, true);
  for (const name of ['Payment.Completed', 'payment', 'payment..done', 'pay ment.done', ' payment.done', `a.${'b'.repeat(70)}`]) {
    refused(await admin.post(`${base()}/event-types`, { name, description: 'x' }), 422, 'invalid_event', 'name');
  }
  const bad = await admin.post(`${base()}/event-types`, { name: 'order.shipped', description: 'x', schema: { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]+$' } } } });
  refused(bad, 422, 'invalid_schema', 'schema.properties.code.pattern');
  assert.ok(bad.body.error.message.includes('"pattern" is not supported'), bad.body.error.message);
  refused(await admin.post(`${base()}/event-types`, { name: 'order.shipped', description: 'x', schema: { additionalProperties: { type: 'string' } } }), 422, 'invalid_schema', 'schema.additionalProperties');
  refused(await admin.post(`${base()}/event-types`, { name: 'order.shipped', description: 'x', schema: { enum: ['x'.repeat(17000)] } }), 422, 'invalid_schema', 'schema');
  refused(await admin.get(`${base()}/event-types/order.shipped`), 404, 'not_found');
  // Without a schema, any object is taken.
  assert.equal((await admin.post(`${base()}/event-types`, { name: 'order.shipped', description: 'An order left the warehouse.' })).status, 201);
  assert.equal((await admin.post(`${base()}/events`, { type: 'order.shipped', data: { anything: [1, 2] } })).status, 202);
});

test('another community cannot see or use a type, and the cap is counted', async () => {
  const other = await seedCommunity(admin, 'Elsewhere');
  const otherKey = (await admin.post(`/v1/communities/${other.cid}/api-keys`, { name: 'k' })).body.key;
  const intruder = client(worker.base, otherKey);
  assert.equal((await admin.post(`${base()}/event-types`, { name: 'secret.launch', description: 'ours' })).status, 201);
  refused(await intruder.get(`${base()}/event-types`), 404, 'not_found');
  refused(await intruder.get(`/v1/communities/${other.cid}/event-types/secret.launch`), 404, 'not_found');
  const theirs = (await intruder.get(`/v1/communities/${other.cid}/event-types`)).body;
  assert.equal(theirs.data.some((t) => t.name === 'secret.launch'), false);
  refused(await intruder.post(`/v1/communities/${other.cid}/events`, { type: 'secret.launch', data: {} }), 422, 'invalid_event', 'type');
  // Subscribing to the name registers the other community's own type, not a view of ours.
  const theirSub = await intruder.post(`/v1/communities/${other.cid}/webhooks`, { url: `${hooks}/hook/y`, events: ['secret.launch'] });
  assert.equal(theirSub.status, 201, theirSub.text);
  assert.match((await intruder.get(`/v1/communities/${other.cid}/event-types/secret.launch`)).body.description, /registered by webhook subscription/);
  assert.equal((await admin.get(`${base()}/event-types/secret.launch`)).body.description, 'ours');
  // The catalogue itself is the same for everyone.
  assert.equal((await intruder.get('/v1/event-types')).body.data.length, (await admin.get('/v1/event-types')).body.data.length);

  // 50 a community: this one holds 2 by now (order.shipped, secret.launch).
  const { cid: full } = await seedCommunity(admin, 'Full');
  for (let i = 0; i < 50; i += 1) {
    const res = await admin.post(`/v1/communities/${full}/event-types`, { name: `kind.n${i}`, description: 'x' });
    assert.equal(res.status, 201, res.text);
  }
  refused(await admin.post(`/v1/communities/${full}/event-types`, { name: 'kind.too_many', description: 'x' }), 422, 'too_many_event_types');
  // The built-ins first, then the community's 50: page 3 of 20 holds what is left after 40.
  const builtIns = (await admin.get('/v1/event-types')).body.data.length;
  const page = (await admin.get(`/v1/communities/${full}/event-types?page=3&per_page=20`)).body;
  assert.deepEqual([page.total, page.data.length], [builtIns + 50, builtIns + 50 - 40]);
});
