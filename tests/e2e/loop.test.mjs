// The seeds' loop in the console (issue 31), in headless Chromium at a phone's 390 px, by keyboard
// where a keyboard user would: a new admin signed in with the admin token to a worker with no
// community creates one in the console (a blank name refused first, the server's code shown), then
// sets it up there (a user field, a currency, a channel, an API key), creates an incoming webhook and
// copies its URL before any mapping; this test plays the sender; the caught sample arrives in the
// open mapping editor by itself; the mapping, which writes the field and currency just created, is
// saved and the caught delivery processed from there; the community's Histories shows it applied; a
// second webhook starts failing and the console flags it; a member is adjusted by hand and the
// adjustment listed; the API key made in the console signs in and is rotated. Every view is checked
// with axe-core and for sideways scrolling; screenshots of each step go to
// tests/artifacts/screenshots (loop-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, deliver, eventually } from './support/api.mjs';
import { launch, openPage } from './support/browser.mjs';
import { PHONE, checked as checkedAs, follow, tabTo } from './support/keyboard.mjs';

let worker, admin, browser, cid, at, uid;
// The API key the admin creates in the console, which the second test signs in with.
let consoleKey;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  browser = await launch();
  // No community: the first test creates it in the console.
  assert.equal((await admin.get('/v1/communities')).body.total, 0);
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

/** The view is axe clean and fits the phone; then its screenshot (loop-<name>.png). */
const checked = (page, name) => checkedAs(page, `loop-${name}`);

const member = async () => (await admin.get(`${at}/users/${uid}`)).body;

test('the seeds\' loop: set up in the console, URL first, the sample arrives by itself, the caught delivery processed on save, a failing webhook flagged', async () => {
  const { page, errors } = await openPage(browser, `${worker.base}/`, PHONE);
  // The admin token on a worker with no community: the picker opens on Create community, its
  // name's input focused.
  await page.keyboard.type(worker.adminToken);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#community-form');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'community-name');
  assert.match(await page.textContent('#signin-result'), /There are no communities yet: create the first one\./);
  await checked(page, '00-community-new');
  // A name of spaces passes the input's `required` but not the server, which trims it: its
  // refusal is shown as the API says it, and nothing is made.
  await page.keyboard.type('   ');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#community-result.bad');
  assert.match(await page.textContent('#community-result'), /^invalid_field: name: must be 1 to 100 characters$/);
  assert.equal((await admin.get('/v1/communities')).body.total, 0);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'community-name');
  await checked(page, '00a-community-refused');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Loop guild');
  await page.keyboard.press('Enter');
  // The new community opens: its (empty) webhooks list, the admin signed in to it.
  await page.waitForSelector('#new-webhook');
  const { data: made, total } = (await admin.get('/v1/communities')).body;
  assert.deepEqual([total, made[0].name], [1, 'Loop guild']);
  cid = made[0].id;
  at = `/v1/communities/${cid}`;
  assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('hookmap.session')).cid), cid);
  assert.equal(await page.textContent('#who-name'), 'Loop guild (as admin)');
  await checked(page, '01-webhooks-empty');
  // The platform creates members as they join.
  uid = (await admin.post(`${at}/users`, { email: 'ada@example.com', username: 'ada' })).body.id;

  // The community's set-up, each in its settings view: a user field the mapping will write...
  await follow(page, '#nav a[data-section="fields"]', '#field-form');
  await checked(page, '01a-fields-empty');
  await tabTo(page, '#field-key');
  await page.keyboard.type('tier');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Tier');
  await tabTo(page, '#field-type');
  await page.selectOption('#field-type', 'text');
  await tabTo(page, '#field-form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('tr[data-field="tier"]');
  assert.deepEqual((await admin.get(`${at}/user-fields`)).body.data.map((f) => [f.key, f.name, f.type]), [['tier', 'Tier', 'text']]);
  await checked(page, '01b-field-created');

  // ...a currency of the community's own...
  await follow(page, '#nav a[data-section="currencies"]', '#currency-form');
  await tabTo(page, '#currency-key');
  await page.keyboard.type('gems');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Gems');
  await page.keyboard.press('Enter');
  await page.waitForSelector('tr[data-currency="gems"]');
  assert.equal((await admin.get(`${at}/currencies/gems`)).body.name, 'Gems');
  await checked(page, '01c-currency-created');

  // ...a channel for the bot's messages...
  await follow(page, '#nav a[data-section="channels"]', '#channel-form');
  await tabTo(page, '#channel-name');
  await page.keyboard.type('orders');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#channel-id');
  const channel = (await admin.get(`${at}/channels`)).body.data[0];
  assert.equal(channel.name, 'orders');
  await checked(page, '01d-channel-created');

  // ...and an API key for the community's own systems, shown once.
  await follow(page, '#nav a[data-section="keys"]', '#key-form');
  await tabTo(page, '#key-name');
  await page.keyboard.type('shop backend');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#key-shown .once');
  consoleKey = await page.inputValue('#key-shown .once input');
  assert.match(consoleKey, /^hmk_[0-9a-f]{48}$/);
  assert.equal((await client(worker.base, consoleKey).get('/v1/me')).body.community.id, cid);
  await checked(page, '01e-key-created');
  await follow(page, '#nav a[data-section="webhooks"]', '#new-webhook');

  // A name is all a new webhook needs; its URL is shown at once, to copy before any mapping.
  await follow(page, '#new-webhook', '#webhook-form');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'wh-name');
  await page.keyboard.type('Shop');
  await tabTo(page, '#webhook-form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#created-url');
  const url = await page.inputValue('#created-url');
  assert.match(url, /\/hooks\/[0-9a-f]{48}$/);
  await checked(page, '02-created-url');
  const shop = (await admin.get(`${at}/incoming-webhooks`)).body.data[0];
  assert.deepEqual([shop.name, shop.url, shop.mapping], ['Shop', url, null]);

  // The Mapping tab, open before the sender sends anything.
  await follow(page, '#to-mapping', '#catch-info');
  await page.waitForFunction(() => /Nothing caught yet/.test(document.querySelector('#catch-info').textContent));
  await checked(page, '03-mapping-waiting');

  // The sender (this Node script) sends to the URL it was given: caught, 202.
  const sent = await deliver(url, JSON.stringify({ customer: { email: 'Ada@Example.com', tier: 'gold' }, reward: { coins: 25, gems: 3 } }));
  assert.equal(sent.status, 202, sent.text);
  // The open editor takes it as its sample, without a reload.
  await page.waitForFunction(() => /^caught /.test(document.querySelector('#catch-info').textContent), null, { timeout: 15_000 });
  assert.match(await page.inputValue('#sample-text'), /"Ada@Example.com"/);
  await page.waitForSelector('.leaf[data-path="customer.email"]');
  await checked(page, '04-sample-arrived');

  // The editor offers what was set up in the console: the channel, the field and the currency.
  assert.equal(await page.$eval('#channel-list', (list, id) => [...list.options].some((o) => o.value === id), channel.id), true);
  // The mapping, by keyboard: the member's path as the sample's tree shows it, a row for the
  // coins, one for the new currency and one for the new field.
  await tabTo(page, '#user-path');
  await page.keyboard.type('customer.email');
  await tabTo(page, '#add-row');
  await page.keyboard.press('Enter');
  await tabTo(page, '#rows li:nth-child(1) .path');
  await page.keyboard.type('reward.coins');
  for (const [n, target, path] of [[2, 'currency:gems', 'reward.gems'], [3, 'field:tier', 'customer.tier']]) {
    await tabTo(page, '#add-row');
    await page.keyboard.press('Enter');
    await tabTo(page, `#rows li:nth-child(${n}) .target`);
    await page.selectOption(`#rows li:nth-child(${n}) .target`, target);
    await tabTo(page, `#rows li:nth-child(${n}) .path`);
    await page.keyboard.type(path);
  }
  await tabTo(page, '#save');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#save-result.ok');
  assert.match(await page.textContent('#save-result'), /1 caught delivery waits for it/);
  assert.equal(await page.isVisible('#process-pending'), true);
  await checked(page, '05-saved-one-waits');

  // Processing it from the editor: the outcome is shown, and the member has the coins.
  await tabTo(page, '#process-pending');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^Processed 1 caught delivery: 1 applied/.test(document.querySelector('#save-result').textContent), null, { timeout: 30_000 });
  const ada = await member();
  assert.deepEqual([ada.balances.coins, ada.balances.gems, ada.fields.tier], [25, 3, 'gold']);
  await checked(page, '06-processed');

  // The community's Histories: the caught delivery replayed, its replay a success.
  await follow(page, '#nav a[data-section="histories"]', '#history-list');
  await page.waitForSelector('#history-list tr[data-status="success"]');
  const statuses = await page.$$eval('#history-list tr[data-status]', (rows) => rows.map((r) => r.dataset.status).sort());
  assert.deepEqual(statuses, ['replayed', 'success']);
  await checked(page, '07-community-history');

  // A second webhook whose sender's deliveries keep failing: flagged in the list and its page.
  const game = (await admin.post(`${at}/incoming-webhooks`, {
    name: 'Game', api_key: true, mapping: { user: { match: 'email', path: 'email' }, fields: [{ target: { currency: 'xp' }, op: 'add', path: 'xp' }] },
  })).body;
  for (let n = 0; n < 5; n += 1) {
    const res = await deliver(game.url, JSON.stringify({ email: `stranger${n}@example.com`, xp: 1 }), { 'x-api-key': game.api_key });
    assert.equal(res.status, 422, res.text);
  }
  await follow(page, '#nav a[data-section="webhooks"]', '#new-webhook');
  await page.waitForSelector(`tr[data-webhook="${game.id}"] .failing-flag`);
  assert.equal(await page.$(`tr[data-webhook="${shop.id}"] .failing-flag`), null, 'the shop is fine');
  await checked(page, '08-failing-in-list');
  await page.evaluate((h) => { location.hash = h; }, `#/webhooks/${game.id}/settings`);
  await page.waitForSelector('#webhook-failing');
  assert.match(await page.textContent('#webhook-failing'), /failing since .* \(failures in a row\): 5 failed in a row now, the latest with unknown_member\./);
  await checked(page, '09-failing-header');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a member adjusted by hand with a reason, never below zero, the adjustment listed; the API key made in the console rotated with a grace', async () => {
  const key = consoleKey;
  assert.ok(key, 'the first test made the key in the console');
  const { page, errors } = await openPage(browser, `${worker.base}/`, PHONE);
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#new-webhook');
  const before = await member();

  await page.evaluate((h) => { location.hash = h; }, `#/members/${uid}`);
  await page.waitForSelector('#adjust');
  await checked(page, '10-member');
  await tabTo(page, '#adjust-reason');
  await page.keyboard.type('Goodwill after the outage');
  await tabTo(page, '#adjust-currency');
  await page.selectOption('#adjust-currency', 'coins');
  await tabTo(page, '#adjust-amount');
  await page.keyboard.type('10');
  await page.keyboard.press('Enter');
  // The view is drawn again with the member as the server left them, and says so.
  await page.waitForFunction((coins) => new RegExp(`Adjusted ada: .*coins ${coins}`).test(document.querySelector('#adjust-result')?.textContent ?? ''),
    before.coins + 10);
  assert.equal((await member()).coins, before.coins + 10);
  // The view shows the member as the server left them, and the log names the reason.
  await page.waitForFunction(() => /admin:Goodwill after the outage/.test(document.querySelector('#member-logs').textContent));
  // The member's adjustments list it, with its reason and change.
  const [made] = (await admin.get(`${at}/users/${uid}/adjustments`)).body.data;
  const row = await page.$$eval('#member-adjustments tr[data-adjustment]', (trs) => trs.map((tr) => [tr.dataset.adjustment, tr.cells[1].textContent, tr.cells[2].textContent]));
  assert.deepEqual(row, [[made.id, 'Goodwill after the outage', 'coins add 10']]);
  await checked(page, '11-member-adjusted');

  // Subtracting more than the balance: refused, nothing changed.
  await tabTo(page, '#adjust-reason');
  await page.keyboard.type('Chargeback');
  await page.selectOption('#adjust-currency', 'coins');
  await page.selectOption('#adjust-currency-op', { index: 1 });
  await tabTo(page, '#adjust-amount');
  await page.keyboard.type('1000');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#adjust-result.bad');
  assert.match(await page.textContent('#adjust-result'), /insufficient_balance/);
  assert.equal((await member()).coins, before.coins + 10);
  assert.equal((await admin.get(`${at}/users/${uid}/adjustments`)).body.total, 1, 'a refused adjustment is not listed');
  await checked(page, '12-member-refused');

  // The key this tab signed in with, rotated: the tab goes on with the new one; the old one
  // works through its grace.
  await follow(page, '#nav a[data-section="keys"]', '#key-form');
  await tabTo(page, 'button[aria-label^="Rotate key shop backend"]');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#key-shown .once');
  const rotated = await page.inputValue('#key-shown .once input');
  assert.match(rotated, /^hmk_[0-9a-f]{48}$/);
  assert.match(await page.textContent('#key-result'), /the old key works until /);
  await eventually(async () => (await client(worker.base, rotated).get('/v1/me')).status === 200, 'the new key');
  assert.equal((await client(worker.base, key).get('/v1/me')).status, 200, 'the old key, in its grace');
  const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem('hookmap.session')).token);
  assert.equal(session, rotated);
  await checked(page, '13-key-rotated');
  assert.deepEqual(errors, []);
  await page.close();
});
