// Event types: the catalogue outgoing webhooks subscribe to: the built-ins (with the schema of
// their data) and the community's own, registered here (or by a subscription listing a new name)
// and deleted while no subscription lists them.
import { field, fill, h, table, when } from '../dom.js';
import { title } from './common.js';
import { attemptTo, deleteButton, outcome, said } from './editing.js';

export async function show(ctx) {
  const line = outcome('event-type-result');
  const name = h('input', { id: 'event-type-name', required: true, maxlength: 64, pattern: '[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+', spellcheck: 'false', autocomplete: 'off', placeholder: 'payment.completed' });
  const description = h('input', { id: 'event-type-description', required: true, maxlength: 500, autocomplete: 'off' });
  const schema = h('textarea', { id: 'event-type-schema', rows: 4, spellcheck: 'false', placeholder: '{"type": "object", "required": ["amount"], "properties": {"amount": {"type": "number"}}}' });
  const form = h('form', { id: 'event-type-form', class: 'card' },
    h('h3', {}, 'Register an event type'),
    h('div', { class: 'inline' }, field('Name', name, 'dotted lowercase words'), field('Description', description)),
    field('Schema of its data', schema, 'optional JSON Schema; empty takes any object'),
    h('button', { type: 'submit' }, 'Register'));
  const list = h('section', { id: 'event-type-list', 'aria-label': 'Event types', tabindex: '-1' });
  const draw = async () => {
    const types = await ctx.api.eventTypes();
    fill(list, table('Event types', ['Name', 'Kind', 'Sent by', 'Description', 'Schema', ''], types, (t) => [
      h('code', {}, t.name),
      t.built_in ? 'built in' : 'the community\'s',
      t.emitted_by,
      t.description,
      t.schema
        ? h('details', { class: 'schema' }, h('summary', {}, 'Schema'), h('pre', {}, JSON.stringify(t.schema, null, 2)))
        : h('span', { class: 'muted' }, 'any object'),
      t.built_in ? '' : deleteButton(`event type ${t.name}`, `Delete ${t.name}?`, line,
        () => ctx.api.deleteEventType(t.name), async () => { await draw(); list.focus(); }),
    ], (t) => ({ dataset: { eventType: t.name } })));
    list.querySelector('table')?.classList.add('settings-list');
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let parsed;
    if (schema.value.trim()) {
      try {
        parsed = JSON.parse(schema.value);
      } catch (e) {
        said(line, `The schema is not JSON: ${e.message}`, 'bad');
        schema.focus();
        return;
      }
    }
    const made = await attemptTo(line,
      () => ctx.api.createEventType({ name: name.value.trim(), description: description.value.trim(), schema: parsed }),
      (t) => `Registered ${t.name}${t.created_at ? ` at ${when(t.created_at)}` : ''}.`);
    if (made) {
      form.reset();
      await draw();
      name.focus();
    }
  });
  fill(ctx.view, title('Event types', h('p', { class: 'hint' }, 'What outgoing webhooks may subscribe to. POST …/events publishes the community\'s own types, its data checked against the schema.')),
    form, line, list);
  await draw();
}
