// The preview the page shows, kept whole: the wasm Engine's preview() answers only what changed
// since its previous preview (crates/hookmap-wasm, Engine::preview), and this merges each answer
// into what it answered before. No DOM: the benchmark (scripts/bench/engine.mjs) runs it too.

export class PreviewState {
  constructor() {
    /** The whole preview as of the last answer: {filtered, member, idempotency_key, effects, message, errors, changes}. */
    this.result = null;
  }

  /**
   * Merges `answer`, the engine's `[rows, parts | null, i, effect, before, after, error, ...]`,
   * into the kept preview and answers it (the same object, updated). An answer whose parts say
   * `full` replaces what was kept; any other must follow one from the same engine.
   */
  merge(answer) {
    const rows = answer[0];
    const parts = answer[1];
    if (parts?.full) {
      this.result = { filtered: null, member: null, idempotency_key: null, effects: [], message: null, errors: [], changes: [] };
    } else if (!this.result) {
      throw new Error('a preview that only says what changed, with no earlier preview to change');
    }
    const result = this.result;
    // Each part the answer names (filtered, member, idempotency_key, message, errors) replaces the
    // kept one; `full` is about the answer, not a part.
    if (parts) for (const part in parts) if (part !== 'full') result[part] = parts[part];
    if (result.effects.length !== rows) {
      result.effects.length = rows;
      result.changes.length = rows;
    }
    // Five items per changed row. A row without an effect (it has an error) has no change.
    for (let k = 2; k < answer.length; k += 5) {
      const effect = answer[k + 1];
      result.effects[answer[k]] = effect;
      result.changes[answer[k]] = effect === null ? null : change(answer[k + 2], answer[k + 3], answer[k + 4]);
    }
    return result;
  }
}

/** A row's change as the core serializes it (hookmap_core::Change): `error` only when there is one. */
function change(before, after, error) {
  return error === null ? { before, after } : { before, after, error };
}
