// Building the console's DOM. Every string handed to `h` becomes a text node, never markup: values
// from payloads and from the server are shown as the text they are, whatever they hold.

/**
 * An element `tag` with `props` and `children`. Props: `class`, `dataset` (an object), `on<event>`
 * (a listener), booleans and `value` as properties (`hidden`, `disabled`, `checked`...), anything
 * else as an attribute. Children: nodes, strings (as text), arrays of them; null and false skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null) continue;
    if (key.startsWith('on') && typeof v === 'function') el.addEventListener(key.slice(2), v);
    else if (key === 'class') el.className = v;
    else if (key === 'dataset') Object.assign(el.dataset, v);
    else if (key === 'value') el.value = v;
    // `readonly` and friends are attributes whose property is spelled otherwise (`readOnly`).
    else if (typeof v === 'boolean') { if (key in el) el[key] = v; else el.toggleAttribute(key, v); }
    else el.setAttribute(key, String(v));
  }
  add(el, children);
  return el;
}

/** Appends `children` (as for `h`) to `el`. */
export function add(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Replaces what `el` holds with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

/** A labelled control: `<label>text <control></label>`, with an optional hint after the text. */
export function field(text, control, hint) {
  return h('label', {}, text, hint ? h('span', { class: 'muted' }, ` (${hint})`) : null, control);
}

/** A table with a header row; `cells(row)` gives each row's cells (nodes or text). */
export function table(caption, headers, rows, cells, rowProps = () => ({})) {
  return h('table', { class: 'list' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', rowProps(r), cells(r).map((c) => h('td', {}, c))))));
}

/** A short instant for tables: `2026-11-30 03:12:45` (UTC, as the API stores it). */
export function when(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '';
}

/** A button that copies `text()` to the clipboard and says so. */
export function copyButton(label, text) {
  const button = h('button', { type: 'button', class: 'small' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy it';
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}

/** A text of `length` random letters and digits, from the browser's CSPRNG (keys and IVs). */
export function randomText(length) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // 62 letters: drawing from 0..247 and dropping the rest keeps every letter equally likely.
  const out = [];
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248 && out.length < length) out.push(alphabet[b % 62]);
    }
  }
  return out.join('');
}
