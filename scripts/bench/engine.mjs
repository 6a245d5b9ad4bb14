// The engine benchmark, paired: parse alone and parse + plan, natively and in wasm under Node, and
// the page's two keystrokes (the wasm `Engine` from JS: in the sample, setPayload + preview; in the
// mapping, setMapping + preview; each preview, which answers what changed, merged as the page merges
// it) against the engine doing the same work inside wasm, on the same workloads
// (crates/hookmap-core/benches/workloads.rs). Each keystroke changes one value: the texts alternate
// between two that differ in one mapped value, or in one mapping row (benchWorkloads' `keystrokes`). On a shared VM the
// machine's speed drifts from one second to the next by more than the differences the goals are
// about, so the variants of a workload run back to back in each round (in a rotating order)
// and the ratios are taken within a round; the report gives their medians and quartiles over the
// rounds. The native side is the `paired` bench target, driven over its stdin. Also measures what
// a wasm-bindgen call costs. Prints JSON.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { PreviewState } from '../../www/js/preview_state.js';
import { utf8Bytes } from '../../www/js/utf8.js';
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
// What the page pays per keystroke, the result as the page gets it (the whole preview, a JS object):
// one Engine, its fields set once, its answers merged into a PreviewState as the editor does. One
// iteration types every keystroke once: in the sample each payload and its variant in turn (the
// mapping set once), in the mapping the mapping and its variant in turn (the first payload set once).
const facade = (inMapping) => (index) => {
  const w = workloads[index];
  const engine = new wasm.Engine(w.fields);
  const state = new PreviewState();
  engine.setMapping(w.mapping);
  engine.setPayload(utf8Bytes(w.payloads[0]));
  state.merge(engine.preview());
  const texts = inMapping ? w.keystrokes.mappings : w.keystrokes.payloads.flat();
  return async (n) => {
    let rows = 0;
    const start = performance.now();
    for (let k = 0; k < n; k += 1) {
      for (const text of texts) {
        if (inMapping) engine.setMapping(text);
        else engine.setPayload(utf8Bytes(text));
        rows += state.merge(engine.preview()).effects.length;
      }
    }
    const us = (performance.now() - start) * 1000;
    if (rows !== n * texts.length * state.result.effects.length) throw new Error('a preview lost rows');
    return us;
  };
};
// The same work inside wasm, nothing crossing: the engine's own cost per keystroke.
const engine = (inMapping) => (index) => async (n) => {
  const start = performance.now();
  wasm.benchPreview(index, n, inMapping);
  return (performance.now() - start) * 1000;
};
const variants = {
  native_parse: native('parse'), native_plan: native('plan'), wasm_parse: inWasm('parse'), wasm_plan: inWasm('plan'),
  keystroke: facade(false), engine_sample: engine(false), mapping_keystroke: facade(true), engine_mapping: engine(true),
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
    // Each keystroke against the engine doing the same work inside wasm, within each round: what
    // the facade (crossing, conversion, the result as a JS object) adds.
    keystroke_over_engine: over((s) => s.keystroke / s.engine_sample),
    mapping_keystroke_over_engine: over((s) => s.mapping_keystroke / s.engine_mapping),
    boundary_us_per_call: boundary,
    // Per keystroke: an iteration types 2 per payload in the sample, 2 in the mapping.
    keystroke_us_per_call: over((s) => s.keystroke / w.keystrokes.payloads.flat().length),
    engine_sample_us_per_call: over((s) => s.engine_sample / w.keystrokes.payloads.flat().length),
    mapping_keystroke_us_per_call: over((s) => s.mapping_keystroke / w.keystrokes.mappings.length),
    engine_mapping_us_per_call: over((s) => s.engine_mapping / w.keystrokes.mappings.length),
    samples,
  });
}
server.stdin.end();
console.log(JSON.stringify(out));
