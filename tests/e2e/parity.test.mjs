// The parity corpus through the edge: saving each mapping and sending each payload (or raw
// request: a form body, a query string) with ?dry_run=true must give exactly the outcome the
// native core gives (tests/parity/cases.json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startWorker } from './support/worker.mjs';
import { client, deliver } from './support/api.mjs';

const corpus = JSON.parse(readFileSync(new URL('../parity/cases.json', import.meta.url)));
let worker, admin;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

/** A community with the case's fields and currencies and, when the case plans, its member holding 1000 xp and coins. */
async function setUp(c) {
  const cid = (await admin.post('/v1/communities', { name: c.name })).body.id;
  for (const [key, type] of Object.entries(c.fields)) {
    assert.equal((await admin.post(`/v1/communities/${cid}/user-fields`, { key, type })).status, 201);
  }
  for (const key of c.currencies ?? []) {
    assert.equal((await admin.post(`/v1/communities/${cid}/currencies`, { key })).status, 201);
  }
  const member = c.expect.plan?.member;
  // A case for a member who has not joined (`member_unknown`) leaves them out: the webhook's
  // `on_unknown_member` decides what the edge makes of it.
  if (!member || c.member_unknown) return { cid };
  const user = member.match === 'email' ? { email: member.value, username: 'member' } : { email: 'member@example.com', username: member.value };
  const uid = (await admin.post(`/v1/communities/${cid}/users`, user)).body.id;
  const seed = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'seed', mapping: {
    user: { match: 'username', path: 'u' },
    fields: [{ target: { currency: 'xp' }, op: 'add', path: 'n' }, { target: { currency: 'coins' }, op: 'add', path: 'n' }] } })).body;
  assert.equal((await deliver(seed.url, JSON.stringify({ u: user.username, n: 1000 }))).status, 200);
  return { cid, uid };
}

/** Creates the case's channels; the case with the corpus's channel names replaced by their ids. */
async function withChannels(cid, c) {
  let text = JSON.stringify({ mapping: c.mapping, payload: c.payload, expect: c.expect });
  for (const [name, type] of Object.entries(c.channels ?? {})) {
    const channel = await admin.post(`/v1/communities/${cid}/channels`, { name, type });
    assert.equal(channel.status, 201, channel.text);
    text = text.replaceAll(JSON.stringify(name), JSON.stringify(channel.body.id));
  }
  return JSON.parse(text);
}

/**
 * Sends a case's payload as JSON, or its `request` as it is (raw body, content type, query
 * string), to `hook` with its API key, with `dry_run=true` when `dry`.
 */
function send(hook, c, dry) {
  const params = [c.request?.query, dry ? 'dry_run=true' : ''].filter(Boolean).join('&');
  const target = params ? `${hook.url}?${params}` : hook.url;
  // A dry run needs a proved sender (issue 27): the webhook's API key.
  const key = { 'x-api-key': hook.api_key };
  if (!c.request) return deliver(target, JSON.stringify(c.payload), key);
  const headers = c.request.content_type ? { 'content-type': c.request.content_type, ...key } : key;
  return deliver(target, c.request.body, headers);
}

for (const corpusCase of corpus.cases) {
  test(`edge agrees with the core: ${corpusCase.name}`, async () => {
    const { cid, uid } = await setUp(corpusCase);
    const c = { ...corpusCase, ...(await withChannels(cid, corpusCase)) };
    const location = c.mapping.message && !c.mapping.fields?.length ? 'chat' : 'user_fields';
    const policy = c.on_unknown_member ? { on_unknown_member: c.on_unknown_member } : {};
    const created = await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'parity', location, api_key: true, mapping: c.mapping, ...policy });
    let outcome;
    if (created.status !== 201) {
      assert.equal(created.status, 422, created.text);
      outcome = { error: { code: created.body.error.code, at: created.body.error.details?.at ?? null } };
    } else {
      const res = await send(created.body, c, true);
      if (res.status === 400 && c.request) {
        // The sender is told `undecodable` whatever the cause; the history names it. A dry run
        // records nothing, so the same request is sent for real (it fails before any effect).
        assert.equal(res.body.error.code, 'undecodable', res.text);
        const real = await send(created.body, c, false);
        assert.equal(real.status, 400, real.text);
        const row = (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${created.body.id}/deliveries/${real.body.delivery_id}`)).body;
        outcome = { error: { code: row.error.code, at: row.error.at ?? null } };
      } else if (res.status === 200 && res.body.filtered) {
        // The sender is not told the filter's reason; the delivery sent for real records it.
        const real = await send(created.body, c, false);
        assert.equal(real.body.status, 'filtered', real.text);
        const row = (await admin.get(`/v1/communities/${cid}/incoming-webhooks/${created.body.id}/deliveries/${real.body.delivery_id}`)).body;
        const plan = { filtered: row.reason };
        if (res.body.idempotency_key !== null) plan.idempotency_key = res.body.idempotency_key;
        plan.effects = [];
        outcome = { plan };
      } else if (c.member_unknown && c.expect.plan) {
        // The member has not joined: held (202, nothing recorded by a dry run), created (200,
        // `creates` names them) or refused (fail: unknown_member, which planning cannot know).
        const member = c.expect.plan.member;
        const policy = c.on_unknown_member ?? 'fail';
        if (policy === 'fail') {
          assert.deepEqual([res.status, res.body.error?.code], [422, 'unknown_member'], res.text);
          outcome = c.expect;
        } else {
          assert.equal(res.status, policy === 'hold' ? 202 : 200, res.text);
          if (policy === 'hold') assert.equal(res.body.held, true);
          else assert.equal(res.body.creates[member.match], member.value);
          const plan = { member, effects: res.body.effects };
          if (res.body.idempotency_key !== null) plan.idempotency_key = res.body.idempotency_key;
          outcome = { plan };
        }
      } else if (res.status === 200) {
        // The edge answers with the member it resolved, checked by id; the rest must match exactly.
        const plan = { effects: res.body.effects };
        if (c.expect.plan?.member) {
          assert.equal(res.body.member.id, uid);
          plan.member = c.expect.plan.member;
        } else {
          assert.equal(res.body.member, null);
        }
        if (res.body.idempotency_key !== null) plan.idempotency_key = res.body.idempotency_key;
        if (res.body.message) plan.message = res.body.message;
        outcome = { plan };
      } else {
        assert.equal(res.status, 422, res.text);
        outcome = { error: { code: res.body.error.code, at: res.body.error.details?.at ?? null } };
      }
    }
    assert.deepEqual(outcome, c.expect);
  });
}
