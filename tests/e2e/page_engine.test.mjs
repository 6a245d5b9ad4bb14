// The page's engine as the page runs it: the module scripts/build-page.sh ships (www/pkg), its
// preview answers merged by www/js/preview_state.js. However long one engine has been kept and
// whatever was typed before, the merged preview must equal a fresh engine's first, whole answer.
// No worker: this is the page's own JS against its own wasm, under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initSync, Engine } from '../../www/pkg/hookmap_wasm.js';
import { PreviewState } from '../../www/js/preview_state.js';
import { utf8Bytes } from '../../www/js/utf8.js';

initSync({ module: readFileSync(new URL('../../www/pkg/hookmap_wasm_bg.wasm', import.meta.url)) });
const { cases } = JSON.parse(readFileSync(new URL('../parity/cases.json', import.meta.url)));
// Low balances, so that subtractions are refused (a change with an error) and befores are not 0.
const member = JSON.stringify({ balances: { xp: 1, coins: 3 }, fields: { orders: 2 } });

/** What one keystroke in the sample may do: each of the text's first digits made one more (mod 10). */
function typed(text) {
  const digits = [...text.matchAll(/[0-9]/g)].slice(0, 8).map((m) => m.index);
  return digits.map((i) => text.slice(0, i) + ((Number(text[i]) + 1) % 10) + text.slice(i + 1));
}

/** A fresh engine given the same inputs, and its first answer merged: the whole preview. */
function whole(c, mapping, payload) {
  const engine = new Engine(JSON.stringify(c.fields));
  engine.setCurrencies(JSON.stringify(c.currencies ?? []));
  engine.setMember(member);
  engine.setMapping(mapping);
  engine.setPayload(utf8Bytes(payload));
  const answer = engine.preview();
  assert.equal(answer[1]?.full, true, 'a fresh engine answers everything');
  return new PreviewState().merge(answer);
}

/** The merged preview of a case's own payload against what the native core planned for it. */
function asExpected(shown, c) {
  const { plan, error } = c.expect;
  if (error) {
    assert.deepEqual({ code: shown.errors[0]?.code, at: shown.errors[0]?.at ?? null }, error, c.name);
    return;
  }
  assert.deepEqual(shown.errors, [], c.name);
  // A payload the filter turns away plans nothing but its key; the rows are still shown.
  if (plan.filtered) {
    assert.deepEqual({ filtered: shown.filtered, idempotency_key: shown.idempotency_key },
      { filtered: plan.filtered, idempotency_key: plan.idempotency_key ?? null }, c.name);
    assert.deepEqual(plan.effects, [], c.name);
    return;
  }
  // A row whose `when` is false shows no effect (null) and no error: the plan leaves it out.
  assert.deepEqual(
    { filtered: shown.filtered, member: shown.member, idempotency_key: shown.idempotency_key, effects: shown.effects.filter((e) => e !== null), message: shown.message },
    { filtered: null, member: null, idempotency_key: null, message: null, ...plan },
    c.name,
  );
}

test('one kept engine, merged answer after answer, shows what a fresh engine shows', () => {
  const engine = new Engine('{}');
  engine.setMember(member);
  const state = new PreviewState();
  const seen = { partial: 0, refused: 0, errors: 0, thrown: 0 };
  for (const c of cases.filter((c) => c.payload !== undefined)) {
    // New fields and currencies: the next answer is whole again.
    engine.setFields(JSON.stringify(c.fields));
    engine.setCurrencies(JSON.stringify(c.currencies ?? []));
    const mapping = JSON.stringify(c.mapping);
    engine.setMapping(mapping);
    const payload = JSON.stringify(c.payload);
    // The last brace deleted, then typed back: a payload that is not JSON in between.
    for (const text of [payload, ...typed(payload), payload.slice(0, -1), payload]) {
      try {
        engine.setPayload(utf8Bytes(text));
      } catch {
        // Not JSON: the page shows the error and keeps its preview, which the next answer changes.
        seen.thrown += 1;
        continue;
      }
      const answer = engine.preview();
      if (!answer[1]?.full) seen.partial += 1;
      const shown = state.merge(answer);
      const expected = whole(c, mapping, text);
      assert.deepEqual(shown, expected, `${c.name}: ${text}`);
      if (text === payload) asExpected(shown, c);
      seen.refused += shown.changes.filter((change) => change?.error).length;
      seen.errors += shown.errors.length;
    }
  }
  // The corpus and the typing reach every kind of answer the merge handles.
  assert.ok(seen.partial > 20, `answers of changes only: ${seen.partial}`);
  assert.ok(seen.refused > 0, 'a change storage would refuse');
  assert.ok(seen.errors > 0, 'a mapping or payload error');
  assert.ok(seen.thrown > 0, 'a payload that is not JSON');
});

test('a mapping typed row by row keeps the preview whole as rows come and go', () => {
  const c = cases.find((c) => c.name === 'the contract example');
  const engine = new Engine(JSON.stringify(c.fields));
  engine.setMember(member);
  const payload = JSON.stringify(c.payload);
  engine.setPayload(utf8Bytes(payload));
  const state = new PreviewState();
  const rows = c.mapping.fields;
  // Rows added one by one, then taken away from the front.
  const steps = [...rows.keys()].map((n) => rows.slice(0, n + 1)).concat([...rows.keys()].map((n) => rows.slice(n + 1)));
  for (const fields of steps) {
    const mapping = JSON.stringify({ ...c.mapping, fields });
    engine.setMapping(mapping);
    const shown = state.merge(engine.preview());
    assert.equal(shown.effects.length, fields.length);
    assert.deepEqual(shown, whole(c, mapping, payload), mapping);
  }
});
