// Currencies: the built-in ones and the community's own. Create one, rename any, delete one of
// the community's own that no member holds and no mapping names (the server says which).
import { field, fill, h, table, when } from '../dom.js';
import { title } from './common.js';
import { attemptTo, deleteButton, outcome, renamable } from './editing.js';

export async function show(ctx) {
  const line = outcome('currency-result');
  const key = h('input', { id: 'currency-key', required: true, pattern: '[a-z][a-z0-9_]*', maxlength: 64, spellcheck: 'false', autocomplete: 'off' });
  const name = h('input', { id: 'currency-name', maxlength: 100, autocomplete: 'off' });
  const form = h('form', { id: 'currency-form', class: 'card' },
    h('h3', {}, 'New currency'),
    h('div', { class: 'inline' }, field('Key', key, 'a-z, 0-9 and _; fixed'), field('Name', name, 'optional')),
    h('button', { type: 'submit' }, 'Create currency'));
  const list = h('section', { id: 'currency-list', 'aria-label': 'Currencies', tabindex: '-1' });
  const draw = async () => {
    const currencies = await ctx.api.currencies();
    fill(list, table('Currencies', ['Key', 'Name', 'Kind', 'Created', ''], currencies, (c) => [
      h('code', {}, c.key),
      renamable(c.name, `currency ${c.key}`, line, (n) => ctx.api.updateCurrency(c.key, { name: n })),
      c.built_in ? 'built in' : 'the community\'s',
      when(c.created_at),
      c.built_in ? '' : deleteButton(`currency ${c.key}`, `Delete ${c.key}?`, line,
        () => ctx.api.deleteCurrency(c.key), async () => { await draw(); list.focus(); }),
    ], (c) => ({ dataset: { currency: c.key } })));
    list.querySelector('table')?.classList.add('settings-list');
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const made = await attemptTo(line,
      () => ctx.api.createCurrency({ key: key.value.trim(), name: name.value.trim() || null }),
      (c) => `Created the currency ${c.key}.`);
    if (made) {
      form.reset();
      await draw();
      key.focus();
    }
  });
  fill(ctx.view, title('Currencies', h('p', { class: 'hint' }, 'Balances members hold; mappings add to them, subtract from them or set them.')),
    form, line, list);
  await draw();
}
