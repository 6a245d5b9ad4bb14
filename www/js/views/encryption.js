// The encryption part of the incoming and outgoing webhook forms: the algorithm (from the engine's
// capabilities), the key and IV (typed, or generated here from the browser's CSPRNG), and for a
// subscription the fixed-IV option. A saved key is never shown again.
import { field, h, randomText } from '../dom.js';

/**
 * `{fieldset, read}` for ids `${prefix}-algorithm`, `-key`, `-iv` (and `-fixed-iv` with `fixedIv`);
 * `current` is the saved `{algorithm, fixed_iv}` or null. `read()` gives the body's `encryption`:
 * null removes it, undefined leaves it as it is.
 */
export function encryptionFields(caps, prefix, current, { fixedIv = false } = {}) {
  const algorithm = h('select', { id: `${prefix}-algorithm` }, h('option', { value: '' }, 'none'),
    caps.algorithms.map((a) => h('option', { value: a.name, selected: a.name === current?.algorithm }, a.name)));
  // The lengths the core requires of the chosen algorithm (the first one's until one is chosen).
  const spec = () => caps.algorithms.find((a) => a.name === algorithm.value) ?? caps.algorithms[0];
  const key = h('input', { id: `${prefix}-key`, autocomplete: 'off', spellcheck: 'false', maxlength: spec().key_len });
  const iv = h('input', { id: `${prefix}-iv`, autocomplete: 'off', spellcheck: 'false', maxlength: spec().iv_len });
  const fixed = fixedIv ? h('input', { id: `${prefix}-fixed-iv`, type: 'checkbox', checked: current?.fixed_iv ?? false }) : null;
  const values = h('div', {},
    h('div', { class: 'inline' }, generated('Key', key, () => spec().key_len, 'a key'), generated('IV', iv, () => spec().iv_len, 'an IV')),
    fixed ? h('label', { class: 'check' }, fixed, 'Fixed IV: every body is base64 under this IV (only for receivers that cannot read the {iv, data} envelope)') : null);
  const show = () => { values.hidden = !algorithm.value; };
  algorithm.addEventListener('change', show);
  show();
  const fieldset = h('fieldset', {}, h('legend', {}, 'Encryption'), field('Algorithm', algorithm),
    current ? h('p', { class: 'hint' }, 'The key and IV are never shown again: type or generate both to change them, or choose none to remove encryption.') : null,
    values);
  const read = () => {
    if (!algorithm.value) return current ? null : undefined;
    const changed = key.value || iv.value || !current || algorithm.value !== current.algorithm
      || (fixed && fixed.checked !== current.fixed_iv);
    if (!changed) return undefined;
    return { algorithm: algorithm.value, key: key.value, iv: iv.value, ...(fixed ? { fixed_iv: fixed.checked } : {}) };
  };
  return { fieldset, read };
}

/** A labelled input with a button that fills it with `length()` random characters. */
function generated(label, input, length, what) {
  const button = h('button', { type: 'button', class: 'small', id: `${input.id}-generate` }, `Generate ${what}`);
  button.addEventListener('click', () => { input.value = randomText(length()); });
  return h('div', { class: 'grow' }, field(label, input, `${length()} characters`), button);
}
