// The engine benchmark in wasm under Node: the same workloads as the native criterion bench,
// looped inside wasm (no boundary crossings), and the facade's `plan` called once per payload from
// JS to measure what a wasm-bindgen call costs on top. Prints JSON.
import { createRequire } from 'node:module';
import { measure } from './measure.mjs';

const require = createRequire(import.meta.url);
const wasm = require(process.argv[2]);
const workloads = JSON.parse(wasm.benchWorkloads());

const out = [];
for (const [i, w] of workloads.entries()) {
  const parse = measure((n) => wasm.benchEngine(i, n, true));
  const plan = measure((n) => wasm.benchEngine(i, n, false));
  const viaFacade = measure((n) => {
    for (let k = 0; k < n; k += 1) for (const p of w.payloads) wasm.plan(w.mapping, p, w.fields);
  });
  out.push({
    name: w.name, parse_us: parse, plan_us: plan, facade_us: viaFacade,
    boundary_us_per_call: (viaFacade - plan) / w.payloads.length,
  });
}
console.log(JSON.stringify(out));
