// Trust: secrets at rest, tenant isolation over every route, incoming signatures, rate limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startWorker } from './support/worker.mjs';
import { client, deliver, envelope, seedCommunity, KEY, IV } from './support/api.mjs';

let worker, admin;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
});
after(async () => worker?.stop());

/** Every byte wrangler dev persisted (D1's SQLite files and KV's blobs), as one buffer. */
function persisted(dir) {
  const parts = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) parts.push(persisted(path));
    else parts.push(readFileSync(path));
  }
  return Buffer.concat(parts);
}

test('encryption keys and signing secrets are sealed in D1 and KV, never stored in clear', async () => {
  const { cid } = await seedCommunity(admin, 'Vault');
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'sealed', encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV },
    mapping: { user: { match: 'email', path: 'e' }, fields: [{ target: { currency: 'xp' }, op: 'add', path: 'n' }] },
  })).body;
  const sub = (await admin.post(`/v1/communities/${cid}/webhooks`, {
    url: 'https://example.com/hook', events: ['store.purchased'],
    encryption: { algorithm: 'aes-256-cbc', key: 'another-key-of-32-characters-!!!', iv: 'another-iv-16-ch' },
  })).body;
  // A delivery puts the webhook record in the KV cache; it must still decrypt with the key.
  const res = await deliver(hook.url, envelope('aes-256-gcm', KEY, JSON.stringify({ e: 'ada@example.com', n: 1 })));
  assert.equal(res.status, 200, res.text);
  // The journal may still hold pages; a restart makes workerd write everything to the files.
  await worker.restart();
  const bytes = persisted(worker.state);
  for (const secret of [KEY, IV, 'another-key-of-32-characters-!!!', sub.secret.slice('whsec_'.length)]) {
    assert.equal(bytes.includes(Buffer.from(secret)), false, `${secret} is stored in clear`);
  }
  assert.ok(bytes.includes(Buffer.from('sealed:v1:')), 'sealed values are there');
  // And they still work after the restart (on a new port).
  const url = hook.url.replace(/^http:\/\/[^/]+/, worker.base);
  const again = await deliver(url, envelope('aes-256-gcm', KEY, JSON.stringify({ e: 'ada@example.com', n: 1 })));
  assert.equal(again.status, 200, again.text);
  admin = client(worker.base, worker.adminToken);
  assert.deepEqual((await admin.get(`/v1/communities/${cid}/webhooks/${sub.id}`)).body.encryption, { algorithm: 'aes-256-cbc', fixed_iv: false });
});
