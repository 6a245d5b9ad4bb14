// Driving the console as a keyboard user on a phone does, and checking each view it reaches: the
// browser suites that walk a flow view by view (loop.test.mjs, console_settings.test.mjs).
import assert from 'node:assert/strict';
import { shot } from './browser.mjs';
import { seriousViolations } from './axe.mjs';

export const PHONE = { width: 390, height: 844 };

/** Presses Tab until `selector` has the focus, as a keyboard user does. */
export async function tabTo(page, selector) {
  for (let i = 0; i < 200; i += 1) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel), selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector}`);
}

/** The view is axe clean and fits the phone; then its screenshot, `name`.png. */
export async function checked(page, name) {
  await page.waitForLoadState('networkidle');
  const found = await seriousViolations(page);
  assert.deepEqual(found, [], `${name}: ${JSON.stringify(found, null, 1)}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name} is ${overflow}px wider than the phone`);
  await shot(page, name);
}

/** Follows the link or presses the button `selector` (the nav's among them) by keyboard, from the
 * top of the page, until `ready` is drawn. */
export async function follow(page, selector, ready) {
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, selector);
  await page.keyboard.press('Enter');
  await page.waitForSelector(ready);
}

/** On the sign-in view: the admin token typed, then community `cid` picked and opened. */
export async function signInAsAdmin(page, token, cid) {
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#community');
  await page.selectOption('#community', cid);
  await tabTo(page, '#open-community');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#new-webhook');
}
