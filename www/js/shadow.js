// The shadow replay's panel: the edited mapping run over the webhook's latest stored payloads in
// this page (the engine's `shadow`), each delivery's stored outcome beside the new one. The kinds
// and what they mean come from the engine; nothing is sent.
import { fill, h, table, when } from './dom.js';
import { describe } from './engine.js';
import { describeEffect } from './preview.js';

export class ShadowPanel {
  /** `run()` resolves to the engine's shadow result for the mapping as it is now. */
  constructor(root, caps, run) {
    this.root = root;
    this.kinds = Object.fromEntries((caps.shadow_kinds ?? []).map((k) => [k.name, k]));
    this.run = run;
    this.summary = root.querySelector('#shadow-summary');
    this.list = root.querySelector('#shadow-list');
    root.querySelector('#shadow-run').addEventListener('click', () => this.start());
  }

  reset() {
    this.summary.textContent = '';
    this.summary.className = '';
    fill(this.list);
  }

  /** The mapping changed since the last run: its results no longer describe it. */
  stale() {
    if (this.list.childElementCount) this.summary.textContent = 'The mapping changed since this shadow replay: run it again.';
  }

  async start() {
    this.summary.className = '';
    this.summary.textContent = 'Running…';
    performance.mark('shadow-start');
    try {
      const result = await this.run();
      this.render(result);
      performance.measure('shadow-replay', 'shadow-start');
    } catch (e) {
      this.summary.className = 'bad';
      this.summary.textContent = `No shadow replay: ${describe(e)}`;
      fill(this.list);
    }
  }

  render(result) {
    const counts = Object.entries(result.summary).filter(([, n]) => n > 0);
    const breaks = result.items.some((item) => this.kinds[item.kind]?.breaks);
    this.summary.className = breaks ? 'bad' : 'ok';
    this.summary.textContent = result.items.length === 0
      ? 'This webhook has no stored deliveries yet.'
      : `${result.items.length} deliveries: ${counts.map(([k, n]) => `${n} ${this.label(k)}`).join(', ')}.`;
    fill(this.list, result.items.length === 0 ? null : table('Shadow replay', ['Delivery', 'Received', 'Saved mapping', 'This mapping', 'Verdict'],
      result.items, (item) => [item.id, when(item.created_at), stored(item.stored), planned(item.new), this.verdict(item.kind)],
      (item) => ({ dataset: { delivery: item.id, kind: item.kind }, class: this.tone(item.kind) })));
  }

  label(kind) {
    return this.kinds[kind]?.label ?? kind;
  }

  /** Rows that would change for the worse or the better stand out. */
  tone(kind) {
    if (this.kinds[kind]?.breaks) return 'shadow breaks';
    return this.kinds[kind]?.fixes ? 'shadow fixes' : 'shadow';
  }

  verdict(kind) {
    return [h('strong', {}, this.label(kind)), h('br'), h('span', { class: 'muted' }, this.kinds[kind]?.means ?? '')];
  }
}

/** What happened: the stored status, its error, and the effects applied or planned. */
function stored(side) {
  return [side.status, side.error ? `: ${side.error.code}` : '', effectList(side.effects)];
}

/** What the new mapping would do: its effects, its filter's reason, or its error; nothing when
 * there is no payload. */
function planned(side) {
  if (!side) return '—';
  if (side.error) return `fails: ${side.error.code}${side.error.at ? ` (at ${side.error.at})` : ''}`;
  if (side.plan?.filtered) return `filtered: ${side.plan.filtered}`;
  return ['plans', effectList(side.plan?.effects)];
}

function effectList(effects) {
  return effects?.length ? h('ul', {}, effects.map((e) => h('li', {}, describeEffect(e)))) : null;
}
