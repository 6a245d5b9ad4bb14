// Schemathesis against a real `wrangler dev`, driven by the OpenAPI document the worker serves
// (www/openapi.json at /openapi.json): generated requests, valid and invalid, to every operation,
// and every answer must be a documented status with a body that matches its schema, never a 5xx.
// Schemathesis lives in the project's .venv (scripts/setup.sh installs it, pinned).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from './support/worker.mjs';
import { client, deliver, seedCommunity, contractMapping, KEY, IV } from './support/api.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schemathesis = join(root, '.venv', 'bin', 'schemathesis');
// Bounded: about a minute and a half on two cores (each operation gets at most this many generated
// cases in the fuzzing phase, besides the coverage phase's boundary and invalid values).
const MAX_EXAMPLES = 20;
const SEED = 20250901;

let worker, admin, receiver, dir;
before(async () => {
  assert.ok(existsSync(schemathesis), `${schemathesis} is missing: run sh scripts/setup.sh`);
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  receiver = spawn(process.execPath, [join(root, 'tests', 'e2e', 'support', 'receiver.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(receiver.stdout, 'data');
  receiver.base = `http://127.0.0.1:${JSON.parse(line.toString()).port}`;
  dir = mkdtempSync(join(tmpdir(), 'hookmap-schemathesis-'));
});
after(async () => {
  receiver?.kill('SIGTERM');
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One of everything a path can name, so generated requests reach real resources, not just 404s. */
async function seed() {
  const { cid, uid } = await seedCommunity(admin, 'Schemathesis');
  const created = async (path, body) => {
    const res = await admin.post(`/v1/communities/${cid}${path}`, body);
    assert.ok(res.status === 201 || res.status === 200, `${path}: ${res.text}`);
    return res.body;
  };
  const key = (await created('/api-keys', { name: 'schemathesis' })).key;
  const chid = (await created('/channels', { name: 'news' })).id;
  const forum = (await created('/channels', { name: 'forum', type: 'forum' })).id;
  const hook = async (body) => created('/incoming-webhooks', body);
  const message = { channel: { id: chid }, template: 'order {{order.id}} for {{customer.email | default: "a guest"}}' };
  const plain = await hook({ name: 'plain', mapping: { ...contractMapping, message } });
  // The edge URL gets generated bodies for each kind of webhook: plain, encrypted both ways,
  // signed, a chat webhook into a forum, and one without a mapping (pending).
  const others = await Promise.all([
    hook({ name: 'cbc', encryption: { algorithm: 'aes-256-cbc', key: KEY, iv: IV }, mapping: contractMapping }),
    hook({ name: 'gcm', encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV }, mapping: contractMapping }),
    hook({ name: 'signed', signing_secret: true, mapping: contractMapping }),
    hook({ name: 'forum', location: 'chat', mapping: { message: { channel: { id: forum }, template: '{{text}}', topic: '{{topic}}' } } }),
    hook({ name: 'pending' }),
  ]);
  const tokens = [plain, ...others].map((h) => h.url.split('/hooks/')[1]);
  // A failed delivery, which replay accepts.
  const failed = await deliver(plain.url, JSON.stringify({ customer: { email: 'nobody@example.com' } }));
  assert.equal(failed.status, 422, failed.text);
  // The only subscription goes to the loopback receiver, and one test ping gives a log to resend.
  // A community event type with a schema: reads go to it, and publishing it checks its data.
  const name = (await created('/event-types', {
    name: 'payment.completed', description: 'A payment went through.',
    schema: { type: 'object', properties: { amount: { type: 'integer', minimum: 1 } } },
  })).name;
  const sid = (await created('/webhooks', { url: `${receiver.base}/hook/schemathesis`, events: ['member.joined', 'message.posted', 'store.purchased', name] })).id;
  const ping = await admin.post(`/v1/communities/${cid}/webhooks/${sid}/test`);
  assert.equal(ping.status, 200, ping.text);
  const params = { cid, uid, chid, wid: plain.id, did: failed.body.delivery_id, sid, lid: ping.body.log_id, key: 'tier', name };
  return { key, tokens, params };
}

const toml = (value) => JSON.stringify(value);

/**
 * The run's schemathesis.toml. Each path parameter takes a seeded value nine times in ten and a
 * generated one otherwise, so unknown and malformed ids are tried too.
 */
function config(ids) {
  const dictionaries = Object.entries({ ...ids.params, token: ids.tokens })
    .map(([name, values]) => `[dictionaries.${name}]\nvalues = ${toml([values].flat())}\n`).join('\n');
  const bind = (name) => `"path.${name}" = { dictionary = "${name}", probability = 0.9 }`;
  return `# Written by tests/e2e/schemathesis.test.mjs for one run.
${dictionaries}
[parameters]
${bind('cid')}
${bind('token')}

# Reads, creates and changes go to the seeded resources; deletes get generated ids (404), so that
# one early delete does not turn the rest of the run into 404s.
[[operations]]
include-method-regex = "^(GET|POST|PATCH)$"
[operations.parameters]
${Object.keys(ids.params).filter((name) => name !== 'cid').map(bind).join('\n')}

# Creating or changing a subscription with a generated URL would make the worker send requests
# to generated hosts; outgoing.test.mjs covers these two with URLs on loopback.
[[operations]]
include-operation-id = ["subscriptionCreate", "subscriptionUpdate"]
enabled = false
`;
}

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(schemathesis, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('close', (code) => resolve({ code, output: Buffer.concat(out).toString() }));
  });
}

test('the document is served as a static asset', async () => {
  const res = await fetch(`${worker.base}/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /application\/json/);
  const doc = await res.json();
  assert.equal(doc.openapi, '3.1.0');
});

test('every generated request gets a documented, schema-conformant answer and no 5xx', async () => {
  const ids = await seed();
  const file = join(dir, 'schemathesis.toml');
  writeFileSync(file, config(ids));
  const started = Date.now();
  const { code, output } = await run([
    '--config-file', file, 'run', `${worker.base}/openapi.json`, '--url', worker.base,
    '--header', `Authorization: Bearer ${ids.key}`,
    // Every answer: no 5xx, a documented status and content type, a body and headers (Retry-After)
    // matching the schema; a request the schema calls invalid must get a 4xx, and a method a path
    // does not take a 405 with Allow.
    '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,'
      + 'response_headers_conformance,negative_data_rejection,unsupported_method',
    // One worker: with two threads, CPython 3.11's ast module (which hypothesis calls to describe
    // filters) can share its recursion counter between them and fail with "AST constructor
    // recursion depth mismatch" (python/cpython#106905), an error in the tool, not in the API.
    '--max-examples', String(MAX_EXAMPLES), '--seed', String(SEED), '--workers', '1',
    '--phases', 'examples,coverage,fuzzing', '--no-color', '--request-timeout', '30',
  ]);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (code !== 0) {
    console.log(output);
    console.log(worker.log.join(''));
  }
  assert.equal(code, 0, `schemathesis failed after ${seconds} s (its output is above)`);
  console.log(`schemathesis passed in ${seconds} s:\n${output.slice(output.lastIndexOf('SUMMARY') - 36)}`);
});
