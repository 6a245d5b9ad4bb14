// Accessibility checks with axe-core, injected into the page under test: the serious and critical
// violations of the current view (none is the goal).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Evaluated through the DevTools protocol, which the console's Content-Security-Policy does not
// govern (a script tag would be refused, as it should be).
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** `[{id, impact, help, nodes: [selector...]}]` of the view's serious and critical violations. */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })));
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
