// A new community, made by the admin token at sign-in (`POST /v1/communities`): a name is all it
// takes. The server judges the name (it trims it, then wants 1 to 100 characters) and its refusal
// is shown as it says it, code and message.
import { field, h } from '../dom.js';
import { attemptTo, outcome } from './editing.js';

/**
 * The form: `opened(community)` once the server made it; `back()` for Cancel, or null for no
 * Cancel (there is no community to go back to).
 */
export function createForm(api, opened, back) {
  const name = h('input', { id: 'community-name', required: true, maxlength: 100, autocomplete: 'off' });
  const line = outcome('community-result');
  const submit = h('button', { type: 'submit' }, 'Create community');
  const cancel = back && h('button', { type: 'button', id: 'community-cancel', class: 'quiet' }, 'Cancel');
  cancel?.addEventListener('click', back);
  const form = h('form', { id: 'community-form', 'aria-labelledby': 'community-form-title' },
    h('h3', { id: 'community-form-title' }, 'New community'),
    field('Name', name, 'up to 100 characters'),
    h('div', { class: 'inline' }, submit, cancel),
    line);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // One request at a time: a second press while the first is on its way would make two.
    submit.disabled = true;
    const made = await attemptTo(line, () => api.createCommunity({ name: name.value }),
      (c) => `Created ${c.name} (${c.id}): opening it…`);
    submit.disabled = false;
    if (made) opened(made);
    else name.focus();
  });
  return form;
}
