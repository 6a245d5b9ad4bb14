// The size budgets, in one place: `make test` fails when a build passes one (scripts/budgets/check.mjs),
// and `make bench` reports against the same figures (scripts/bench/report.mjs). Sizes are gzip -9.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

export const KB = 1024;

const root = new URL('../..', import.meta.url).pathname;
const gzip = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const files = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? files(path) : [path];
});

/** The console's own JS, CSS and HTML, each file as it is served (www/pkg's glue included). */
export function consoleFiles() {
  return files(join(root, 'www')).filter((f) => /\.(js|css|html)$/.test(f))
    .map((f) => ({ file: relative(root, f), raw: statSync(f).size, gzip: gzip(f) }));
}

export const budgets = [
  {
    name: 'edge worker',
    // Every sender's request may load it: its size is its cold start.
    what: 'crates/hookmap-worker/build/edge/index_bg.wasm',
    budget: 250 * KB,
    size: () => gzip(join(root, 'crates/hookmap-worker/build/edge/index_bg.wasm')),
  },
  {
    name: 'page engine',
    // The console loads it on every first visit. With the expressions it came to 150 KB, and
    // back under 120 KB (BENCHMARKS.md).
    what: 'www/pkg/hookmap_wasm_bg.wasm',
    budget: 120 * KB,
    size: () => gzip(join(root, 'www/pkg/hookmap_wasm_bg.wasm')),
  },
  {
    name: 'console JS, CSS and HTML',
    what: 'www/**/*.{js,css,html}',
    budget: 60 * KB,
    size: () => consoleFiles().reduce((n, f) => n + f.gzip, 0),
  },
];

export const budgetOf = (name) => budgets.find((b) => b.name === name).budget;
