// Headless Chromium (Debian's package, installed by scripts/setup.sh) driven by playwright-core.
// The flags keep Chromium off the network: this machine reaches only the package registries.
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where the browser tests keep their screenshots; CI keeps this folder as an artifact. */
export const SCREENSHOTS = join(root, 'tests', 'artifacts', 'screenshots');

export async function launch() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** A page whose script errors fail the test that reads `errors`. Chromium also logs every HTTP
 * error status as a console error; those are answers the tests check, not script errors. */
export async function openPage(browser, url, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.stack ?? String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 15_000 });
  return { page, errors };
}

export function shot(page, name) {
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The console at `base`, signed in with `token` (typed and entered as an admin would), at `hash`. */
export async function signedIn(browser, base, token, hash, viewport) {
  const opened = await openPage(browser, `${base}/`, viewport);
  await opened.page.fill('#token', token);
  await opened.page.press('#token', 'Enter');
  await opened.page.waitForSelector('#nav:not([hidden])');
  await opened.page.evaluate((h) => { location.hash = h; }, hash);
  return opened;
}
