// An incoming webhook's settings, for creating one and for editing it: name, location, enabled,
// API key (and where senders put it), signature, rate limit, what a delivery for a member who has
// not joined does, encryption. Generated secrets are shown
// once; the encryption key and IV are typed (or generated here) and never shown again.
import { describe } from '../engine.js';
import { field, fill, h } from '../dom.js';
import { confirmThen, shownOnce } from './common.js';
import { encryptionFields } from './encryption.js';
import { signatureSection } from './signature.js';

/** The API key: what the answer calls it, how the page names it, what it is for. */
export const API_KEY = { prop: 'api_key', label: 'API key', noun: 'an API key', use: 'Senders put it in the x-api-key header (or the URL, if the webhook takes it there).' };

/** The form; `webhook` is null to create one. `onSaved(answer)` gets the server's answer. */
export function webhookForm(ctx, webhook, onSaved) {
  const caps = ctx.caps;
  const editing = Boolean(webhook);
  const name = h('input', { id: 'wh-name', required: true, maxlength: 100, value: webhook?.name ?? '' });
  const location = h('select', { id: 'wh-location' },
    caps.locations.map((l) => h('option', { value: l.name, selected: l.name === webhook?.location }, `${l.name}: ${l.does}`)));
  const enabled = h('input', { id: 'wh-enabled', type: 'checkbox', checked: webhook?.enabled ?? true });
  const rate = h('input', { id: 'wh-rate', type: 'number', min: 1, max: 100000, value: String(webhook?.rate_limit ?? 600) });
  // What a delivery for someone who has not joined yet does; the first choice is the default.
  const unknown = h('select', { id: 'wh-on-unknown-member' },
    caps.unknown_member_policies.map((p) => h('option', { value: p.name, selected: p.name === webhook?.on_unknown_member }, p.label)));
  const encryption = encryptionFields(caps, 'wh', webhook?.encryption ?? null);
  const out = h('p', { id: 'wh-result', role: 'status' });

  const keyIn = h('select', { id: 'wh-api-key-in' },
    caps.api_key_places.map((p) => h('option', { value: p.name, selected: p.name === webhook?.api_key_in }, p.label)));
  const key = editing
    ? secretControls(ctx, webhook, API_KEY, onSaved)
    : h('label', { class: 'check' }, h('input', { id: 'wh-api-key', type: 'checkbox' }), 'Require an API key (generated now, shown once)');
  const signature = signatureSection(ctx, webhook, onSaved);

  const form = h('form', { id: 'webhook-form', class: 'card' },
    field('Name', name),
    field('Location', location, 'what its deliveries do'),
    h('label', { class: 'check' }, enabled, 'Enabled: the edge accepts its deliveries'),
    h('fieldset', {}, h('legend', {}, 'API key'), key, field('Senders put the key', keyIn, 'proxies and logs keep URLs: prefer a header')),
    signature.element,
    field('Rate limit', rate, 'deliveries a minute'),
    field('A member who has not joined', unknown, 'held deliveries show as pending (member_unknown) in the history and apply when the member is created'),
    encryption.fieldset,
    h('button', { type: 'submit' }, editing ? 'Save settings' : 'Create the webhook'),
    out);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), location: location.value, enabled: enabled.checked, rate_limit: Number(rate.value), api_key_in: keyIn.value, on_unknown_member: unknown.value };
    const sealed = encryption.read();
    if (sealed !== undefined) body.encryption = sealed;
    if (!editing) {
      body.api_key = form.querySelector('#wh-api-key').checked;
      const signed = signature.read();
      if (signed) body.signature = signed;
    }
    out.className = '';
    out.textContent = 'Saving…';
    try {
      const saved = editing ? await ctx.api.updateWebhook(webhook.id, body) : await ctx.api.createWebhook(body);
      out.className = 'ok';
      out.textContent = editing ? `Saved: version ${saved.version}.` : 'Created.';
      for (const w of saved.warnings ?? []) form.append(h('p', { class: 'warning' }, w.message));
      onSaved(saved);
    } catch (e) {
      out.className = 'bad';
      out.textContent = `Not saved: ${describe(e)}${e.at ? ` (at ${e.at})` : ''}`;
    }
  });
  return form;
}

/** The API key of a saved webhook: whether it is set, generate or rotate, remove. */
function secretControls(ctx, webhook, { prop, label, noun, use }, onSaved) {
  const box = h('div', { class: 'secret', dataset: { secret: prop } });
  const the = noun.replace(/^an? /, 'the ');
  const draw = () => {
    const set = Boolean(webhook[prop]);
    const rotate = h('button', { type: 'button', class: 'small', dataset: { action: 'rotate' } }, set ? `Rotate ${the}` : `Generate ${noun}`);
    const remove = h('button', { type: 'button', class: 'small quiet', hidden: !set, dataset: { action: 'remove' } }, `Remove ${the}`);
    const change = async (value) => {
      try {
        const saved = await ctx.api.updateWebhook(webhook.id, { [prop]: value });
        Object.assign(webhook, saved);
        draw();
        if (typeof saved[prop] === 'string') box.append(shownOnce(label, saved[prop], use));
        onSaved(saved);
      } catch (e) {
        box.append(h('p', { class: 'bad' }, describe(e)));
      }
    };
    rotate.addEventListener('click', () => change(true));
    remove.addEventListener('click', () => confirmThen(remove, `Really remove it? Senders then need none.`, () => change(false)));
    fill(box, h('p', {}, `${label}: `, h('strong', {}, set ? 'required' : 'not required')), h('div', { class: 'inline' }, rotate, remove));
  };
  draw();
  return box;
}
