// The edge benchmark: starts `wrangler dev` (HOOKMAP_PREBUILT) on loopback over the worker built
// with the `bench` feature (scripts/bench.sh builds it: the bare batch route, round-trip headers),
// seeds a community with a member and two webhooks (plain with an idempotency key per request,
// and GCM), then runs scripts/bench/edge.sh (wrk) against it. Prints the JSON lines edge.sh prints.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../../tests/e2e/support/worker.mjs';
import { client, envelope, KEY, IV } from '../../tests/e2e/support/api.mjs';

// The request log is off (BENCH_LOG_LEVEL to change it): under wrangler dev each console line
// crosses the inspector to the terminal and costs more than the request (BENCHMARKS.md).
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'off';
const worker = await startWorker({ vars: { LOG_LEVEL: logLevel } });
try {
  const admin = client(worker.base, worker.adminToken);
  const cid = (await admin.post('/v1/communities', { name: 'Bench' })).body.id;
  await admin.post(`/v1/communities/${cid}/users`, { email: 'bench@example.com', username: 'bench' });
  // The edge's own ceiling is measured, not the community's quota (QUOTA_MAX_RATE_LIMIT).
  await admin.patch(`/v1/communities/${cid}/quotas`, { max_rate_limit: 100000, total_rate_limit: 240000 });
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
    const res = await fetch(url, { method: 'POST', body: b, headers: { 'content-type': 'application/json' } });
    await res.arrayBuffer();
    // The production build has neither the header nor the bare route: say so, not "?" in a table.
    if (!res.headers.has('x-storage-round-trips')) {
      throw new Error('this worker was built without the bench feature: HOOKMAP_WORKER_FEATURES=bench sh scripts/build-worker.sh');
    }
  }
  const token = plain.url.split('/').pop();
  // Not spawnSync: this process must keep reading wrangler's output while the load runs, or the
  // worker's log lines fill the pipe and wrangler stalls writing them.
  const child = spawn('sh', [new URL('./edge.sh', import.meta.url).pathname, worker.base, plain.url, gcm.url, body,
    `${worker.base}/bench/batch/${token}`], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const [status] = await once(child, 'exit');
  if (status !== 0) throw new Error(`edge.sh failed:\n${stdout}\n${stderr}`);
  process.stdout.write(stdout);
} finally {
  await worker.stop();
}
