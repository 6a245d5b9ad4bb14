// What the settings views share: a line saying how an action went, a name renamed in place, and
// a delete that asks first and says why the server refused it.
import { h } from '../dom.js';
import { describe } from '../engine.js';
import { confirmThen } from './common.js';

/** A status line for a view's actions; `said(line, text, kind)` writes it. */
export function outcome(id) {
  return h('p', { id, role: 'status' });
}

export function said(line, text, kind = '') {
  line.className = kind;
  line.textContent = text;
}

/** Runs `action`, then says `done(result)` or why it failed; answers the result or undefined. */
export async function attemptTo(line, action, done) {
  said(line, 'Working…');
  try {
    const result = await action();
    said(line, done(result), 'ok');
    return result;
  } catch (e) {
    said(line, describe(e), 'bad');
    return undefined;
  }
}

/**
 * A name with a Rename button (its label names `what`); Rename shows an input and Save, which
 * runs `save(name)` and shows the new name.
 */
export function renamable(name, what, line, save) {
  const text = h('span', {}, name);
  const rename = h('button', { type: 'button', class: 'small', 'aria-label': `Rename ${what}` }, 'Rename');
  const box = h('span', { class: 'inline' }, text, rename);
  rename.addEventListener('click', () => {
    const input = h('input', { value: text.textContent, 'aria-label': `New name of ${what}`, required: true, maxlength: 100 });
    const ok = h('button', { type: 'submit', class: 'small' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'small' }, 'Cancel');
    const form = h('form', { class: 'inline' }, input, ok, cancel);
    const back = () => { form.replaceWith(box); rename.focus(); };
    cancel.addEventListener('click', back);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const saved = await attemptTo(line, () => save(input.value.trim()), (r) => `Renamed ${what} to ${r.name}.`);
      if (saved) text.textContent = saved.name;
      if (saved) back();
    });
    box.replaceWith(form);
    input.focus();
  });
  return box;
}

/** A Delete button (labelled for `what`) that asks, runs `remove`, then `after()`. */
export function deleteButton(what, question, line, remove, after) {
  const button = h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${what}` }, 'Delete');
  button.addEventListener('click', () => confirmThen(button, question, async () => {
    const gone = await attemptTo(line, async () => { await remove(); return true; }, () => `Deleted ${what}.`);
    if (gone) await after();
  }));
  return button;
}
