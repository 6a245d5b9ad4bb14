// Chat webhooks over a real `wrangler dev`: channels, the bot profile, messages posted from
// payloads, combined chat + coins deliveries that apply both or neither, and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, deliver, envelope, seedCommunity, KEY, IV } from './support/api.mjs';

let worker, admin, cid, uid, text, forum;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  ({ cid, uid } = await seedCommunity(admin, 'Chatty'));
  text = (await admin.post(`/v1/communities/${cid}/channels`, { name: 'general' })).body;
  forum = (await admin.post(`/v1/communities/${cid}/channels`, { name: 'orders', type: 'forum' })).body;
});
after(async () => worker?.stop());

const base = () => `/v1/communities/${cid}`;
const messages = async (channel) => (await admin.get(`${base()}/channels/${channel.id}/messages`)).body;
const member = async () => (await admin.get(`${base()}/users/${uid}`)).body;
/** Webhooks here have an API key: only a proved sender is told the message and balances (issue 27). */
async function webhook(body) {
  const res = await admin.post(`${base()}/incoming-webhooks`, { name: 'Shop', api_key: true, ...body });
  assert.equal(res.status, 201, res.text);
  return res.body;
}
const send = (hook, body, query = '') => deliver(`${hook.url}${query}`, body, { 'x-api-key': hook.api_key });

test('channels: created with a type, listed, unique by name, private to their community', async () => {
  assert.deepEqual([text.type, forum.type], ['text', 'forum']);
  assert.match(text.id, /^chn_/);
  const again = await admin.post(`${base()}/channels`, { name: 'general' });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'channel_exists');
  const badType = await admin.post(`${base()}/channels`, { name: 'x', type: 'voice' });
  assert.equal(badType.status, 422);
  assert.equal(badType.body.error.details.at, 'type');
  const list = (await admin.get(`${base()}/channels`)).body;
  assert.deepEqual(list.data.map((c) => c.name), ['general', 'orders']);
  assert.equal(list.total, 2);

  const other = await seedCommunity(admin, 'Elsewhere');
  const key = (await admin.post(`/v1/communities/${other.cid}/api-keys`, {})).body.key;
  const stranger = client(worker.base, key);
  assert.equal((await stranger.get(`${base()}/channels/${text.id}`)).status, 404);
  assert.equal((await stranger.get(`/v1/communities/${other.cid}/channels/${text.id}`)).status, 404);
});

test('the bot profile has a default, changes by PATCH, and refuses a non-http avatar', async () => {
  assert.deepEqual((await admin.get(`${base()}/bot`)).body, { name: 'Community bot', avatar_url: null });
  const bad = await admin.patch(`${base()}/bot`, { avatar_url: 'javascript:alert(1)' });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.details.at, 'avatar_url');
  const ok = await admin.patch(`${base()}/bot`, { name: 'Shopkeeper', avatar_url: 'https://example.com/bot.png' });
  assert.deepEqual(ok.body, { name: 'Shopkeeper', avatar_url: 'https://example.com/bot.png' });
  assert.deepEqual((await admin.get(`${base()}/bot`)).body, ok.body);
});

test('a chat webhook posts the rendered message as the bot; the history shows its id', async () => {
  const hook = await webhook({
    location: 'chat', encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV },
    mapping: { message: { channel: { id: text.id }, template: 'Order {{order.id}} by {{customer.name | default: "a guest"}}: <b>{{note}}</b>' } },
  });
  const payload = { order: { id: 'A-7' }, note: '<script>alert(1)</script>' };
  const res = await send(hook, envelope('aes-256-gcm', KEY, JSON.stringify(payload)));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.member, null);
  const expected = 'Order A-7 by a guest: <b><script>alert(1)</script></b>';
  assert.equal(res.body.message.text, expected, 'plain text, taken verbatim');
  assert.equal(res.body.message.channel_id, text.id);

  const list = await messages(text);
  assert.equal(list.total, 1);
  const [message] = list.data;
  assert.equal(message.id, res.body.message.id);
  assert.equal(message.text, expected);
  assert.deepEqual(message.author, { kind: 'bot', name: 'Shopkeeper', avatar_url: 'https://example.com/bot.png' });
  assert.equal(message.delivery_id, res.body.delivery_id);

  const delivery = (await admin.get(`${base()}/incoming-webhooks/${hook.id}/deliveries/${res.body.delivery_id}`)).body;
  assert.equal(delivery.status, 'success');
  assert.equal(delivery.message_id, message.id);
  assert.equal(delivery.user_id, null);
});

test('messages come newest first; a path picks the channel; a forum post needs its topic', async () => {
  const hook = await webhook({
    location: 'chat',
    mapping: { idempotency_path: 'n', message: { channel: { path: 'room' }, template: 'post {{n}}', topic: '{{topic | default: ""}}' } },
  });
  for (const n of [1, 2, 3]) {
    assert.equal((await send(hook, JSON.stringify({ room: forum.id, n, topic: `Day ${n}` }))).status, 200);
  }
  const list = await messages(forum);
  assert.deepEqual(list.data.map((m) => [m.text, m.topic]), [['post 3', 'Day 3'], ['post 2', 'Day 2'], ['post 1', 'Day 1']]);

  // A duplicate names the message it first posted and posts nothing.
  const dup = await send(hook, JSON.stringify({ room: forum.id, n: 3, topic: 'Day 3' }));
  assert.equal(dup.body.duplicate, true);
  assert.equal(dup.body.message.id, list.data[0].id);

  const noTopic = await send(hook, JSON.stringify({ room: forum.id, n: 4 }));
  assert.equal(noTopic.status, 422, noTopic.text);
  assert.equal(noTopic.body.error.code, 'topic_required');
  assert.equal((await messages(forum)).total, 3);

  const elsewhere = await seedCommunity(admin, 'Other place');
  const foreign = (await admin.post(`/v1/communities/${elsewhere.cid}/channels`, { name: 'x' })).body;
  for (const room of [foreign.id, 'chn_missing']) {
    const res = await send(hook, JSON.stringify({ room, n: 5 }));
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.code, 'unknown_channel');
    const failed = (await admin.get(`${base()}/incoming-webhooks/${hook.id}/deliveries/${res.body.delivery_id}`)).body;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.message_id, null);
  }
  assert.equal((await admin.get(`/v1/communities/${elsewhere.cid}/channels/${foreign.id}/messages`)).body.total, 0);
});

test('chat + coins on one webhook apply both or neither', async () => {
  const hook = await webhook({
    location: 'chat',
    mapping: {
      user: { match: 'email', path: 'email' },
      fields: [{ target: { currency: 'coins' }, op: 'subtract', path: 'cost' }],
      message: { channel: { path: 'room' }, template: '{{email}} spent {{cost}} coins' },
    },
  });
  const seedCoins = await webhook({ mapping: { user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] } });
  assert.equal((await send(seedCoins, JSON.stringify({ e: 'ada@example.com', n: 10 }))).status, 200);
  const before = (await messages(text)).total;

  const ok = await send(hook, JSON.stringify({ email: 'ada@example.com', cost: 4, room: text.id }));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.member.coins, 6);
  assert.equal(ok.body.message.text, 'ada@example.com spent 4 coins');
  assert.equal((await messages(text)).total, before + 1);

  // The coins would go negative: no message either.
  const broke = await send(hook, JSON.stringify({ email: 'ada@example.com', cost: 7, room: text.id }));
  assert.equal(broke.status, 422);
  assert.equal(broke.body.error.code, 'insufficient_balance');
  // The channel is unknown: the coins stay.
  const lost = await send(hook, JSON.stringify({ email: 'ada@example.com', cost: 1, room: 'chn_nope' }));
  assert.equal(lost.status, 422);
  assert.equal(lost.body.error.code, 'unknown_channel');
  // The member is unknown: no message.
  const stranger = await send(hook, JSON.stringify({ email: 'nobody@example.com', cost: 1, room: text.id }));
  assert.equal(stranger.body.error.code, 'unknown_member');

  assert.equal((await member()).coins, 6);
  assert.equal((await messages(text)).total, before + 1);
});

test('a dry run renders the message and posts nothing', async () => {
  const hook = await webhook({ location: 'chat', mapping: { message: { channel: { id: text.id }, template: 'hi {{who}}' } } });
  const before = (await messages(text)).total;
  const res = await send(hook, JSON.stringify({ who: 'there' }), '?dry_run=true');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.dry_run, true);
  assert.deepEqual(res.body.message, { channel: text.id, text: 'hi there' });
  assert.equal((await messages(text)).total, before);
});

test('bad chat mappings are refused at save, bad payloads at the edge, each with its reason', async () => {
  const save = async (mapping, location = 'chat') => admin.post(`${base()}/incoming-webhooks`, { name: 'bad', location, mapping });
  const cases = [
    [{ message: { channel: { id: 'chn_missing' }, template: 'x' } }, 'unknown_channel', 'message.channel.id'],
    [{ message: { channel: { id: text.id }, template: 'Hello {{name' } }, 'invalid_template', 'message.template'],
    [{ message: { channel: { id: text.id }, template: 'x', topic: '{{a | upper}}' } }, 'invalid_template', 'message.topic'],
    [{ message: { channel: { id: text.id, path: 'p' }, template: 'x' } }, 'invalid_mapping', 'message.channel'],
    [{ user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'xp' }, op: 'add', path: 'n' }] }, 'invalid_mapping', 'message'],
  ];
  for (const [mapping, code, at] of cases) {
    const res = await save(mapping);
    assert.equal(res.status, 422, `${JSON.stringify(mapping)}: ${res.text}`);
    assert.equal(res.body.error.code, code, res.text);
    assert.equal(res.body.error.details.at, at, res.text);
  }
  const syntax = await save(cases[1][0]);
  assert.match(syntax.body.error.message, /never closed .* at character 7$/);
  const onlyMessage = await save({ message: { channel: { id: text.id }, template: 'x' } }, 'user_fields');
  assert.equal(onlyMessage.body.error.details.at, 'fields');
  const badLocation = await admin.post(`${base()}/incoming-webhooks`, { name: 'x', location: 'email' });
  assert.equal(badLocation.status, 422);
  assert.equal(badLocation.body.error.details.at, 'location');

  const hook = await webhook({ location: 'chat', mapping: { message: { channel: { id: text.id }, template: '{{who}} {{long | default: ""}}' } } });
  const before = (await messages(text)).total;
  const missing = await send(hook, JSON.stringify({}));
  assert.equal(missing.status, 422);
  assert.equal(missing.body.error.code, 'missing_path');
  assert.equal(missing.body.error.details.at, 'message.template');
  const long = await send(hook, JSON.stringify({ who: 'a', long: 'x'.repeat(2000) }));
  assert.equal(long.status, 422);
  assert.equal(long.body.error.code, 'message_too_long');
  const empty = await send(hook, JSON.stringify({ who: ' ' }));
  assert.equal(empty.body.error.code, 'empty_message');
  const object = await send(hook, JSON.stringify({ who: { a: 1 } }));
  assert.equal(object.body.error.code, 'wrong_type');
  assert.equal((await messages(text)).total, before, 'no failed delivery posts anything');
});
