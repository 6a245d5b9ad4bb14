// The mapping editor in real headless Chromium, served by a real `wrangler dev`: in the playground
// (offline) and as a webhook's Mapping tab in the console: paste or load a sample, build a mapping
// by clicking, read the preview, encrypt and send the produced request, save. Screenshots go to
// tests/artifacts/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { startWorker } from './support/worker.mjs';
import { client, deliver, envelope, seedCommunity, KEY, IV } from './support/api.mjs';
import { launch, openPage, shot, signedIn } from './support/browser.mjs';
import { seriousViolations } from './support/axe.mjs';

const SAMPLE = {
  customer: { email: 'Ada@Example.com' },
  order: { id: 'A-1001' },
  reward: { coins: 50 },
  tier: 'gold',
  items: [{ qty: 3 }],
};

let worker, admin, browser, seed;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  browser = await launch();
  const { cid, uid } = await seedCommunity(admin, 'Page guild');
  const key = (await admin.post(`/v1/communities/${cid}/api-keys`, { name: 'page' })).body.key;
  const hook = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, {
    name: 'Shop rewards', api_key: true, encryption: { algorithm: 'aes-256-gcm', key: KEY, iv: IV },
  })).body;
  const channel = (await admin.post(`/v1/communities/${cid}/channels`, { name: 'shop-news' })).body;
  const chat = (await admin.post(`/v1/communities/${cid}/incoming-webhooks`, { name: 'Shop news', location: 'chat' })).body;
  // The sender's first delivery, encrypted by Node's crypto: caught as pending (no mapping yet).
  const first = await deliver(hook.url, envelope('aes-256-gcm', KEY, JSON.stringify(SAMPLE)), { 'x-api-key': hook.api_key });
  assert.equal(first.status, 202, first.text);
  seed = { cid, uid, key, hook, channel, chat };
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

const PLAYGROUND = () => `${worker.base}/#/playground`;

/** The console signed in with the community key, at webhook `id`'s Mapping tab. */
async function mappingTab(id) {
  const opened = await signedIn(browser, worker.base, seed.key, `#/webhooks/${id}/mapping`);
  await opened.page.waitForSelector('#editor:not([hidden]) #save:not([hidden])');
  return opened;
}

const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));
const options = (page, selector) => page.$$eval(`${selector} option`, (els) => els.map((e) => e.value));

test('the playground and its wasm engine load from wrangler dev, with no sign-in', async () => {
  const { page, errors } = await openPage(browser, PLAYGROUND());
  assert.equal(await page.title(), 'hookmap console');
  assert.equal(await page.textContent('#where'), 'mapping playground');
  assert.equal(await page.isVisible('#save'), false, 'nothing is saved from the playground');
  assert.match(await page.textContent('#preview-verdict'), /refuse/);
  await shot(page, '01-offline');
  assert.deepEqual(errors, []);
  await page.close();
});

test("the request tester seals with WebCrypto exactly as Python's cryptography, and names a bad key or IV", async () => {
  const { page, errors } = await openPage(browser, PLAYGROUND());
  const vectors = JSON.parse(await readFile(new URL('../vectors/envelope.json', import.meta.url), 'utf8'));
  const sealed = await page.evaluate(async (v) => {
    const { seal } = await import('/js/seal.js');
    const { loadEngine } = await import('/js/engine.js');
    const algorithms = (await loadEngine()).capabilities().algorithms;
    const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return Promise.all(v.vectors.map((c) => seal(algorithms.find((a) => a.name === c.algorithm), v.key, v.iv,
      c.plaintext, c.body.startsWith('{') ? bytes(JSON.parse(c.body).iv) : undefined)));
  }, vectors);
  assert.equal(sealed.length, 20);
  for (const [i, c] of vectors.vectors.entries()) {
    // The envelope's members in any order; the fixed-IV body byte for byte.
    if (c.body.startsWith('{')) assert.deepEqual(JSON.parse(sealed[i]), JSON.parse(c.body), c.body);
    else assert.equal(sealed[i], c.body);
  }

  for (const [key, iv, said] of [
    ['short', 'abcdef9876543210', 'the key must be exactly 32 single-byte (ASCII) characters, not 5'],
    ['0123456789abcdef0123456789abcdef', 'ééééééééééééééé!', 'the iv must be exactly 16 single-byte (ASCII) characters, not 16'],
  ]) {
    await page.fill('#enc-key', key);
    await page.fill('#enc-iv', iv);
    await page.click('#encrypt-form button[type=submit]');
    await page.waitForSelector('#encrypt-error:not([hidden])');
    assert.equal(await page.textContent('#encrypt-error'), `Not encrypted: ${said}`);
    assert.equal(await page.isDisabled('#send'), true);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('invalid JSON in the sample is shown with its line and column', async () => {
  const { page, errors } = await openPage(browser, PLAYGROUND());
  await page.fill('#sample-text', '{\n  "a": 1,\n  "b": \n}');
  const error = await page.textContent('#sample-error');
  assert.match(error, /^not_json: .*line 4 column 1/);
  assert.equal(await page.isVisible('#sample-error'), true);
  assert.match(await page.textContent('#preview-verdict'), /not valid JSON/);
  await shot(page, '02-invalid-json');
  await page.fill('#sample-text', '{"a": 1}');
  assert.equal(await page.isVisible('#sample-error'), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('offline: a mapping built by clicking previews every effect, before -> after', async () => {
  const { page, errors } = await openPage(browser, PLAYGROUND());
  await page.fill('#sample-text', JSON.stringify(SAMPLE, null, 2));
  await page.click('#user-path');
  await page.click('.leaf[data-path="customer.email"]');
  assert.equal(await page.inputValue('#user-path'), 'customer.email');

  await page.click('#add-row');
  assert.deepEqual(await options(page, '#rows li:nth-child(1) .op'), ['add', 'subtract']);
  await page.click('.leaf[data-path="reward.coins"]');

  await page.click('#add-row');
  await page.selectOption('#rows li:nth-child(2) .target', 'field:tier');
  assert.deepEqual(await options(page, '#rows li:nth-child(2) .op'), ['overwrite'], 'text fields are overwrite only');
  await page.click('.leaf[data-path="tier"]');

  await page.click('#add-row');
  await page.selectOption('#rows li:nth-child(3) .target', 'field:orders');
  assert.deepEqual(await options(page, '#rows li:nth-child(3) .op'), ['add', 'subtract', 'overwrite']);
  await page.click('.leaf[data-path="items[0].qty"]');

  assert.equal(await page.textContent('#preview-member'), 'Member: the one whose email is ada@example.com');
  assert.deepEqual(await texts(page, '#effects li'), [
    'coins add 50: 0 → 50',
    'tier (text) overwrite "gold": (not set) → "gold"',
    'orders (number) add 3: (not set) → 3',
  ]);
  assert.match(await page.textContent('#preview-verdict'), /would apply 3 effects to ada@example.com/);

  // The balances typed in are the "before" of the preview.
  await page.fill('#before-balances label[data-currency="coins"] input', '7');
  await page.fill('#before-fields label[data-field="orders"] input', '10');
  assert.deepEqual((await texts(page, '#effects li')).filter((t) => !t.startsWith('tier')), [
    'coins add 50: 7 → 57',
    'orders (number) add 3: 10 → 13',
  ]);
  await shot(page, '03-offline-preview');

  // The community's own currencies are data: the offline list offers gems beside xp and coins,
  // with a balance to type, and a currency removed from the list is the edge's unknown_currency.
  await page.click('#fields-box summary');
  assert.deepEqual(await texts(page, '#before-balances label'), ['coins', 'gems', 'xp']);
  assert.deepEqual(await options(page, '#rows li:nth-child(1) .target optgroup[label=Currency]'), ['currency:coins', 'currency:gems', 'currency:xp']);
  await page.selectOption('#rows li:nth-child(1) .target', 'currency:gems');
  await page.fill('#before-balances label[data-currency="gems"] input', '2');
  assert.equal((await texts(page, '#effects li'))[0], 'gems add 50: 2 → 52');
  await page.fill('#currencies-json', '[]');
  assert.match(await page.textContent('#rows li:nth-child(1) .error'), /no currency "gems"/);
  assert.deepEqual(await texts(page, '#before-balances label'), ['coins', 'xp']);
  await page.fill('#currencies-json', '["gems"]');
  await page.selectOption('#rows li:nth-child(1) .target', 'currency:coins');

  // A path the sample lacks: the error sits beside its row, and the verdict is the edge's error.
  await page.fill('#rows li:nth-child(2) .path', 'tier.name');
  const rowError = await page.textContent('#rows li:nth-child(2) .error');
  assert.match(rowError, /no value at "tier.name"/);
  assert.equal(await page.isVisible('#rows li:nth-child(1) .error'), false);
  assert.match(await page.textContent('#preview-verdict'), /refuse this payload: missing_path/);
  // Subtracting more than the member has is refused, as the edge refuses it.
  await page.fill('#rows li:nth-child(2) .path', 'tier');
  await page.selectOption('#rows li:nth-child(1) .op', 'subtract');
  assert.match(await page.textContent('#preview-verdict'), /insufficient_balance/);
  await shot(page, '04-offline-errors');
  assert.deepEqual(errors, []);
  await page.close();
});

test('connected: load the caught sample, map it, save, encrypt and send the produced request', async () => {
  const { page, errors } = await mappingTab(seed.hook.id);
  // The tab opens on the webhook's caught sample; loading it again gives the same.
  await page.waitForFunction(() => document.querySelector('#catch-info').textContent.startsWith('caught'));
  await page.fill('#sample-text', '{}');
  await page.click('#load-catch');
  await page.waitForFunction(() => document.querySelector('#catch-info').textContent.startsWith('caught'));
  assert.deepEqual(JSON.parse(await page.inputValue('#sample-text')), SAMPLE);

  await page.click('#user-path');
  await page.click('.leaf[data-path="customer.email"]');
  await page.click('#idem-path');
  await page.click('.leaf[data-path="order.id"]');
  await page.click('#add-row');
  await page.click('.leaf[data-path="reward.coins"]');
  await page.click('#add-row');
  await page.selectOption('#rows li:nth-child(2) .target', 'field:tier');
  await page.click('.leaf[data-path="tier"]');
  assert.equal(await page.textContent('#preview-key'), 'Idempotency key: A-1001');

  await page.click('#save');
  await page.waitForSelector('#save-result.ok');
  // The caught sample is a pending delivery: saving says it waits (and offers to process it).
  assert.equal(await page.textContent('#save-result'),
    'Saved: version 2. The edge uses this mapping from now on. 1 caught delivery waits for it.');
  const stored = (await admin.get(`/v1/communities/${seed.cid}/incoming-webhooks/${seed.hook.id}`)).body.mapping;
  assert.deepEqual(stored, {
    user: { match: 'email', path: 'customer.email' },
    idempotency_path: 'order.id',
    fields: [
      { target: { currency: 'coins' }, op: 'add', path: 'reward.coins' },
      { target: { field: 'tier' }, op: 'overwrite', path: 'tier' },
    ],
  });

  assert.equal(await page.inputValue('#algorithm'), 'aes-256-gcm');
  assert.equal(await page.inputValue('#hook-url'), seed.hook.url);
  await page.fill('#enc-key', KEY);
  await page.fill('#enc-iv', IV);
  // Without the webhook's key a dry run is not built: the edge answers one only to a proved
  // sender (issue 27).
  await page.check('#dry-run');
  await page.click('#encrypt-form button[type=submit]');
  await page.waitForSelector('#encrypt-error:not([hidden])');
  assert.match(await page.textContent('#encrypt-error'), /dry run needs the webhook's API key/);
  assert.equal(await page.isDisabled('#send'), true);
  await page.uncheck('#dry-run');
  await page.fill('#hook-key', seed.hook.api_key);

  // The curl command, run by a shell, is a working request (as a dry run it changes nothing).
  await page.check('#dry-run');
  await page.click('#encrypt-form button[type=submit]');
  // WebCrypto seals asynchronously: the request is there when Send is enabled.
  await page.waitForSelector('#send:not([disabled])');
  const curl = await page.inputValue('#curl');
  assert.match(curl, /^curl -sS -X POST '.*\/hooks\/.*\?dry_run=true'/);
  assert.match(curl, new RegExp(`-H 'x-api-key: ${seed.hook.api_key}'`));
  // Asynchronously: this process must keep reading wrangler's output (the worker's log) meanwhile.
  const dry = JSON.parse((await promisify(execFile)('sh', ['-c', curl], { encoding: 'utf8' })).stdout);
  assert.equal(dry.dry_run, true, JSON.stringify(dry));
  assert.deepEqual(dry.balances_after, { xp: 0, coins: 50 });

  // The body is the {iv, data} envelope with a fresh 12-byte IV, and Send delivers it for real.
  await page.uncheck('#dry-run');
  await page.click('#encrypt-form button[type=submit]');
  await page.waitForSelector('#send:not([disabled])');
  const body = JSON.parse(await page.inputValue('#enc-body'));
  assert.equal(Buffer.from(body.iv, 'base64').length, 12);
  await page.click('#send');
  await page.waitForSelector('#send-status.ok, #send-status.bad');
  assert.equal(await page.textContent('#send-status'), 'HTTP 200 OK', await page.textContent('#send-body'));
  const answer = JSON.parse(await page.textContent('#send-body'));
  assert.equal(answer.status, 'success');
  assert.equal(answer.idempotency_key, 'A-1001');
  await shot(page, '04b-connected-sent');

  const member = (await admin.get(`/v1/communities/${seed.cid}/users/${seed.uid}`)).body;
  assert.equal(member.coins, 50);
  assert.equal(member.fields.tier, 'gold');
  assert.deepEqual(errors, []);
  await page.close();
});

test('offline: an expression row completes, shows its error at its character, its steps in the preview, and a filter filters', async () => {
  const { page, errors } = await openPage(browser, PLAYGROUND());
  const order = { customer: { email: 'ada@example.com' }, total_price: '24.99', financial_status: 'pending', line_items: [{ quantity: 2 }] };
  await page.fill('#sample-text', JSON.stringify(order, null, 2));
  await page.fill('#user-path', 'customer.email');
  await page.click('#add-row');
  await page.selectOption('#rows li:nth-child(1) .source', 'value');
  const value = '#rows li:nth-child(1) .value';
  assert.equal(await page.isVisible('#rows li:nth-child(1) .path'), false, 'an expression row has no path');

  // Completion: the sample's paths (containers too) and the engine's functions, the word completed.
  await page.fill(value, 'round(decimal(tot');
  assert.deepEqual(await options(page, '#expr-words'), ['round(decimal(total_price']);
  await page.fill(value, 'line_items.su');
  assert.deepEqual(await options(page, '#expr-words'), ['line_items.sum(']);
  await page.fill(value, 'round');
  assert.deepEqual(await options(page, '#expr-words'), ['round(', 'round_even(']);
  // A click in the tree puts the value's path at the cursor, as the expression reads it.
  await page.fill(value, 'decimal()');
  await page.$eval(value, (input) => input.setSelectionRange(8, 8));
  await page.click('.leaf[data-path="total_price"]');
  assert.equal(await page.inputValue(value), 'decimal(total_price)');

  // A broken expression: its error beside the row, the character it names marked and selectable.
  await page.fill(value, 'round(decimal(total_price) * )');
  const error = '#rows li:nth-child(1) .error';
  assert.match(await page.textContent(error), /fields\[0\]\.value: .*at character 29/);
  assert.equal(await page.textContent(`${error} mark`), ')');
  assert.equal(await page.getAttribute(value, 'aria-invalid'), '');
  await page.click(`${error} button`);
  assert.deepEqual(await page.$eval(value, (input) => [document.activeElement === input, input.selectionStart, input.selectionEnd]), [true, 29, 30]);
  await shot(page, '09-expression-error');

  // A working one: its effect, and each step of it on the sample.
  await page.fill(value, 'round(decimal(total_price) * 10)');
  assert.equal(await page.isVisible(error), false);
  assert.equal(await page.getAttribute(value, 'aria-invalid'), null);
  assert.match(await page.textContent('#effects li:nth-child(1)'), /^coins add 250: 0 → 250/);
  assert.deepEqual(await texts(page, '#effects li:nth-child(1) .steps'),
    ['value: total_price "24.99" → decimal(…) 24.99 → … * 10 249.9 → round(…) 250']);
  assert.match(await page.textContent('#preview-verdict'), /would apply 1 effect to ada@example.com/);
  assert.match(await page.textContent('#mapping-json'), /"value": "round\(decimal\(total_price\) \* 10\)"/);

  // A false condition skips the row, without an error.
  await page.fill('#rows li:nth-child(1) .when', 'financial_status == "paid"');
  assert.match(await page.textContent('#effects li:nth-child(1)'), /^skipped: its condition is false/);
  assert.deepEqual(await texts(page, '#effects li:nth-child(1) .steps'), ['when: financial_status "pending" → … == "paid" false']);
  await page.fill('#rows li:nth-child(1) .when', '');

  // The mapping's filter: a payload it finds false shows why, and no effects.
  await page.fill('#filter', 'financial_status == "paid"');
  assert.deepEqual(await texts(page, '#effects li'), ['⊘ filtered: the filter "financial_status == \\"paid\\"" is false']);
  assert.match(await page.textContent('#preview-verdict'), /as filtered and apply nothing/);
  assert.deepEqual(await seriousViolations(page), []);
  await shot(page, '10-expression-filtered');
  // A broken filter is marked at its character too.
  await page.fill('#filter', 'financial_status = "paid"');
  assert.match(await page.textContent('[data-error-for="filter"]'), /at character 17/);
  assert.equal(await page.textContent('[data-error-for="filter"] mark'), '=');
  const paid = { ...order, financial_status: 'paid' };
  await page.fill('#filter', 'financial_status == "paid"');
  await page.fill('#sample-text', JSON.stringify(paid));
  assert.match(await page.textContent('#effects li:nth-child(1)'), /^coins add 250: 0 → 250/);
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('offline: a chat message built by clicking values into its template previews as plain text', async () => {
  const { page, errors } = await openPage(browser, PLAYGROUND());
  await page.fill('#sample-text', JSON.stringify({ ...SAMPLE, note: '<b>thanks</b>', room: 'chn_news' }, null, 2));
  assert.equal(await page.isVisible('#template'), false, 'no message part until a channel mode is chosen');
  await page.selectOption('#channel-mode', 'path');
  assert.equal(await page.isVisible('#channel-id-box'), false);
  await page.click('#channel-path');
  await page.click('.leaf[data-path="room"]');
  await page.click('#template');
  await page.keyboard.type('Order ');
  await page.click('.leaf[data-path="order.id"]');
  await page.keyboard.type(' says ');
  await page.click('.leaf[data-path="note"]');
  assert.equal(await page.inputValue('#template'), 'Order {{order.id}} says {{note}}');
  assert.equal(await page.textContent('#preview-message-text'), 'Order A-1001 says <b>thanks</b>');
  assert.equal(await page.$$eval('#preview-message-text b', (els) => els.length), 0, 'the message is text, not markup');
  assert.equal(await page.textContent('#preview-message-where'), 'The bot posts in chn_news:');
  assert.equal(await page.textContent('#preview-verdict'), 'The edge would post the message, if the channel exists.');
  assert.deepEqual(JSON.parse(await page.textContent('#mapping-json')), {
    message: { channel: { path: 'room' }, template: 'Order {{order.id}} says {{note}}' },
  });

  // With coins for the member too, one delivery does both.
  await page.click('#user-path');
  await page.click('.leaf[data-path="customer.email"]');
  await page.click('#add-row');
  await page.click('.leaf[data-path="reward.coins"]');
  assert.equal(await page.textContent('#preview-verdict'),
    'The edge would apply 1 effect to ada@example.com and post the message, if that member and the channel exist.');
  await shot(page, '05-offline-chat');

  await page.fill('#template', 'Order {{order.id');
  assert.match(await page.textContent('[data-error-for="message"]'), /never closed .* at character 7/);
  assert.equal(await page.isVisible('#preview-message'), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('connected: a chat mapping saved from the page posts the message the preview showed', async () => {
  const { page, errors } = await mappingTab(seed.chat.id);
  assert.equal(await page.inputValue('#algorithm'), '', 'the chat webhook is not encrypted');
  await page.fill('#sample-text', JSON.stringify({ who: 'Ada', item: 'a red hat' }));
  await page.selectOption('#channel-mode', 'id');
  assert.deepEqual(await page.$$eval('#channel-list option', (els) => els.map((o) => o.value)), [seed.channel.id]);
  await page.fill('#channel-id', seed.channel.id);
  await page.fill('#template', '{{who}} bought {{item}}');
  assert.equal(await page.textContent('#preview-message-where'), 'The bot posts in #shop-news:');
  assert.equal(await page.textContent('#preview-message-text'), 'Ada bought a red hat');
  await page.click('#save');
  await page.waitForSelector('#save-result.ok');

  await page.selectOption('#algorithm', '');
  await page.click('#encrypt-form button[type=submit]');
  await page.click('#send');
  await page.waitForSelector('#send-status.ok, #send-status.bad');
  assert.equal(await page.textContent('#send-status'), 'HTTP 200 OK', await page.textContent('#send-body'));
  const messages = (await admin.get(`/v1/communities/${seed.cid}/channels/${seed.channel.id}/messages`)).body.data;
  assert.deepEqual(messages.map((m) => [m.text, m.author.kind]), [['Ada bought a red hat', 'bot']]);
  await shot(page, '06-connected-chat');
  assert.deepEqual(errors, []);
  await page.close();
});

test("connected: a mapping the server refuses shows the server's validation result", async () => {
  const { page, errors } = await mappingTab(seed.hook.id);
  await page.fill('#user-path', 'customer..email');
  assert.match(await page.textContent('[data-error-for="user"]'), /user.path/);
  await page.click('#save');
  await page.waitForSelector('#save-result.bad');
  assert.match(await page.textContent('#save-result'), /^Not saved: invalid_path: .*\(at user.path\)$/);
  const stored = (await admin.get(`/v1/communities/${seed.cid}/incoming-webhooks/${seed.hook.id}`)).body;
  assert.equal(stored.version, 2, 'a refused save changes nothing');
  await shot(page, '07-save-refused');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the playground fits a phone screen without sideways scrolling', async () => {
  const { page, errors } = await openPage(browser, PLAYGROUND(), { width: 390, height: 844 });
  await page.click('#add-row');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await shot(page, '08-phone');
  assert.deepEqual(errors, []);
  await page.close();
});
