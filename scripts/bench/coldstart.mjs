// Cold start of a worker (the edge's, unless BUILD_DIR names another): how long workerd takes from process start to its first answer with
// hookmap's module (the wasm compiled and instantiated by the wasm-bindgen glue, then one request
// that touches no storage), against the same for a worker of a few lines. The difference is what
// hookmap's module costs a cold isolate.
//
// Why workerd and not WebAssembly.compile under Node: the module uses the exception-handling
// proposal's newer encoding (try_table, from wasm-bindgen's catch wrappers), which Node 20's V8
// rejects ("Invalid opcode 0x1f"); workerd is the runtime that loads it in production.
//
// Each run spawns `workerd serve` on a free port and sends the request as soon as workerd reports
// on its control descriptor that it listens: no polling adds to the time. Runs of the two workers
// alternate, so drift on a shared machine hits both alike.
//
// Usage: node scripts/bench/coldstart.mjs [BUILD_DIR] [RUNS]; prints one JSON object.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const build = resolve(process.argv[2] ?? join(root, 'crates', 'hookmap-worker', 'build', 'edge'));
const runs = Number(process.argv[3] ?? process.env.COLDSTART_RUNS ?? 21);
const workerd = join(root, 'node_modules', '.bin', 'workerd');
const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, 'wrangler.toml'), 'utf8'))[1];

const dir = mkdtempSync(join(tmpdir(), 'hookmap-coldstart-'));
const baseline = join(dir, 'baseline.mjs');
writeFileSync(baseline, 'export default { fetch() { return new Response(null, { status: 405 }); } };\n');

// workerd reads an absolute `embed` path as one on its import path: name files relative to the config.
const embed = (file) => relative(dir, file);

/** A workerd config serving one worker on the socket `http`. */
function config(name, modules) {
  const path = join(dir, `${name}.capnp`);
  writeFileSync(path, `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = (
    modules = [${modules.join(', ')}],
    compatibilityDate = "${compatibilityDate}",
    bindings = [(name = "LOG_LEVEL", text = "off")],
  ))],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
`);
  return path;
}
const workers = {
  hookmap: config('hookmap', [
    `(name = "index.js", esModule = embed "${embed(join(build, 'index.js'))}")`,
    `(name = "index_bg.wasm", wasm = embed "${embed(join(build, 'index_bg.wasm'))}")`,
  ]),
  baseline: config('baseline', [`(name = "baseline.mjs", esModule = embed "${embed(baseline)}")`]),
};

/** Milliseconds from spawning workerd to the head of the first answer (GET /hooks/x: the edge's
 * 405, the API worker's 404; neither touches storage). */
async function once(configPath) {
  const started = process.hrtime.bigint();
  const child = spawn(workerd, ['serve', configPath, '--control-fd=3'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    const status = await new Promise((resolveStatus, reject) => {
      child.once('exit', (code) => reject(new Error(`workerd exited (${code}): ${stderr}`)));
      setTimeout(() => reject(new Error(`no answer from workerd within 30 s: ${stderr}`)), 30_000).unref();
      // workerd reports each socket's port on the control descriptor once it listens.
      let control = '';
      child.stdio[3].on('data', (d) => {
        control += d;
        const line = control.split('\n').find((l) => l.includes('"listen"'));
        if (!line || control === null) return;
        control = null;
        const socket = connect(JSON.parse(line).port, '127.0.0.1', () => {
          socket.write('GET /hooks/x HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
        });
        // The answer's head is enough (workerd keeps the connection a while after it).
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk;
          if (answer.includes('\r\n\r\n')) {
            socket.destroy();
            resolveStatus(Number(answer.split(' ')[1]));
          }
        });
        socket.on('error', reject);
      });
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // The edge answers 405 (the route takes POST only), the API worker 404 (no such route).
    if (![404, 405].includes(status)) throw new Error(`expected 404 or 405 from GET /hooks/x, got ${status}: ${stderr}`);
    return ms;
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = { hookmap: [], baseline: [] };
try {
  // One of each first, unmeasured: the file cache and workerd's own start settle.
  await once(workers.baseline);
  await once(workers.hookmap);
  for (let i = 0; i < runs; i++) {
    times.baseline.push(await once(workers.baseline));
    times.hookmap.push(await once(workers.hookmap));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const differences = times.hookmap.map((t, i) => t - times.baseline[i]);
const round = (x) => Math.round(x * 10) / 10;
console.log(JSON.stringify({
  runs,
  workerd: (await new Promise((r) => {
    const v = spawn(workerd, ['--version']);
    let out = '';
    v.stdout.on('data', (d) => { out += d; });
    v.on('exit', () => r(out.trim()));
  })),
  wasm_bytes: statSync(join(build, 'index_bg.wasm')).size,
  hookmap_ms: round(median(times.hookmap)),
  baseline_ms: round(median(times.baseline)),
  // Median of the paired differences: each hookmap run against the baseline run just before it.
  module_ms: round(median(differences)),
  module_ms_q1: round([...differences].sort((a, b) => a - b)[Math.floor(runs / 4)]),
  module_ms_q3: round([...differences].sort((a, b) => a - b)[Math.floor((3 * runs) / 4)]),
}));
