//! Expressions' numbers against vectors computed by Python's decimal and fractions modules:
//! tests/vectors/make_decimal_vectors.py states the rule (exact results, rounded half to even at
//! the type's precision; overflow fails) and `make vectors` checks the committed file is its output.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use hookmap_core::expr::{Expr, Input, Val};
use rust_decimal::Decimal;
use serde_json::{json, Value};

#[test]
fn every_vector_evaluates_to_pythons_answer() {
    let corpus: Value =
        serde_json::from_str(include_str!("../../../tests/vectors/decimals.json")).unwrap();
    let vectors = corpus["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 300, "{} vectors", vectors.len());
    let payload = json!({});
    let input = Input::from(&payload);
    let mut wrong = Vec::new();
    for vector in vectors {
        let source = vector["expr"].as_str().unwrap();
        let got = Expr::parse(source).and_then(|e| match e.eval(&input) {
            Ok(Val::Num(n)) => Ok(Ok(n)),
            Ok(other) => Ok(Err(format!("not a number: {other:?}"))),
            Err(f) => Err(f),
        });
        let verdict = match (&vector["result"], &vector["error"], got) {
            (Value::String(want), _, Ok(Ok(n))) => {
                let want = Decimal::from_str_exact(want).unwrap();
                (n == want).then_some(()).ok_or(format!("{n}, not {want}"))
            }
            (Value::String(want), _, Ok(Err(other))) => Err(format!("{other}, not {want}")),
            (Value::String(want), _, Err(f)) => {
                Err(format!("{} ({}), not {want}", f.kind.code(), f.message))
            }
            (_, Value::String(want), Err(f)) => (f.kind.code() == want)
                .then_some(())
                .ok_or(format!("{} ({}), not {want}", f.kind.code(), f.message)),
            (_, Value::String(want), Ok(got)) => Err(format!("{got:?}, not the error {want}")),
            _ => panic!("a vector without result or error: {vector}"),
        };
        if let Err(why) = verdict {
            wrong.push(format!("{source}: {why}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} vectors differ:\n{}",
        wrong.len(),
        vectors.len(),
        wrong.join("\n")
    );
}
