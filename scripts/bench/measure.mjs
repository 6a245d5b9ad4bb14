// The timing loops the wasm benchmarks share (engine.mjs, decrypt.mjs).
import { performance } from 'node:perf_hooks';

// The next iteration count to try after `n` took `took` ms, aiming at `ms`.
const next = (n, took, ms) => Math.max(n * 2, Math.ceil((n * ms) / Math.max(took, 0.001)));

/** Microseconds per iteration of `fn(n)`, after warming up, over at least `ms` of work. */
export function measure(fn, ms = 400) {
  fn(3);
  let n = 1;
  for (;;) {
    const start = performance.now();
    fn(n);
    const took = performance.now() - start;
    if (took >= ms) return (took * 1000) / n;
    n = next(n, took, ms);
  }
}

/** The iteration count at which `run(n)` (which resolves to the microseconds it took) lasts `ms`. */
export async function calibrate(run, ms) {
  await run(3);
  let n = 1;
  for (;;) {
    const took = (await run(n)) / 1000;
    if (took >= ms) return n;
    n = next(n, took, ms);
  }
}

/** Median and quartiles of `xs`. */
export function spread(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => {
    const i = (s.length - 1) * q;
    return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
  };
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}
