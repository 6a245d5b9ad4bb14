// The engine benchmark, paired: parse alone and parse + plan, natively and in wasm under Node, and
// the page's keystroke in the sample (the wasm `Engine`, mapping fixed: setPayload + preview, from
// JS), on the same workloads (crates/hookmap-core/benches/workloads.rs). On a shared VM the
// machine's speed drifts from one second to the next by more than the differences the goals are
// about, so the five variants of a workload run back to back in each round (in a rotating order)
// and the ratios are taken within a round; the report gives their medians and quartiles over the
// rounds. The native side is the `paired` bench target, driven over its stdin. Also measures what
// a wasm-bindgen call costs. Prints JSON.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { calibrate, measure, spread } from './measure.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 25);
const ms = 100; // the work each timing covers, at least
const require = createRequire(import.meta.url);
const wasm = require(process.argv[2]);
const workloads = JSON.parse(wasm.benchWorkloads());

const server = spawn('cargo', ['bench', '-q', '-p', 'hookmap-core', '--bench', 'paired', '--', '--serve'],
  { stdio: ['pipe', 'pipe', 'inherit'] });
const answers = createInterface({ input: server.stdout })[Symbol.asyncIterator]();
const native = (mode) => (index) => async (n) => {
  server.stdin.write(`${index} ${mode} ${n}\n`);
  const { value, done } = await answers.next();
  if (done) throw new Error('the native bench (cargo bench --bench paired) exited early');
  return Number(value);
};
const inWasm = (mode) => (index) => async (n) => {
  const start = performance.now();
  wasm.benchEngine(index, n, mode === 'parse');
  return (performance.now() - start) * 1000;
};
// What the page pays when the admin types in the sample: one Engine, its fields and mapping set
// once, then for each payload setPayload + preview (the result as the page gets it, a JS object).
const keystroke = () => (index) => {
  const w = workloads[index];
  const engine = new wasm.Engine(w.fields);
  engine.setMapping(w.mapping);
  return async (n) => {
    const start = performance.now();
    for (let k = 0; k < n; k += 1) {
      for (const p of w.payloads) {
        engine.setPayload(p);
        engine.preview();
      }
    }
    return (performance.now() - start) * 1000;
  };
};
const variants = {
  native_parse: native('parse'), native_plan: native('plan'), wasm_parse: inWasm('parse'), wasm_plan: inWasm('plan'),
  keystroke: keystroke(),
};

const out = [];
for (const [index, w] of workloads.entries()) {
  const runs = Object.entries(variants).map(([name, v]) => ({ name, run: v(index) }));
  for (const r of runs) r.n = await calibrate(r.run, ms);
  const samples = [];
  for (let round = 0; round < rounds; round += 1) {
    const us = {};
    for (let k = 0; k < runs.length; k += 1) {
      const r = runs[(k + round) % runs.length];
      us[r.name] = (await r.run(r.n)) / r.n;
    }
    samples.push(us);
  }
  const over = (f) => spread(samples.map(f));
  const boundary = measure((n) => {
    for (let k = 0; k < n; k += 1) for (const p of w.payloads) wasm.benchBoundary(p);
  }) / w.payloads.length;
  out.push({
    name: w.name,
    rounds,
    ...Object.fromEntries(Object.keys(variants).map((v) => [v, over((s) => s[v])])),
    plan_over_parse: over((s) => s.native_plan / s.native_parse),
    wasm_over_native: over((s) => s.wasm_plan / s.native_plan),
    wasm_over_native_parse: over((s) => s.wasm_parse / s.native_parse),
    // The keystroke per payload against the engine's parse + plan in wasm, within each round.
    keystroke_over_engine: over((s) => s.keystroke / s.wasm_plan),
    boundary_us_per_call: boundary,
    keystroke_us_per_call: over((s) => s.keystroke / w.payloads.length),
    samples,
  });
}
server.stdin.end();
console.log(JSON.stringify(out));
