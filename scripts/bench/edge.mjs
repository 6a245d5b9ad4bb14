// The edge benchmark: starts `wrangler dev` (HOOKMAP_PREBUILT, BENCH_ROUTES on) on loopback,
// seeds a community with a member and two webhooks (plain with an idempotency key per request,
// and GCM), then runs scripts/bench/edge.sh (wrk) against it. Prints the JSON lines edge.sh prints.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../../tests/e2e/support/worker.mjs';
import { client, envelope, KEY, IV } from '../../tests/e2e/support/api.mjs';

const worker = await startWorker({ vars: { BENCH_ROUTES: 'true' } });
try {
  const admin = client(worker.base, worker.adminToken);
  const cid = (await admin.post('/v1/communities', { name: 'Bench' })).body.id;
  await admin.post(`/v1/communities/${cid}/users`, { email: 'bench@example.com', username: 'bench' });
  const coins = [{ target: { currency: 'coins' }, op: 'add', path: 'n' }];
  const plain = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'plain', rate_limit: 100000,
    mapping: { user: { match: 'email', path: 'email' }, idempotency_path: 'key', fields: coins } })).body;
  const gcm = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'gcm', rate_limit: 100000,
    encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV },
    mapping: { user: { match: 'email', path: 'email' }, fields: coins } })).body;
  const dir = mkdtempSync(join(tmpdir(), 'hookmap-bench-'));
  const body = join(dir, 'gcm.json');
  writeFileSync(body, envelope('aes-256-gcm', KEY, JSON.stringify({ email: 'bench@example.com', n: 1 })));
  // A first delivery of each fills the KV cache, as in steady state.
  for (const [url, b] of [[plain.url, JSON.stringify({ email: 'bench@example.com', key: 'warm', n: 1 })]]) {
    await fetch(url, { method: 'POST', body: b, headers: { 'content-type': 'application/json' } });
  }
  const token = plain.url.split('/').pop();
  const run = spawnSync('sh', [new URL('./edge.sh', import.meta.url).pathname, worker.base, plain.url, gcm.url, body,
    `${worker.base}/bench/batch/${token}`], { encoding: 'utf8', env: process.env });
  if (run.status !== 0) throw new Error(`edge.sh failed:\n${run.stdout}\n${run.stderr}`);
  process.stdout.write(run.stdout);
} finally {
  await worker.stop();
}
