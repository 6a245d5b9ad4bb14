// The preview the page shows, kept whole: the wasm Engine's preview() answers only what changed
// since its previous preview (crates/hookmap-wasm, Engine::preview), and this merges each answer
// into what it answered before. No DOM: the benchmark (scripts/bench/engine.mjs) runs it too.

const PARTS = ['member', 'idempotency_key', 'message', 'errors'];

export class PreviewState {
  constructor() {
    /** The whole preview as of the last answer: {member, idempotency_key, effects, message, errors, changes}. */
    this.result = null;
  }

  /**
   * Merges `delta`, the engine's answer, into the kept preview and answers it (the same object,
   * updated). A `full` answer replaces what was kept; any other must follow one from the same engine.
   */
  merge(delta) {
    if (delta.full) {
      this.result = { member: null, idempotency_key: null, effects: [], message: null, errors: [], changes: [] };
    } else if (!this.result) {
      throw new Error('a preview that only says what changed, with no earlier preview to change');
    }
    const result = this.result;
    for (const part of PARTS) if (part in delta) result[part] = delta[part];
    if (result.effects.length !== delta.rows) {
      result.effects.length = delta.rows;
      result.changes.length = delta.rows;
    }
    // [i, effect, change, ...]: three items per changed row.
    const changed = delta.changed;
    for (let k = 0; k < changed.length; k += 3) {
      result.effects[changed[k]] = changed[k + 1];
      result.changes[changed[k]] = changed[k + 2];
    }
    return result;
  }
}
