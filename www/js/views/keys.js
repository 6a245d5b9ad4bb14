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
      : table('API keys', ['Name', 'Starts with', 'Created', 'Replaced key works until', ''], keys, (k) => [
        k.name, h('code', {}, `${k.prefix}…`), when(k.created_at),
        k.previous_key_verifies_until ? when(k.previous_key_verifies_until) : '—',
        h('span', { class: 'inline' }, rotateButton(k),
          deleteButton(`key ${k.name} (${k.prefix})`, 'Revoke it? Whoever uses it is refused from now on.', line,
            () => ctx.api.deleteKey(k.id), async () => { await draw(); list.focus(); })),
      ], (k) => ({ dataset: { key: k.id } })));
  };
  // Rotating: a new key shown once; the old one works for the hours given (0: stops at once).
  const rotateButton = (k) => {
    const button = h('button', { type: 'button', class: 'small', 'aria-label': `Rotate key ${k.name} (${k.prefix})` }, 'Rotate');
    button.addEventListener('click', () => {
      const hours = h('input', { type: 'number', min: 0, max: 168, value: 24 });
      const ok = h('button', { type: 'submit', class: 'small' }, 'Rotate now');
      const cancel = h('button', { type: 'button', class: 'small' }, 'Cancel');
      const ask = h('form', { class: 'inline' }, field('Old key works for (hours)', hours), ok, cancel);
      cancel.addEventListener('click', () => { ask.replaceWith(button); button.focus(); });
      ask.addEventListener('submit', async (event) => {
        event.preventDefault();
        const made = await attemptTo(line, () => ctx.api.rotateKey(k.id, { previous_key_hours: Number(hours.value) }),
          (r) => (r.previous_key_verifies_until
            ? `Rotated ${r.name}: the old key works until ${when(r.previous_key_verifies_until)}.`
            : `Rotated ${r.name}: the old key stopped working.`));
        if (!made) return;
        // Signed in with the key just rotated: this tab goes on with the new one.
        if (ctx.api.token.startsWith(k.prefix)) ctx.useToken(made.key);
        fill(shown, shownOnce('New API key', made.key, 'Send it as Authorization: Bearer <key>, or sign in to this console with it.'));
        await draw();
        shown.querySelector('input').focus();
      });
      button.replaceWith(ask);
      hours.focus();
    });
    return button;
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
