// Fails when a build passes its size budget (scripts/budgets/budgets.mjs), printing each size and
// its budget. Run by `make test` after `make build`: the edge it weighs must be the production one.
import { readFileSync } from 'node:fs';
import { KB, budgets, lazyModules } from './budgets.mjs';

const features = readFileSync(new URL('../../crates/hookmap-worker/build/edge/.features', import.meta.url), 'utf8');
if (features !== 'edge') {
  console.error(`budgets: the edge in build/ was built with the features "${features}", not the production "edge": run sh scripts/build-worker.sh edge`);
  process.exit(1);
}
let over = 0;
for (const b of budgets) {
  const size = b.size();
  const fits = size <= b.budget;
  over += fits ? 0 : 1;
  console.log(`budgets: ${b.name} (${b.what}) ${(size / KB).toFixed(1)} KB gzipped, budget ${(b.budget / KB).toFixed(0)} KB: ${fits ? 'within' : 'OVER'}`);
}
// The views loaded when opened are not budgeted one by one: each is reported, to be watched.
for (const m of lazyModules()) {
  console.log(`budgets: loaded when opened: ${m.module} ${(m.gzip / KB).toFixed(1)} KB gzipped (${m.files.map((f) => f.file.replace(/^www\//, '')).join(', ')})`);
}
if (over) {
  console.error(`budgets: ${over} over budget`);
  process.exit(1);
}
