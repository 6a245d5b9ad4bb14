// Sign in with a community API key, or with the admin token and then a community.
import { Api } from '../api.js';
import { describe } from '../engine.js';
import { field, fill, h } from '../dom.js';

export function show(ctx) {
  const token = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, placeholder: 'hmk_… or the admin token' });
  const out = h('p', { id: 'signin-result', role: 'status' });
  const pick = h('div', { id: 'community-pick', hidden: true });
  const form = h('form', { id: 'signin-form', class: 'card narrow' },
    h('h2', {}, 'Sign in'),
    field('Community API key or admin token', token),
    h('button', { type: 'submit' }, 'Sign in'),
    out,
    pick,
    h('p', { class: 'hint' }, 'The key is kept in this tab\'s session storage only: it is gone when you close the tab, and no other tab sees it.'),
    h('p', { class: 'hint' }, 'No key? ', h('a', { href: '#/playground' }, 'Try the mapping playground'), ': it runs in this page.'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const api = new Api(token.value.trim());
    out.className = '';
    out.textContent = 'Signing in…';
    try {
      const me = await api.me();
      if (me.caller === 'community') {
        ctx.signedIn({ token: api.token, cid: me.community.id, name: me.community.name, admin: false });
        return;
      }
      out.textContent = 'Signed in as the admin: pick a community.';
      chooseCommunity(ctx, api, pick, await api.communities());
    } catch (e) {
      out.className = 'bad';
      out.textContent = `Not signed in: ${describe(e)}`;
    }
  });
  fill(ctx.view, form);
  token.focus();
}

function chooseCommunity(ctx, api, box, communities) {
  if (communities.length === 0) {
    fill(box, h('p', {}, 'There are no communities yet: create one with POST /v1/communities.'));
    box.hidden = false;
    return;
  }
  const select = h('select', { id: 'community' }, communities.map((c) => h('option', { value: c.id }, `${c.name} (${c.id})`)));
  const open = h('button', { type: 'button', id: 'open-community' }, 'Open');
  open.addEventListener('click', () => {
    const c = communities.find((x) => x.id === select.value);
    ctx.signedIn({ token: api.token, cid: c.id, name: c.name, admin: true });
  });
  fill(box, field('Community', select), open);
  box.hidden = false;
  select.focus();
}
