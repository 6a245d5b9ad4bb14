// Sign in with a community API key, or with the admin token and then a community: one picked from
// the list, or one created here (its form is its own module, loaded when asked for).
import { Api } from '../api.js';
import { describe } from '../engine.js';
import { field, fill, h } from '../dom.js';

export function show(ctx) {
  const token = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, placeholder: 'hmk_… or the admin token' });
  const out = h('p', { id: 'signin-result', role: 'status' });
  // Outside the sign-in form: the picker holds a form of its own (a new community), and forms do
  // not nest.
  const pick = h('div', { id: 'community-pick', hidden: true });
  const form = h('form', { id: 'signin-form' },
    h('h2', {}, 'Sign in'),
    field('Community API key or admin token', token),
    h('button', { type: 'submit' }, 'Sign in'),
    out);
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
      const communities = await api.communities();
      out.textContent = communities.length
        ? 'Signed in as the admin: pick a community, or create one.'
        : 'Signed in as the admin. There are no communities yet: create the first one.';
      await chooseCommunity(ctx, api, pick, communities);
    } catch (e) {
      out.className = 'bad';
      out.textContent = `Not signed in: ${describe(e)}`;
    }
  });
  fill(ctx.view, h('div', { class: 'card narrow' },
    form,
    pick,
    h('p', { class: 'hint' }, 'The key is kept in this tab\'s session storage only: it is gone when you close the tab, and no other tab sees it.'),
    h('p', { class: 'hint' }, 'No key? ', h('a', { href: '#/playground' }, 'Try the mapping playground'), ': it runs in this page.')));
  token.focus();
}

/** The admin's communities to open, and Create community; with none yet, the creation form at once. */
async function chooseCommunity(ctx, api, box, communities) {
  const open = (c) => ctx.signedIn({ token: api.token, cid: c.id, name: c.name, admin: true });
  const creating = h('div', { id: 'community-new' });
  const create = h('button', { type: 'button', id: 'create-community' }, 'Create community');
  const showForm = async () => {
    const { createForm } = await import('./community_new.js');
    create.hidden = true;
    // With no community to go back to, there is nothing to cancel to.
    const back = communities.length ? () => { fill(creating); create.hidden = false; create.focus(); } : null;
    fill(creating, createForm(api, open, back));
    creating.querySelector('input').focus();
  };
  create.addEventListener('click', showForm);
  box.hidden = false;
  if (communities.length === 0) {
    fill(box, create, creating);
    await showForm();
    return;
  }
  const select = h('select', { id: 'community' }, communities.map((c) => h('option', { value: c.id }, `${c.name} (${c.id})`)));
  const openButton = h('button', { type: 'button', id: 'open-community' }, 'Open');
  openButton.addEventListener('click', () => open(communities.find((x) => x.id === select.value)));
  fill(box, field('Community', select), h('div', { class: 'inline' }, openButton, create), creating);
  select.focus();
}
