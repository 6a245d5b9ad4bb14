// The timing loop the wasm benchmarks share (wasm.mjs, decrypt.mjs).
import { performance } from 'node:perf_hooks';

/** Microseconds per iteration of `fn(n)`, after warming up, over at least `ms` of work. */
export function measure(fn, ms = 400) {
  fn(3);
  let n = 1;
  for (;;) {
    const start = performance.now();
    fn(n);
    const took = performance.now() - start;
    if (took >= ms) return (took * 1000) / n;
    n = Math.max(n * 2, Math.ceil((n * ms) / Math.max(took, 0.001)));
  }
}
