// The console's budgets: the bytes of its first load's JS, CSS and HTML (gzipped, each file as it is
// served) and of each view loaded when opened, and,
// in headless Chromium against a real `wrangler dev`, the time from a page load to the first preview
// (the `first-preview` mark) and the shadow replay of a webhook's latest 50 deliveries (the
// `shadow-replay` measure: the list with payloads fetched, judged by the wasm engine and drawn).
// BENCH_CONSOLE_LOADS (10) page loads; medians. Prints one JSON object for report.mjs.
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { startWorker } from '../../tests/e2e/support/worker.mjs';
import { client, deliver, seedCommunity } from '../../tests/e2e/support/api.mjs';
import { launch, openPage } from '../../tests/e2e/support/browser.mjs';
import { firstLoad, lazyModules } from '../budgets/budgets.mjs';

const loads = Number(process.env.BENCH_CONSOLE_LOADS ?? 10);
const wasm = new URL('../../www/pkg/hookmap_wasm_bg.wasm', import.meta.url).pathname;
const sizes = {
  js_css_html: firstLoad(),
  lazy: lazyModules().map(({ module, gzip }) => ({ module, gzip })),
  wasm: { raw: statSync(wasm).size, gzip: gzipSync(readFileSync(wasm), { level: 9 }).length },
};
sizes.total_gzip = sizes.js_css_html.reduce((n, f) => n + f.gzip, 0);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const worker = await startWorker();
const browser = await launch();
try {
  const admin = client(worker.base, worker.adminToken);
  const { cid } = await seedCommunity(admin, 'Bench guild');
  const key = (await admin.post(`/v1/communities/${cid}/api-keys`, { name: 'bench' })).body.key;
  const mapping = { user: { match: 'email', path: 'customer.email' }, idempotency_path: 'order.id',
    fields: [{ target: { currency: 'coins' }, op: 'add', path: 'reward.coins' }, { target: { field: 'tier' }, op: 'overwrite', path: 'tier' }] };
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Shop', mapping })).body;
  // 50 deliveries of an order (about 1 KB), one in five missing its coins: the page judges them all.
  for (let i = 0; i < 50; i += 1) {
    const order = { customer: { email: 'ada@example.com' }, order: { id: `o-${i}`, lines: Array.from({ length: 8 }, (_, k) => ({ sku: `SKU-${k}`, qty: k + 1, price: 9.5 })) },
      reward: i % 5 ? { coins: i } : {}, tier: 'gold' };
    await deliver(hook.url, JSON.stringify(order));
  }
  const runs = [];
  for (let i = 0; i < loads; i += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((s) => sessionStorage.setItem('hookmap.session', s), JSON.stringify({ token: key, cid, name: 'Bench guild', admin: false }));
    const { page, errors } = await openPage(context, `${worker.base}/#/webhooks/${hook.id}/mapping`);
    await page.waitForFunction(() => performance.getEntriesByName('first-preview').length > 0);
    await page.click('#shadow-run');
    await page.waitForFunction(() => performance.getEntriesByName('shadow-replay').length > 0);
    const marks = await page.evaluate(() => ({
      first_preview_ms: performance.getEntriesByName('first-preview')[0].startTime,
      shadow_replay_ms: performance.getEntriesByName('shadow-replay')[0].duration,
      judged: document.querySelectorAll('#shadow-list tbody tr').length,
    }));
    if (errors.length) throw new Error(`the console logged errors: ${errors.join('; ')}`);
    if (marks.judged !== 50) throw new Error(`the shadow replay showed ${marks.judged} deliveries, not 50`);
    runs.push(marks);
    await context.close();
  }
  console.log(JSON.stringify({
    loads,
    sizes,
    first_preview_ms: median(runs.map((r) => r.first_preview_ms)),
    shadow_replay_ms: median(runs.map((r) => r.shadow_replay_ms)),
    runs,
  }));
} finally {
  await browser.close();
  await worker.stop();
}
