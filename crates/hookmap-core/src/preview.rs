//! `preview`: what the mapping page shows while an admin edits. Where [`crate::Mapping::parse`] and
//! [`crate::plan()`] stop at the first error, the preview checks every part of the mapping on its
//! own and computes every effect it can, so each row of the form gets its own effect or error.
//!
//! It is built from the very functions the edge runs, and it agrees with the edge by construction:
//! its `plan` is the edge's plan when there is no error, and its first error is the edge's error.

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::expr::{Expr, Input, Trace};
use crate::mapping::{self, FieldMapping, Mapping, Source, UserMatch};
use crate::message::{self, MessageMapping, PlannedMessage};
use crate::path::Path;
use crate::plan::{self as planning, Effect, MemberRef, Plan};

/// The outcome of a mapping on a sample payload, part by part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// What the edge would apply: present exactly when `errors` is empty.
    pub plan: Option<Plan>,
    /// Why the mapping's filter turns the payload away. The rows are still computed, to be
    /// shown, but only the mapping's own errors are reported: the edge would apply nothing.
    pub filtered: Option<String>,
    /// The member the payload names, when `user` is valid and the payload has it.
    pub member: Option<MemberRef>,
    /// The idempotency key, when `idempotency_path` is set, valid and found.
    pub idempotency_key: Option<String>,
    /// One entry per `fields` row, in order: its effect, or null when the row has an error or
    /// its `when` is false.
    pub effects: Vec<Option<Effect>>,
    /// The rendered message, when the mapping posts one and it renders.
    pub message: Option<PlannedMessage>,
    /// Every error, each naming its place (`at`). Mapping errors come first, in document order,
    /// then payload errors, so the first one is what the edge would answer.
    pub errors: Vec<Error>,
}

/// Previews `mapping` (raw JSON, possibly invalid) on `payload`.
pub fn preview(mapping: &Value, payload: &Value, catalog: &Catalog) -> Preview {
    Draft::parse(mapping, catalog).preview(payload)
}

/// A mapping as the admin is writing it, parsed once: every part on its own, with the errors of
/// the faulty ones. The page keeps one while the sample payload changes, so a keystroke in the
/// payload only plans ([`Draft::preview`], [`Draft::plan`]) and never parses the mapping again.
#[derive(Debug, Clone)]
pub struct Draft {
    catalog: Catalog,
    filter: Option<Expr>,
    user: Option<UserMatch>,
    key_path: Option<Path>,
    /// One entry per `fields` row: the parsed row, or `None` when it has an error.
    rows: Vec<Option<FieldMapping>>,
    message: Option<MessageMapping>,
    /// The mapping as [`Mapping::parse`] gives it, or its first error (that of `errors`).
    mapping: Result<Mapping, Error>,
    /// Every mapping error, in document order.
    errors: Vec<Error>,
}

impl Draft {
    /// Parses every part of `mapping` against the community's fields and currencies.
    pub fn parse(mapping: &Value, catalog: &Catalog) -> Self {
        let mut parsed = ParseErrors::default();
        let (mut user, mut key_path, mut rows, mut message) = (None, None, Vec::new(), None);
        let mut filter = None;
        if let Some(root) = parsed.keep(mapping::root(mapping)) {
            // Parse every part: a mapping error anywhere outranks any payload error.
            parsed.keep(mapping::reject_unknown_root(root));
            filter = parsed.keep(mapping::filter(root)).flatten();
            user = parsed.keep(mapping::user(root)).flatten();
            key_path = parsed.keep(mapping::idempotency_path(root)).flatten();
            rows = parsed
                .keep(mapping::rows(root))
                .map(|list| {
                    list.iter()
                        .enumerate()
                        .map(|(i, row)| parsed.keep(mapping::field_mapping(row, i, catalog)))
                        .collect()
                })
                .unwrap_or_default();
            message = parsed.keep(mapping::message(root)).flatten();
        }
        let errors = parsed.0;
        let valid = match errors.first() {
            Some(first) => Err(first.clone()),
            None => Ok(Mapping {
                filter: filter.clone(),
                user: user.clone(),
                idempotency_path: key_path.clone(),
                fields: rows.iter().flatten().cloned().collect(),
                message: message.clone(),
            }),
        };
        Self {
            catalog: catalog.clone(),
            filter,
            user,
            key_path,
            rows,
            message,
            mapping: valid,
            errors,
        }
    }

    /// The valid mapping, as the API would store it, or the first error (the edge's).
    pub fn mapping(&self) -> Result<&Mapping, &Error> {
        self.mapping.as_ref()
    }

    /// What the edge does with `payload`: [`Mapping::parse`] then [`planning::plan`].
    pub fn plan<'p>(&self, input: impl Into<Input<'p>>) -> Result<Plan, Error> {
        let mapping = self.mapping().map_err(Clone::clone)?;
        planning::plan(mapping, input, self.catalog.fields())
    }

    /// Every part's effect or error on `payload`.
    pub fn preview<'p>(&self, input: impl Into<Input<'p>>) -> Preview {
        let input = input.into();
        let payload = input.payload;
        let mut out = Preview {
            plan: None,
            filtered: None,
            member: None,
            idempotency_key: None,
            effects: Vec::new(),
            message: None,
            errors: self.errors.clone(),
        };
        let mapping_errors = out.errors.len();
        // First, as at the edge: a filter's failure is the delivery's first payload error.
        out.filtered = out
            .keep(planning::filtered(self.filter.as_ref(), &input))
            .flatten();
        if let Some(user) = &self.user {
            out.member = out.keep(planning::member(user, payload));
        }
        if let Some(path) = &self.key_path {
            out.idempotency_key = out.keep(planning::key_at(payload, path));
        }
        out.effects = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let row = row.as_ref()?;
                out.keep(planning::effect(row, i, &input, self.catalog.fields()))
                    .flatten()
            })
            .collect();
        if let Some(m) = &self.message {
            out.message = out.keep(message::plan(m, payload));
        }

        if let Some(reason) = &out.filtered {
            out.errors.truncate(mapping_errors);
            if out.errors.is_empty() {
                out.plan = Some(Plan {
                    filtered: Some(reason.clone()),
                    member: None,
                    idempotency_key: out.idempotency_key.clone(),
                    effects: Vec::new(),
                    message: None,
                });
            }
        } else if out.errors.is_empty() {
            out.plan = Some(Plan {
                filtered: None,
                member: out.member.clone(),
                idempotency_key: out.idempotency_key.clone(),
                effects: out.effects.iter().flatten().cloned().collect(),
                message: out.message.clone(),
            });
        }
        out
    }
}

/// An expression evaluated on a sample step by step, for the page: each part it computed, inner
/// parts first, then the whole's value, or the error it stopped at (the steps before it stay).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Steps {
    pub steps: Vec<Step>,
    pub value: Option<Value>,
    pub error: Option<Error>,
}

/// One part of an expression and its value. `at..end` are characters of the source, `text` is
/// that part of it, and `short` the same with the parts already shown as earlier steps cut to
/// `…`: `round(decimal(total_price) * 10)` reads `round(…)`, after a step for `… * 10`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub at: usize,
    pub end: usize,
    pub text: String,
    pub short: String,
    pub value: Value,
}

/// A field row's expressions on a sample: its `when`, then its `value`. As at the edge, the value
/// is computed only when there is no `when` or it is true.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowSteps {
    pub when: Option<Steps>,
    pub value: Option<Steps>,
}

impl Draft {
    /// Row `index`'s expressions on `input`, step by step; `None` when the row has none, or did
    /// not parse (its error is in the preview's `errors`).
    pub fn steps<'p>(&self, index: usize, input: impl Into<Input<'p>>) -> Option<RowSteps> {
        let row = self.rows.get(index)?.as_ref()?;
        let value = match &row.source {
            Source::Value(expr) => Some(expr),
            Source::Path(_) => None,
        };
        if value.is_none() && row.when.is_none() {
            return None;
        }
        let input = input.into();
        let when = row
            .when
            .as_ref()
            .map(|when| steps(when, &input, &format!("fields[{index}].when")));
        let applies = when
            .as_ref()
            .is_none_or(|w| w.value == Some(Value::Bool(true)));
        Some(RowSteps {
            value: value
                .filter(|_| applies)
                .map(|value| steps(value, &input, &format!("fields[{index}].value"))),
            when,
        })
    }
}

/// `expr` evaluated on `input` step by step; an error is placed at `place` (`fields[2].value`).
pub fn steps(expr: &Expr, input: &Input<'_>, place: &str) -> Steps {
    let (out, trace) = expr.eval_traced(input);
    let (value, error) = match out {
        Ok(value) => (Some(value.to_json()), None),
        Err(fault) => (None, Some(fault.at(place))),
    };
    let source: Vec<char> = expr.source().chars().collect();
    let text = |at: usize, end: usize| -> String {
        source.get(at..end).unwrap_or_default().iter().collect()
    };
    // A name read only for its member (`order` in `order.total`) is no step of its own: the
    // member's value is the one that matters.
    let kept: Vec<&Trace> = trace
        .iter()
        .enumerate()
        .filter(|&(i, t)| {
            !trace.get(i + 1).is_some_and(|next| {
                next.at == t.at && matches!(source.get(t.end), Some('.' | '[')) && next.end > t.end
            })
        })
        .map(|(_, t)| t)
        .collect();
    let steps = kept
        .iter()
        .enumerate()
        .map(|(k, t)| Step {
            at: t.at,
            end: t.end,
            text: text(t.at, t.end),
            short: shortened(&source, t, kept.get(..k).unwrap_or_default()),
            value: t.value.clone(),
        })
        .collect();
    Steps {
        steps,
        value,
        error,
    }
}

/// `step`'s source with the earlier steps it contains cut to `…`. The trace lists each part after
/// its own parts, so the latest earlier step inside `step` is one of its outermost parts.
fn shortened(source: &[char], step: &Trace, earlier: &[&Trace]) -> String {
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for part in earlier.iter().rev() {
        let inside = step.at <= part.at
            && part.end <= step.end
            && (part.at, part.end) != (step.at, step.end);
        if inside
            && !cut
                .iter()
                .any(|&(at, end)| at <= part.at && part.end <= end)
        {
            // Kept in order by inserting in place: a sort would add its ~8 KB to the page's wasm.
            let at = cut.partition_point(|&(a, _)| a < part.at);
            cut.insert(at, (part.at, part.end));
        }
    }
    let mut out = String::new();
    let mut i = step.at;
    for (at, end) in cut {
        out.extend(source.get(i..at).unwrap_or_default());
        out.push('…');
        i = end;
    }
    out.extend(source.get(i..step.end).unwrap_or_default());
    out
}

#[derive(Default)]
struct ParseErrors(Vec<Error>);

impl ParseErrors {
    fn keep<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }
}

impl Preview {
    fn keep<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ops::FieldType;
    use serde_json::json;

    fn fields() -> Catalog {
        Catalog::new([("tier".to_owned(), FieldType::Text)].into(), ["gems"])
    }

    #[test]
    fn reports_every_faulty_row_and_still_computes_the_others() {
        let mapping = json!({
            "user": {"match": "email", "path": "who"},
            "fields": [
                {"target": {"currency": "coins"}, "op": "add", "path": "coins"},
                {"target": {"currency": "xp"}, "op": "overwrite", "path": "xp"},
                {"target": {"field": "tier"}, "op": "overwrite", "path": "missing"},
                {"target": {"field": "nope"}, "op": "overwrite", "path": "tier"}]
        });
        let payload = json!({"who": "A@B.io", "coins": 5});
        let p = preview(&mapping, &payload, &fields());
        let places: Vec<_> = p.errors.iter().map(|e| (e.code(), e.location())).collect();
        assert_eq!(
            places,
            [
                ("invalid_mapping", Some("fields[1].op")),
                ("unknown_field", Some("fields[3].target.field")),
                ("missing_path", Some("fields[2].path")),
            ]
        );
        assert_eq!(p.member.unwrap().value, "a@b.io");
        assert_eq!(
            serde_json::to_value(&p.effects).unwrap(),
            json!([{"kind": "currency", "currency": "coins", "op": "add", "amount": 5}, null, null, null])
        );
        assert_eq!(p.plan, None);
    }

    /// The `short` and value of each step of row `index` (its `value`, or its `when`).
    fn shown(steps: &Steps) -> Vec<(&str, Value)> {
        steps
            .steps
            .iter()
            .map(|s| (s.short.as_str(), s.value.clone()))
            .collect()
    }

    fn expression_rows(rows: Value) -> Draft {
        let mapping = json!({"user": {"match": "email", "path": "who"}, "fields": rows});
        Draft::parse(&mapping, &fields())
    }

    #[test]
    fn an_expression_row_answers_its_steps_each_part_cut_to_what_is_new() {
        let draft = expression_rows(json!([
            {"target": {"currency": "coins"}, "op": "add", "value": "round(decimal(total_price) * 10)"},
            {"target": {"field": "tier"}, "op": "overwrite", "value": "upper(order.tier)"}]));
        let payload = json!({"total_price": "24.99", "order": {"tier": "gold"}});
        let row = draft.steps(0, &payload).unwrap();
        assert_eq!(row.when, None);
        let value = row.value.unwrap();
        assert_eq!(
            shown(&value),
            [
                ("total_price", json!("24.99")),
                ("decimal(…)", json!(24.99)),
                ("… * 10", json!(249.9)),
                ("round(…)", json!(250)),
            ]
        );
        assert_eq!(value.steps[2].text, "decimal(total_price) * 10");
        assert_eq!((value.steps[2].at, value.steps[2].end), (6, 31));
        assert_eq!((value.value, value.error), (Some(json!(250)), None));
        // `order` is read for its member only: the member is the step.
        let member = draft.steps(1, &payload).unwrap().value.unwrap();
        assert_eq!(
            shown(&member),
            [("order.tier", json!("gold")), ("upper(…)", json!("GOLD"))]
        );
    }

    #[test]
    fn a_rows_value_is_computed_only_when_its_when_is_true() {
        let draft = expression_rows(json!([
            {"target": {"currency": "coins"}, "op": "add", "value": "amount", "when": "status == \"paid\""}]));
        let paid = draft
            .steps(0, &json!({"status": "paid", "amount": 5}))
            .unwrap();
        assert_eq!(paid.when.unwrap().value, Some(json!(true)));
        assert_eq!(paid.value.unwrap().value, Some(json!(5)));
        let unpaid = draft.steps(0, &json!({"status": "open"})).unwrap();
        let when = unpaid.when.unwrap();
        assert_eq!(
            shown(&when),
            [("status", json!("open")), ("… == \"paid\"", json!(false))]
        );
        assert_eq!(unpaid.value, None, "the edge does not compute it");
    }

    #[test]
    fn a_failing_expression_keeps_its_steps_and_points_at_the_character() {
        let draft = expression_rows(json!([
            {"target": {"currency": "coins"}, "op": "add", "value": "floor(decimal(total) / 3)"},
            {"target": {"currency": "coins"}, "op": "add", "path": "n"},
            {"target": {"currency": "coins"}, "op": "add", "value": "floor(("}]));
        let row = draft
            .steps(0, &json!({"total": "x1"}))
            .unwrap()
            .value
            .unwrap();
        assert_eq!(shown(&row), [("total", json!("x1"))]);
        let error = row.error.unwrap();
        assert_eq!(error.location(), Some("fields[0].value"));
        assert_eq!(error.character(), Some(6), "{error:?}");
        assert_eq!(draft.steps(1, &json!({})), None, "a path row has no steps");
        assert_eq!(
            draft.steps(2, &json!({})),
            None,
            "nor has a row that did not parse"
        );
        assert_eq!(draft.steps(3, &json!({})), None);
    }

    #[test]
    fn a_mapping_that_is_not_an_object_is_one_error() {
        let p = preview(&json!([1]), &json!({}), &fields());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].location(), Some("mapping"));
        assert!(p.effects.is_empty());
    }

    #[test]
    fn errors_serialize_with_code_message_and_place() {
        let p = preview(&json!({"user": {}}), &json!({}), &fields());
        let first = serde_json::to_value(&p.errors[0]).unwrap();
        assert_eq!(first["code"], "invalid_mapping");
        assert_eq!(first["at"], "user.match");
        assert!(first["message"].as_str().unwrap().contains("is required"));
    }
}
