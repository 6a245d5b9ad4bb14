// A small client for the hookmap API, as an external system or an admin would call it.
import { createCipheriv, randomBytes } from 'node:crypto';

export function client(base, token) {
  async function call(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(path.startsWith('http') ? path : `${base}${path}`, init);
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: keep text */ }
    return { status: res.status, body: json, text, headers: res.headers };
  }
  return {
    call,
    get: (p, h) => call('GET', p, undefined, h),
    post: (p, b, h) => call('POST', p, b, h),
    patch: (p, b, h) => call('PATCH', p, b, h),
    del: (p, h) => call('DELETE', p, undefined, h),
  };
}

/** Sends a raw body to a webhook URL (no admin token). */
export async function deliver(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* keep text */ }
  return { status: res.status, body: json, text };
}

/**
 * Delivers until the edge answers otherwise than `refused` (or 7 s pass): after a change that lets
 * more through, an edge isolate that refused with the old record reads D1 again on a failure at
 * most every 5 s per webhook (src/edge/arrive.rs). The edge runs apart from the API, as deployed.
 */
export async function deliverOnceLoosened(refused, url, body, headers = {}) {
  const started = Date.now();
  let res = await deliver(url, body, headers);
  while (res.status === refused && Date.now() - started < 7000) {
    await new Promise((r) => setTimeout(r, 250));
    res = await deliver(url, body, headers);
  }
  return res;
}

// Encryption with Node's crypto: an implementation independent of the worker's RustCrypto.
export function encryptGcm(key, iv, plaintext) {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key), Buffer.from(iv));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return data.toString('base64');
}

export function encryptCbc(key, iv, plaintext) {
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(key), Buffer.from(iv));
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
}

/** The `{iv, data}` envelope with a fresh random IV (12 bytes for GCM, 16 for CBC). */
export function envelope(algorithm, key, plaintext) {
  const iv = randomBytes(algorithm === 'aes-256-gcm' ? 12 : 16);
  const cipher = createCipheriv(algorithm, Buffer.from(key), iv);
  const parts = [cipher.update(plaintext), cipher.final()];
  if (algorithm === 'aes-256-gcm') parts.push(cipher.getAuthTag());
  return JSON.stringify({ iv: iv.toString('base64'), data: Buffer.concat(parts).toString('base64') });
}

/** Creates a community with a member and the contract's example fields; returns ids. */
export async function seedCommunity(admin, name = 'Acme') {
  const community = (await admin.post('/v1/communities', { name })).body;
  const cid = community.id;
  const user = (await admin.post(`/v1/communities/${cid}/users`, { email: 'ada@example.com', username: 'ada' })).body;
  await admin.post(`/v1/communities/${cid}/user-fields`, { key: 'tier', name: 'Tier', type: 'text' });
  await admin.post(`/v1/communities/${cid}/user-fields`, { key: 'orders', name: 'Orders', type: 'number' });
  await admin.post(`/v1/communities/${cid}/user-fields`, { key: 'vip', name: 'VIP', type: 'boolean' });
  return { cid, uid: user.id, user };
}

export const KEY = 'k3y-for-hookmap-e2e-tests-32chr!';
export const IV = 'iv-e2e-16-chars!';

export const contractMapping = {
  user: { match: 'email', path: 'customer.email' },
  idempotency_path: 'order.id',
  fields: [
    { target: { currency: 'coins' }, op: 'add', path: 'reward.coins' },
    { target: { currency: 'xp' }, op: 'subtract', path: 'penalty' },
    { target: { field: 'tier' }, op: 'overwrite', path: 'tier' },
    { target: { field: 'orders' }, op: 'add', path: 'items[0].qty' },
  ],
};

/** Polls `probe` until it returns a truthy value (queues and caches work in the background). */
/** Waits until every community's chores (run in its own database by its object's alarm, every
 * CHORES_EVERY_SECONDS) have run since `since` (an ISO time): what they sweep or queue is done. */
export async function choresRan(admin, since) {
  const ids = (await admin.get('/v1/communities?per_page=50')).body.data.map((c) => c.id);
  for (const cid of ids) {
    await eventually(async () => {
      const quotas = await admin.get(`/v1/communities/${cid}/quotas`);
      return quotas.status === 200 && quotas.body.usage.chores_at > since;
    }, `the chores of ${cid}`);
  }
}

export async function eventually(probe, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
