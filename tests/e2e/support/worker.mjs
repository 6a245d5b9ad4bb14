// Starts a real `wrangler dev` (workerd with local D1 and KV) on a free loopback port with a
// throw-away state directory and the migrations applied. The worker must be built already
// (`make build`); HOOKMAP_PREBUILT=1 keeps wrangler from rebuilding it.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const env = {
  ...process.env,
  HOOKMAP_PREBUILT: '1',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_LOG_PATH: join(root, '.wrangler', 'logs'),
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function migrate(state, config = []) {
  const run = spawnSync(process.execPath, [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state, ...config],
    { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`migrations failed:\n${run.stdout}\n${run.stderr}`);
}

/**
 * A database as an older release left it: a state directory with the migrations up to `last` (a
 * file name in migrations/) applied, and `execute(sql)` to fill it. `startWorker({ state })` then
 * applies the newer migrations to it, as a deploy would.
 */
export function olderDatabase(last) {
  const state = mkdtempSync(join(tmpdir(), 'hookmap-e2e-'));
  const dir = mkdtempSync(join(tmpdir(), 'hookmap-migrations-'));
  mkdirSync(join(dir, 'migrations'));
  for (const name of readdirSync(join(root, 'migrations')).filter((n) => n <= last)) {
    copyFileSync(join(root, 'migrations', name), join(dir, 'migrations', name));
  }
  // The same D1 database (same id, so the same local file) with only the older migrations.
  const d1 = readFileSync(join(root, 'wrangler.toml'), 'utf8').match(/\[\[d1_databases\]\][^[]*/)[0];
  writeFileSync(join(dir, 'wrangler.toml'), `name = "hookmap-older"\ncompatibility_date = "2025-09-01"\n${d1}`);
  const config = ['--config', join(dir, 'wrangler.toml')];
  migrate(state, config);
  const execute = (sql) => {
    const run = spawnSync(process.execPath, [wrangler, 'd1', 'execute', 'DB', '--local', '--persist-to', state, ...config,
      '--json', '--command', sql], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`d1 execute failed:\n${run.stdout}\n${run.stderr}`);
    return JSON.parse(run.stdout);
  };
  return { state, execute, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function waitReady(base, child, log, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log.join('')}`);
    try {
      const res = await fetch(`${base}/v1/ready-probe`);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${log.join('')}`);
}

/** A running worker: `base` URL, `adminToken`, `restart()` (same state) and `stop()`. */
/** `logLevel`: wrangler's; at 'log' the worker's own console lines (the request log) are shown. */
/** `state`: an existing state directory (`olderDatabase`) instead of a new, empty one. */
export async function startWorker({ vars = {}, logLevel = 'warn', state = mkdtempSync(join(tmpdir(), 'hookmap-e2e-')) } = {}) {
  migrate(state);
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  // Kept across restarts: the sealed secrets in this state open only under it.
  const secretsKey = randomBytes(32).toString('base64');
  const worker = { state, adminToken, child: null, base: null, log: [] };
  const settings = {
    ADMIN_TOKEN: adminToken,
    SECRETS_KEY: secretsKey,
    // Outgoing webhooks go to receivers on loopback, and retries come within seconds.
    ALLOW_HTTP_LOOPBACK: 'true',
    OUTBOX_RETRY_SCHEDULE: '0,1,1,1',
    ...vars,
  };
  // The management API's worker (wrangler.api.toml) runs in the same wrangler dev, behind the
  // edge's API service binding. `--var` reaches only the first config, and a config's .dev.vars
  // is read from its own directory: so the API worker's config is copied, with `main` made
  // absolute and no [build] (it is built already), into a directory of its own, outside `state`
  // (whose bytes tests search for secrets), with the same settings in its .dev.vars.
  const apiDir = mkdtempSync(join(tmpdir(), 'hookmap-api-'));
  const apiConfig = join(apiDir, 'wrangler.api.toml');
  writeFileSync(apiConfig, readFileSync(join(root, 'wrangler.api.toml'), 'utf8')
    .replace(/^main = "/m, `main = "${root}/`)
    .replace(/^\[build\]\n(?:[^[\n].*\n|\n)*/m, ''));
  writeFileSync(join(apiDir, '.dev.vars'), Object.entries(settings).map(([k, v]) => `${k}=${JSON.stringify(String(v))}\n`).join(''));

  // A port free when asked can be taken before wrangler binds it (the OS may hand the same one
  // out twice, or a workerd still shutting down may hold it): a start that finds its address in
  // use is tried again on new ports.
  worker.start = async () => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await startOnce();
      } catch (e) {
        if (attempt >= 3 || !/Address already in use/.test(e.message)) throw e;
      }
    }
  };

  const startOnce = async () => {
    const port = await freePort();
    let inspector = await freePort();
    while (inspector === port) inspector = await freePort();
    worker.log = [];
    // Its own process group, so stop() can end wrangler and the workerd it spawns together.
    const child = spawn(process.execPath, [wrangler, 'dev', '--config', join(root, 'wrangler.toml'), '--config', apiConfig,
      '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', state,
      ...Object.entries(settings).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      '--show-interactive-dev-session=false', '--log-level', logLevel],
    { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => worker.log.push(d.toString()));
    child.stderr.on('data', (d) => worker.log.push(d.toString()));
    worker.child = child;
    worker.base = `http://127.0.0.1:${port}`;
    try {
      await waitReady(worker.base, child, worker.log);
    } catch (e) {
      // A worker that never answered must not outlive the test: its pipes would keep the test
      // process waiting until the runner's timeout.
      await worker.halt('SIGKILL');
      throw e;
    }
  };

  /** Ends wrangler and workerd; `signal` SIGKILL simulates a crash. */
  worker.halt = async (signal = 'SIGTERM') => {
    const child = worker.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid, signal); } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    await exited;
    clearTimeout(timer);
  };

  worker.restart = async (signal) => {
    await worker.halt(signal);
    await worker.start();
  };

  worker.stop = async () => {
    await worker.halt();
    rmSync(state, { recursive: true, force: true });
    rmSync(apiDir, { recursive: true, force: true });
  };

  await worker.start();
  return worker;
}

/**
 * The worker's own JSON lines that `worker` (started with logLevel 'log') printed so far, parsed;
 * wrangler prints each as it comes, warnings in colour.
 */
export function workerLines(worker) {
  // eslint-disable-next-line no-control-regex
  return worker.log.join('').replace(/\x1b\[[0-9;]*m/g, '').split('\n')
    .map((l) => l.slice(l.indexOf('{')))
    .filter((l) => l.startsWith('{"'))
    .map((l) => { try { return JSON.parse(l); } catch { return null; } })
    .filter(Boolean);
}

/** Every byte wrangler dev persisted under `dir` (D1's SQLite files and KV's blobs), as one buffer. */
export function persisted(dir) {
  const parts = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) parts.push(persisted(path));
    else parts.push(readFileSync(path));
  }
  return Buffer.concat(parts);
}

/** Runs SQL on a halted worker's local D1 (its state directory) with wrangler's own CLI: the
 * results of the last statement. */
/** Runs `command` (SQL statements) in the communities' own databases, as `d1` does in the
 * directory: in every community's object, or only in community `cid`'s. Like `d1`, only while the
 * worker is halted: workerd must not have the files open. Each object is a SQLite file under the
 * state directory; Python's sqlite3 writes it (the objects are found by the community their
 * built-in currencies name, since an object's file is named by a hash of its id). */
export function objects(state, command, cid = null) {
  const script = `
import glob, sqlite3, sys
state, cid, command = sys.argv[1], sys.argv[2], sys.argv[3]
found = 0
for path in sorted(glob.glob(state + "/v3/do/*-Community/*.sqlite")):
    if path.endswith("/metadata.sqlite"):
        continue
    con = sqlite3.connect(path)
    try:
        if cid and not con.execute("SELECT 1 FROM currencies WHERE community_id = ? LIMIT 1", (cid,)).fetchone():
            continue
        con.executescript(command)
        con.commit()
        found += 1
    finally:
        con.close()
print(found)
`;
  const run = spawnSync('python3', ['-c', script, state, cid ?? '', command], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`objects: the SQL failed:\n${run.stdout}\n${run.stderr}`);
  const found = Number(run.stdout.trim());
  if (cid && found !== 1) throw new Error(`objects: community ${cid} has ${found} databases, not 1`);
  return found;
}

/** Reads `query` in every community's database of a halted worker (as `objects` writes them):
 * the rows of each, one list per database. */
export function objectRows(state, query) {
  const script = `
import glob, json, sqlite3, sys
out = []
for path in sorted(glob.glob(sys.argv[1] + "/v3/do/*-Community/*.sqlite")):
    if path.endswith("/metadata.sqlite"):
        continue
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        out.append([dict(r) for r in con.execute(sys.argv[2]).fetchall()])
    finally:
        con.close()
print(json.dumps(out))
`;
  const run = spawnSync('python3', ['-c', script, state, query], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`objectRows: the query failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Moves community `cid`'s data from the directory into its own database, a call at a time
 * (README, "Moving an existing deployment"): the last call's report. */
export async function moveCommunity(admin, cid, { calls = 100 } = {}) {
  for (let i = 0; i < calls; i++) {
    const step = await admin.post(`/v1/communities/${cid}/move`);
    if (step.status !== 200) throw new Error(`move of ${cid}: ${step.status} ${step.text}`);
    if (step.body.state === 'mismatched') return step.body;
    if (step.body.state === 'live' && step.body.left_in_directory === 0) return step.body;
  }
  throw new Error(`move of ${cid}: not done after ${calls} calls`);
}

export function d1(state, command) {
  const run = spawnSync(process.execPath,
    [wrangler, 'd1', 'execute', 'DB', '--local', '--persist-to', state, '--json', '--command', command],
    { cwd: root, encoding: 'utf8', timeout: 120_000, env });
  if (run.status !== 0) throw new Error(`d1 execute failed:\n${run.stdout}\n${run.stderr}`);
  const results = JSON.parse(run.stdout);
  return results[results.length - 1].results;
}
