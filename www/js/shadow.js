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
    this.summary.className = result.summary.would_fail ? 'bad' : 'ok';
    this.summary.textContent = result.items.length === 0
      ? 'This webhook has no stored deliveries yet.'
      : `${result.items.length} deliveries: ${counts.map(([k, n]) => `${n} ${this.label(k)}`).join(', ')}.`;
    fill(this.list, result.items.length === 0 ? null : table('Shadow replay', ['Delivery', 'Received', 'Saved mapping did', 'This mapping would', 'Verdict'],
      result.items, (item) => [item.delivery_id, when(item.created_at), outcome(item.before), outcome(item.after), this.verdict(item.kind)],
      (item) => ({ dataset: { delivery: item.delivery_id, kind: item.kind }, class: `shadow ${item.kind}` })));
  }

  label(kind) {
    return this.kinds[kind]?.label ?? kind.replaceAll('_', ' ');
  }

  verdict(kind) {
    return h('span', { title: this.kinds[kind]?.means ?? '' }, this.label(kind));
  }
}

/** One side of a comparison: its status or error, and its effects. */
function outcome(side) {
  if (!side) return '—';
  const effects = side.effects?.length ? h('ul', {}, side.effects.map((e) => h('li', {}, describeEffect(e)))) : null;
  const head = side.error ? `${side.status ?? 'fails'}: ${side.error.code}` : side.status ?? 'applies';
  return [head, effects];
}
