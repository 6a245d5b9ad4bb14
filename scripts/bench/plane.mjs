// The data plane against the D1 path it replaced (issue 30), in one run on one machine: deliveries
// a second into one community, and spread over 8, for each checkout named on the command line.
//
//   node scripts/bench/plane.mjs objects=. d1=/path/to/a/checkout/of/e26d514
//
// Each checkout is started with its own tests' startWorker (its wrangler configs, migrations and
// built workers: `sh scripts/build-worker.sh` in it first), with wrangler's inspector off (below).
// The checkouts take turns, ROUNDS times each (default 3), so a drift of the machine touches both;
// each round is a fresh state directory with 8 communities, each with one member and one webhook
// whose mapping adds coins with an idempotency key. wrk (2 threads, 16 connections,
// BENCH_SECONDS each, default 10) sends fresh deliveries: one URL, then the 8 at random.
// Prints one JSON line per round and target, then the medians.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// `wrangler dev` streams an event per subrequest (edge -> object, edge -> D1) from its inspector
// proxy to its node process, which costs more CPU than the request: measured here, it halves the
// D1 path's deliveries a second (BENCHMARKS.md). Its multi-config mode, which the edge and the API worker
// need to share one workerd, cannot be started through `unstable_startWorker`, and its CLI has no
// flag for it; the proxy leaves its inspector off when it runs in a VS Code debug terminal, which
// this variable is how it tells. Nothing else reads it here.
process.env.VSCODE_INSPECTOR_OPTIONS ??= '{}';

const checkouts = process.argv.slice(2).map((arg) => {
  const [name, dir] = arg.split('=');
  if (!name || !dir) throw new Error(`usage: plane.mjs NAME=CHECKOUT ...; got ${arg}`);
  return { name, root: resolve(dir) };
});
if (checkouts.length === 0) throw new Error('usage: plane.mjs NAME=CHECKOUT ...');
const rounds = Number(process.env.ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const COMMUNITIES = 8;
const EMAIL = 'bench@example.com';

// Each wrk thread numbers its requests under its own prefix, so every delivery's key is new.
const LUA = (paths) => `
local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
local n = 0
function request()
  n = n + 1
  local body = string.format('{"email":"${EMAIL}","key":"%s-%d","n":1}', id, n)
  return wrk.format("POST", paths[math.random(1, #paths)], {["content-type"] = "application/json"}, body)
end
`;

/** One checkout's worker, seeded: the base URL and the 8 webhooks' paths. */
async function seeded(root) {
  const { startWorker } = await import(pathToFileURL(join(root, 'tests/e2e/support/worker.mjs')));
  const { client } = await import(pathToFileURL(join(root, 'tests/e2e/support/api.mjs')));
  const worker = await startWorker({ vars: { LOG_LEVEL: 'off' } });
  const admin = client(worker.base, worker.adminToken);
  const paths = [];
  for (let i = 0; i < COMMUNITIES; i += 1) {
    const cid = (await admin.post('/v1/communities', { name: `Bench ${i}` })).body.id;
    await must(admin.post(`/v1/communities/${cid}/users`, { email: EMAIL, username: 'bench' }));
    // The edge's rate is measured, not the community's quota. The D1 path has no total rate.
    const quotas = (await admin.get(`/v1/communities/${cid}/quotas`)).body;
    await must(admin.patch(`/v1/communities/${cid}/quotas`,
      'total_rate_limit' in quotas ? { max_rate_limit: 100000, total_rate_limit: 240000 } : { max_rate_limit: 100000 }));
    const hook = await must(admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'bench', rate_limit: 100000,
      mapping: { user: { match: 'email', path: 'email' }, idempotency_path: 'key',
        fields: [{ target: { currency: 'coins' }, op: 'add', path: 'n' }] } }));
    // A first delivery fills the edge's cache of the token, as in steady state.
    const res = await fetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, key: 'warm', n: 1 }) });
    if (res.status !== 200) throw new Error(`warm-up delivery answered ${res.status}: ${await res.text()}`);
    paths.push(new URL(hook.url).pathname);
  }
  return { worker, paths };
}

async function must(call) {
  const res = await call;
  if (res.status >= 300) throw new Error(`seeding answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** wrk against `paths` on `base`: requests/s, p50, p99 (ms) and answers that were not 2xx. */
async function load(base, paths) {
  const dir = mkdtempSync(join(tmpdir(), 'hookmap-plane-'));
  try {
    writeFileSync(join(dir, 'load.lua'), LUA(paths));
    // Not spawnSync: this process keeps reading wrangler's output while the load runs.
    const child = spawn('wrk', ['-t2', '-c16', `-d${seconds}s`, '--latency', '-s', join(dir, 'load.lua'), base],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const [status] = await once(child, 'exit');
    if (status !== 0) throw new Error(`wrk failed:\n${out}`);
    const ms = (label) => {
      const m = out.match(new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)`, 'm'));
      return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
    };
    return {
      rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]),
      p50: ms('50%'),
      p99: ms('99%'),
      non_2xx: Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (let round = 1; round <= rounds; round += 1) {
  for (const { name, root } of checkouts) {
    const { worker, paths } = await seeded(root);
    try {
      for (const [target, targetPaths] of [['one community', paths.slice(0, 1)], ['8 communities', paths]]) {
        const row = { checkout: name, round, target, ...(await load(worker.base, targetPaths)) };
        results.push(row);
        console.log(JSON.stringify(row));
      }
    } finally {
      await worker.stop();
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const { name } of checkouts) {
  for (const target of ['one community', '8 communities']) {
    const rows = results.filter((r) => r.checkout === name && r.target === target);
    console.log(JSON.stringify({ checkout: name, target, median_of: rows.length,
      rps: median(rows.map((r) => r.rps)), p50: median(rows.map((r) => r.p50)), p99: median(rows.map((r) => r.p99)),
      non_2xx: rows.reduce((sum, r) => sum + r.non_2xx, 0) }));
  }
}
