// Quotas and usage, read only: the limits in force, which of them are the community's own
// overrides, and what it uses now. Only the admin token changes them (PATCH …/quotas).
import { fill, h, table } from '../dom.js';
import { title } from './common.js';

export async function show(ctx) {
  const q = await ctx.api.quotas();
  const names = Object.keys(q.overrides);
  const words = (name) => name.replaceAll('_', ' ');
  fill(ctx.view,
    title('Quotas and usage', h('p', { class: 'hint' }, 'The limits in force for this community. Only the admin token changes them, with PATCH …/quotas.')),
    h('section', { class: 'card', id: 'quota-limits', 'aria-label': 'Limits' }, h('h3', {}, 'Limits'),
      table('Limits', ['Quota', 'In force', 'Set by'], names, (n) => [
        words(n), String(q[n]), q.overrides[n] === null ? 'the deployment\'s default' : 'this community\'s override',
      ], (n) => ({ dataset: { quota: n } }))),
    h('section', { class: 'card', id: 'quota-usage', 'aria-label': 'Usage' }, h('h3', {}, 'Usage now'),
      table('Usage', ['What', 'Now'], Object.entries(q.usage), ([n, v]) => [words(n), String(v)],
        ([n]) => ({ dataset: { usage: n } }))));
}
