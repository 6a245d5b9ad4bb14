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

// --- tokens and quotas (9, 10) ---
