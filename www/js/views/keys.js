// The community's API keys: each signs the console and the API in as the community. A new key is
// shown once; revoking one ends every session and caller that uses it.
import { field, fill, h, table, when } from '../dom.js';
import { shownOnce, title } from './common.js';
import { attemptTo, deleteButton, outcome } from './editing.js';

export async function show(ctx) {
  const line = outcome('key-result');
  const name = h('input', { id: 'key-name', maxlength: 100, autocomplete: 'off', placeholder: 'e.g. shop backend' });
  const shown = h('div', { id: 'key-shown' });
  const form = h('form', { id: 'key-form', class: 'card' },
    h('h3', {}, 'New API key'),
    h('div', { class: 'inline' }, field('Name', name, 'who uses it')),
    h('button', { type: 'submit' }, 'Create key'));
  const list = h('section', { id: 'key-list', 'aria-label': 'API keys', tabindex: '-1' });
  const draw = async () => {
    const keys = await ctx.api.keys();
    fill(list, keys.length === 0
      ? h('p', { class: 'hint' }, 'No API keys: only the admin token reaches this community.')
      : table('API keys', ['Name', 'Starts with', 'Created', ''], keys, (k) => [
        k.name, h('code', {}, `${k.prefix}…`), when(k.created_at),
        deleteButton(`key ${k.name} (${k.prefix})`, 'Revoke it? Whoever uses it is refused from now on.', line,
          () => ctx.api.deleteKey(k.id), async () => { await draw(); list.focus(); }),
      ], (k) => ({ dataset: { key: k.id } })));
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const made = await attemptTo(line, () => ctx.api.createKey({ name: name.value.trim() || null }), (k) => `Created the key ${k.name}.`);
    if (!made) return;
    form.reset();
    fill(shown, shownOnce('API key', made.key, 'Send it as Authorization: Bearer <key>, or sign in to this console with it.'));
    shown.querySelector('input').focus();
    await draw();
  });
  fill(ctx.view, title('API keys', h('p', { class: 'hint' }, 'Keys for the management API and this console, as this community. Revoking the key you signed in with signs you out at the next call.')),
    form, line, shown, list);
  await draw();
}
