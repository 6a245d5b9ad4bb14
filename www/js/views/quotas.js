// Quotas and usage: the limits in force, which of them are the community's own overrides, and
// what it uses now. Signed in with the admin token, the overrides are edited here (PATCH
// …/quotas); a community's own key reads them only, since the server refuses it the change (403).
import { fill, h, table } from '../dom.js';
import { describe } from '../engine.js';
import { title } from './common.js';
import { outcome, said } from './editing.js';

const words = (name) => name.replaceAll('_', ' ');

export async function show(ctx) {
  const q = await ctx.api.quotas();
  const admin = Boolean(ctx.session?.admin);
  const limits = h('section', { class: 'card', id: 'quota-limits', 'aria-label': 'Limits' });
  const usage = h('section', { class: 'card', id: 'quota-usage', 'aria-label': 'Usage' });
  const draw = (shown) => {
    fill(limits, h('h3', {}, 'Limits'), admin ? overridesForm(ctx, shown, draw) : readOnly(shown));
    fill(usage, h('h3', {}, 'Usage now'),
      table('Usage', ['What', 'Now'], Object.entries(shown.usage), ([n, v]) => [words(n), String(v)],
        ([n]) => ({ dataset: { usage: n } })));
  };
  draw(q);
  fill(ctx.view,
    title('Quotas and usage', h('p', { class: 'hint' }, admin
      ? 'The limits in force for this community. As the admin, set an override, or empty its box to go back to the deployment\'s default.'
      : 'The limits in force for this community. Only the admin token changes them.')),
    limits, usage);
}

const setBy = (q, n) => (q.overrides[n] === null ? 'the deployment\'s default' : 'this community\'s override');

function readOnly(q) {
  return table('Limits', ['Quota', 'In force', 'Set by'], Object.keys(q.overrides), (n) => [words(n), String(q[n]), setBy(q, n)],
    (n) => ({ dataset: { quota: n } }));
}

/**
 * The limits with a box per override (empty: the default). Saving sends only the boxes changed, in
 * one PATCH, which the server checks whole before writing: a value out of bounds changes nothing,
 * and its box is named and focused. `redraw(quotas)` shows what the server answered.
 */
function overridesForm(ctx, q, redraw) {
  const names = Object.keys(q.overrides);
  const line = outcome('quota-result');
  const boxes = Object.fromEntries(names.map((n) => [n, h('input', {
    inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false', placeholder: 'default',
    value: q.overrides[n] === null ? '' : String(q.overrides[n]), 'aria-label': `Override of ${words(n)}`, dataset: { override: n },
  })]));
  const form = h('form', { id: 'quota-form' },
    table('Limits', ['Quota', 'In force', 'Override'], names, (n) => [words(n), String(q[n]), boxes[n]],
      (n) => ({ dataset: { quota: n } })),
    h('button', { type: 'submit' }, 'Save overrides'), line);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const box of Object.values(boxes)) box.removeAttribute('aria-invalid');
    const changed = Object.fromEntries(names.map((n) => [n, overrideOf(boxes[n].value)])
      .filter(([n, v]) => v !== q.overrides[n]));
    if (Object.keys(changed).length === 0) {
      said(line, 'Nothing to save: no override was changed.');
      return;
    }
    said(line, 'Saving…');
    try {
      const saved = await ctx.api.updateQuotas(changed);
      redraw(saved);
      const again = ctx.view.querySelector('#quota-result');
      if (!again) return;
      said(again, `Saved: ${Object.entries(changed).map(([n, v]) => `${words(n)} ${v ?? 'back to the default'}`).join(', ')}.`, 'ok');
      ctx.view.querySelector('#quota-form button[type=submit]').focus();
    } catch (e) {
      // The server checks every member before it writes: a refusal (4xx) changed nothing.
      const box = boxes[e.at];
      const named = !box || e.message.includes(e.at) ? '' : ` (at ${words(e.at)})`;
      said(line, `${describe(e)}${named}${e.status >= 400 && e.status < 500 ? '; nothing was changed.' : ''}`, 'bad');
      box?.setAttribute('aria-invalid', 'true');
      box?.focus();
    }
  });
  return form;
}

/** A box's text as the API takes it: empty is null (the default), a whole number a number, and
 * anything else as typed, for the server to refuse with its reason. */
function overrideOf(text) {
  const t = text.trim();
  if (t === '') return null;
  return /^-?[0-9]{1,15}$/.test(t) ? Number(t) : t;
}
