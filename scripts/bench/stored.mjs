// Stored size: how many bytes of D1 one delivery takes, measured on a real `wrangler dev`'s local
// D1 (SQLite). It sends BENCH_STORED_DELIVERIES (2,000) successful deliveries of a 1 KB order
// payload (an order, in the shape of the seeds' shop webhooks, about 1 KB), to a webhook with a mapping and an
// idempotency key, and compares the database's used pages before and after (the worker halted,
// so its write-ahead log is checkpointed), then again with every payload dropped as retention
// drops them after payload_days. Prints one JSON object for report.mjs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../../tests/e2e/support/worker.mjs';
import { client, deliver } from '../../tests/e2e/support/api.mjs';

const count = Number(process.env.BENCH_STORED_DELIVERIES ?? 2000);
const concurrency = 8;

/** Every file under `dir`. */
const files = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? files(path) : [path];
});

/** Runs `code` (Python, with sqlite3 imported and `path` set) and parses what it prints. */
function sqlite(path, code) {
  const run = spawnSync('python3', ['-c', `import sqlite3, json\npath = ${JSON.stringify(path)}\n${code}`], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const USED = `
c = sqlite3.connect(path)
c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
pages, free, size = (c.execute(f'PRAGMA {p}').fetchone()[0] for p in ('page_count', 'freelist_count', 'page_size'))
print(json.dumps((pages - free) * size))`;

/** The local D1 database: the SQLite file that holds the deliveries table. */
function database(state) {
  const found = files(state).filter((f) => f.endsWith('.sqlite')).filter((f) => sqlite(f,
    "print(json.dumps(sqlite3.connect(path).execute(\"SELECT count(*) FROM sqlite_master WHERE name = 'deliveries'\").fetchone()[0]))") === 1);
  if (found.length !== 1) throw new Error(`expected one D1 database under ${state}, found ${found.length}`);
  return found[0];
}

function order(i) {
  return {
    event: 'order.completed',
    id: `ord-${i}-${Math.random().toString(36).slice(2, 10)}`,
    created_at: new Date().toISOString(),
    customer: { email: 'ada@example.com', name: 'Ada Lovelace', phone: '+44 20 7946 0000', locale: 'en-GB' },
    shipping: { line1: '12 Analytical Row', city: 'London', postcode: 'N1 9GU', country: 'GB' },
    items: [
      { sku: 'HAT-RED-M', name: 'Red hat (M)', quantity: 1, unit_price: 1999, tax: 400 },
      { sku: 'SCARF-WOOL', name: 'Wool scarf', quantity: 2, unit_price: 2499, tax: 500 },
      { sku: 'GIFT-WRAP', name: 'Gift wrap', quantity: 1, unit_price: 299, tax: 60 },
    ],
    totals: { subtotal: 7296, tax: 1460, shipping: 495, total: 9251, currency: 'GBP' },
    points: 92,
    payment: { method: 'card', brand: 'visa', last4: '4242', captured: true },
    notes: 'Leave with the neighbour at number 14 if nobody answers the door.',
    tracking: { carrier: 'Royal Mail', service: 'Tracked 48', reference: `RM${String(i).padStart(9, '0')}GB`, estimated_days: 2 },
    marketing: { source: 'newsletter', campaign: 'winter-warmers', coupon: 'WARM10', first_order: false },
  };
}

const worker = await startWorker({ vars: { LOG_LEVEL: 'off' } });
try {
  let admin = client(worker.base, worker.adminToken);
  const cid = (await admin.post('/v1/communities', { name: 'Stored' })).body.id;
  await admin.post(`/v1/communities/${cid}/users`, { email: 'ada@example.com', username: 'ada' });
  await admin.patch(`/v1/communities/${cid}/quotas`, { max_rate_limit: 100000, total_rate_limit: 240000 });
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'shop', rate_limit: 100000,
    mapping: { user: { match: 'email', path: 'customer.email' }, idempotency_path: 'id',
      fields: [{ target: { currency: 'coins' }, op: 'add', path: 'points' }] } })).body;
  const path = new URL(hook.url).pathname;

  await worker.halt();
  const file = database(worker.state);
  const before = sqlite(file, USED);
  await worker.start();
  admin = client(worker.base, worker.adminToken);
  const url = `${worker.base}${path}`;
  let next = 0;
  let payloadBytes = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const body = JSON.stringify(order(i));
      payloadBytes += body.length;
      const res = await deliver(url, body);
      if (res.status !== 200) throw new Error(`delivery ${i}: ${res.status} ${res.text}`);
    }
  }));
  await worker.halt();
  const after = sqlite(file, USED);

  // What dropping the payloads (retention, after payload_days) frees: two packed copies of the
  // database, with and without them, compared like for like.
  const dir = mkdtempSync(join(tmpdir(), 'hookmap-stored-'));
  const packed = (dropPayloads) => {
    const copy = join(dir, `d1-${dropPayloads}.sqlite`);
    copyFileSync(file, copy);
    sqlite(copy, `
c = sqlite3.connect(path)
if ${dropPayloads ? 'True' : 'False'}:
    c.execute('UPDATE deliveries SET payload = NULL, payload_expired = 1')
    c.commit()
c.execute('VACUUM')
print(json.dumps(0))`);
    return sqlite(copy, USED);
  };
  const freed = (packed(false) - packed(true)) / count;
  rmSync(dir, { recursive: true, force: true });
  const perDelivery = (after - before) / count;
  console.log(JSON.stringify({
    deliveries: count,
    payload_bytes: Math.round(payloadBytes / count),
    bytes_per_delivery: Math.round(perDelivery),
    bytes_per_delivery_without_payload: Math.round(perDelivery - freed),
  }));
} finally {
  await worker.stop();
}
