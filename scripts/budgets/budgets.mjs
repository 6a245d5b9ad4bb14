// The size budgets, in one place: `make test` fails when a build passes one (scripts/budgets/check.mjs),
// and `make bench` reports against the same figures (scripts/bench/report.mjs). Sizes are gzip -9.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

export const KB = 1024;

const root = new URL('../..', import.meta.url).pathname;
const gzip = (path) => gzipSync(readFileSync(path), { level: 9 }).length;

/** A file of www/ as the budgets see it: its path from the root, its size and gzipped size. */
const weighed = (f) => ({ file: relative(root, f), raw: statSync(f).size, gzip: gzip(f) });

/** The modules a JS file imports statically (`import … from '…'`, `import '…'`, `export … from
 * '…'`) and the ones it imports when asked (`import('…')`), resolved against it. */
function imports(file) {
  const text = readFileSync(file, 'utf8');
  const at = (spec) => join(dirname(file), spec);
  const eager = [...text.matchAll(/^(?:import\s+(?:[\w*{}\s,$]+\s+from\s+)?|export\s+(?:\*|\{[^}]*\})\s+from\s+)['"]([^'"]+)['"]/gm)]
    .map((m) => at(m[1]));
  const lazy = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => at(m[1]));
  return { eager, lazy };
}

/** `entries` and every module they import statically, transitively. */
function closure(entries) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (file.endsWith('.js')) imports(file).eager.forEach(visit);
  };
  entries.forEach(visit);
  return seen;
}

/** What index.html loads before anyone clicks: itself, its stylesheets and module scripts, and
 * the modules those import statically (the engine's glue among them; its wasm has its own budget). */
function firstLoadSet() {
  const html = join(root, 'www/index.html');
  const text = readFileSync(html, 'utf8');
  const refs = [...text.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\brel="stylesheet"[^>]*\bhref)="([^"]+)"/g)]
    .map((m) => join(root, 'www', m[1]));
  return closure([html, ...refs]);
}

/** The console's first load: sign-in and the webhooks list, each file as it is served. */
export function firstLoad() {
  return [...firstLoadSet()].map(weighed);
}

/** Each module some module imports when asked (a view, the mapping editor), with what it brings
 * that the first load has not loaded: `{module, files, gzip}`. */
export function lazyModules() {
  const first = firstLoadSet();
  const found = new Set();
  const queue = [...first];
  while (queue.length) {
    const file = queue.shift();
    if (!file.endsWith('.js')) continue;
    for (const m of imports(file).lazy) {
      if (found.has(m)) continue;
      found.add(m);
      queue.push(...closure([m]));
    }
  }
  return [...found].map((m) => {
    const files = [...closure([m])].filter((f) => !first.has(f)).map(weighed);
    return { module: relative(root, m), files, gzip: files.reduce((n, f) => n + f.gzip, 0) };
  });
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
    name: 'console first load',
    // Sign-in and the webhooks list: what every visit pays before the admin does anything. Every
    // other view loads when opened (lazyModules, reported beside it).
    what: 'www/index.html and what it loads eagerly (JS, CSS, HTML)',
    budget: 60 * KB,
    size: () => firstLoad().reduce((n, f) => n + f.gzip, 0),
  },
];

export const budgetOf = (name) => budgets.find((b) => b.name === name).budget;
