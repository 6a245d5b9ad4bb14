// The last of the seeds' settings that needed curl (issue 31), in headless Chromium at a phone's
// 390 px, by keyboard: an outgoing subscription's failures recovered from its page, refused first
// by the community's events quota with the server's code and message; the admin token edits the
// quotas in the Quotas view (a value out of bounds refused with its reason and nothing changed, an
// override cleared back to the default); a community's own key reads them only. Every view is
// checked with axe-core and for sideways scrolling; screenshots go to
// tests/artifacts/screenshots (settings-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { client, eventually } from './support/api.mjs';
import { launch, openPage } from './support/browser.mjs';
import { startReceiver } from './support/receivers.mjs';
import { PHONE, checked as checkedAs, follow, signInAsAdmin, tabTo } from './support/keyboard.mjs';

let worker, admin, browser, receiver, cid, at;
before(async () => {
  worker = await startWorker();
  admin = client(worker.base, worker.adminToken);
  browser = await launch();
  receiver = await startReceiver();
  cid = (await admin.post('/v1/communities', { name: 'Settings guild' })).body.id;
  at = `/v1/communities/${cid}`;
});
after(async () => {
  await browser?.close();
  receiver?.stop();
  await worker?.stop();
});

const checked = (page, name) => checkedAs(page, `settings-${name}`);
const quotas = async () => (await admin.get(`${at}/quotas`)).body;

test('a subscription\'s failures recovered from its page, once the admin raised in the console the events quota that refused it', async () => {
  // Two events the subscriber refuses for good (410): both deliveries fail at once.
  const sub = (await admin.post(`${at}/webhooks`, { url: `${receiver.url}/hook/recover`, events: ['member.visited'] })).body;
  await receiver.plan('recover', [410, 410]);
  for (const n of [1, 2]) {
    assert.equal((await admin.post(`${at}/events`, { type: 'member.visited', data: { member_id: `m${n}` } })).status, 202);
  }
  const deliveries = async (status) => (await admin.get(`${at}/webhooks/${sub.id}/deliveries?status=${status}`)).body;
  await eventually(async () => (await deliveries('failed')).total === 2, 'two final failures');
  // The community may make no event this minute: a recover, whose resends are events, is refused.
  const deployment = (await quotas()).events_per_minute;
  assert.equal((await admin.patch(`${at}/quotas`, { events_per_minute: 0 })).status, 200);

  const { page, errors } = await openPage(browser, `${worker.base}/`, PHONE);
  await signInAsAdmin(page, worker.adminToken, cid);
  await follow(page, '#nav a[data-section="outgoing"]', `tr[data-subscription="${sub.id}"]`);
  await follow(page, `tr[data-subscription="${sub.id}"] a`, '#sub-recover');
  await checked(page, '01-subscription');
  await tabTo(page, '#sub-recover button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sub-recover-result.bad');
  assert.match(await page.textContent('#sub-recover-result'), /^quota_exceeded: .+/);
  assert.equal((await deliveries('failed')).data.filter((d) => d.resent_as).length, 0, 'nothing was resent');
  await checked(page, '02-recover-refused');

  // The Quotas view, as the admin: a box per override. A value out of bounds beside a good one is
  // refused whole, naming the quota, and its box takes the focus.
  await follow(page, '#nav a[data-section="quotas"]', '#quota-form');
  assert.equal(await page.inputValue('input[data-override="events_per_minute"]'), '0');
  assert.equal(await page.inputValue('input[data-override="payload_days"]'), '', 'no override: the default');
  await checked(page, '03-quotas-admin');
  await tabTo(page, 'input[data-override="events_per_minute"]');
  await page.keyboard.press('Control+a');
  await page.keyboard.type('100');
  await tabTo(page, 'input[data-override="payload_days"]');
  await page.keyboard.type('0');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#quota-result.bad');
  assert.match(await page.textContent('#quota-result'), /^invalid_field: payload_days: must be an integer from 1 to 3650, or null for the default; nothing was changed\.$/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.override), 'payload_days');
  assert.equal(await page.getAttribute('input[data-override="payload_days"]', 'aria-invalid'), 'true');
  assert.deepEqual([(await quotas()).overrides.events_per_minute, (await quotas()).overrides.payload_days], [0, null]);
  await checked(page, '04-quota-refused');
  // Emptied, the payload days stay the default; the events quota is saved.
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#quota-result.ok');
  assert.equal(await page.textContent('#quota-result'), 'Saved: events per minute 100.');
  const raised = await quotas();
  assert.deepEqual([raised.events_per_minute, raised.overrides.events_per_minute, raised.overrides.payload_days], [100, 100, null]);
  assert.equal(await page.textContent('tr[data-quota="events_per_minute"] td:nth-child(2)'), '100');
  await checked(page, '05-quota-saved');
  // Nothing changed: nothing is sent.
  await tabTo(page, '#quota-form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#quota-result').textContent === 'Nothing to save: no override was changed.');

  // Back to the subscription: both failures are resent, once.
  await follow(page, '#nav a[data-section="outgoing"]', `tr[data-subscription="${sub.id}"]`);
  await follow(page, `tr[data-subscription="${sub.id}"] a`, '#sub-recover');
  await tabTo(page, '#sub-recover button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sub-recover-result.ok');
  const since = await page.inputValue('#sub-recover-since');
  assert.equal(await page.textContent('#sub-recover-result'), `Resent 2 failed deliveries since ${since}.`);
  await eventually(async () => (await deliveries('success')).total === 2, 'the two resent, answered 200');
  assert.equal((await receiver.received('recover')).length, 4);
  await checked(page, '06-recovered');
  await tabTo(page, '#sub-recover button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^No delivery that failed since .* waits: nothing was resent\.$/.test(document.querySelector('#sub-recover-result').textContent));
  assert.equal((await receiver.received('recover')).length, 4, 'nothing is resent twice');

  // The override cleared: back to the deployment's default.
  await follow(page, '#nav a[data-section="quotas"]', '#quota-form');
  await tabTo(page, 'input[data-override="events_per_minute"]');
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#quota-result.ok');
  assert.equal(await page.textContent('#quota-result'), 'Saved: events per minute back to the default.');
  const back = await quotas();
  assert.deepEqual([back.overrides.events_per_minute, back.events_per_minute], [null, deployment]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a community\'s own key reads the quotas and cannot edit them', async () => {
  const key = (await admin.post(`${at}/api-keys`, { name: 'community admin' })).body.key;
  const { page, errors } = await openPage(browser, `${worker.base}/`, PHONE);
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#new-webhook');
  await follow(page, '#nav a[data-section="quotas"]', '#quota-limits table');
  assert.equal(await page.$('#quota-form'), null);
  assert.equal(await page.$$eval('#quota-limits input', (inputs) => inputs.length), 0);
  assert.equal(await page.textContent('tr[data-quota="events_per_minute"] td:nth-child(3)'), 'the deployment\'s default');
  await checked(page, '07-quotas-read-only');
  // And the server would refuse it the change anyway.
  assert.equal((await client(worker.base, key).patch(`${at}/quotas`, { events_per_minute: 1 })).status, 403);
  assert.deepEqual(errors, []);
  await page.close();
});
