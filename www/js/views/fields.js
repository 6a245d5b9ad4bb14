// User fields: the community's custom fields, which mappings write and members carry. Create one
// (its type is fixed then), rename it, delete one no mapping writes (the server refuses the others
// with field_in_use).
import { field, fill, h, table, when } from '../dom.js';
import { title } from './common.js';
import { attemptTo, deleteButton, outcome, renamable } from './editing.js';

export async function show(ctx) {
  const line = outcome('field-result');
  const key = h('input', { id: 'field-key', required: true, pattern: '[a-z][a-z0-9_]*', maxlength: 64, spellcheck: 'false', autocomplete: 'off' });
  const name = h('input', { id: 'field-name', maxlength: 100, autocomplete: 'off' });
  const type = h('select', { id: 'field-type' }, ctx.caps.field_types.map((t) => h('option', { value: t.name }, t.name)));
  const form = h('form', { id: 'field-form', class: 'card' },
    h('h3', {}, 'New user field'),
    h('div', { class: 'inline' }, field('Key', key, 'a-z, 0-9 and _; fixed'), field('Name', name, 'optional'), field('Type', type, 'fixed')),
    h('button', { type: 'submit' }, 'Create field'));
  const list = h('section', { id: 'field-list', 'aria-label': 'User fields', tabindex: '-1' });
  const draw = async () => {
    const fields = await ctx.api.fields();
    fill(list, fields.length === 0
      ? h('p', { class: 'hint' }, 'No user fields yet. A mapping can set a field once it exists.')
      : table('User fields', ['Key', 'Name', 'Type', 'Created', ''], fields, (f) => [
        h('code', {}, f.key),
        renamable(f.name, `field ${f.key}`, line, (n) => ctx.api.updateField(f.key, { name: n })),
        f.type,
        when(f.created_at),
        deleteButton(`field ${f.key}`, `Delete ${f.key} and every member's value of it?`, line,
          () => ctx.api.deleteField(f.key), async () => { await draw(); list.focus(); }),
      ], (f) => ({ dataset: { field: f.key } })));
    list.querySelector('table')?.classList.add('settings-list');
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const made = await attemptTo(line,
      () => ctx.api.createField({ key: key.value.trim(), name: name.value.trim() || null, type: type.value }),
      (f) => `Created the field ${f.key} (${f.type}).`);
    if (made) {
      form.reset();
      await draw();
      key.focus();
    }
  });
  fill(ctx.view, title('User fields', h('p', { class: 'hint' }, 'Custom fields every member carries; incoming webhooks set them through their mappings.')),
    form, line, list);
  await draw();
}
