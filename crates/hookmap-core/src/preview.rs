//! `preview`: what the mapping page shows while an admin edits. Where [`crate::Mapping::parse`] and
//! [`crate::plan()`] stop at the first error, the preview checks every part of the mapping on its
//! own and computes every effect it can, so each row of the form gets its own effect or error.
//!
//! It is built from the very functions the edge runs, and it agrees with the edge by construction:
//! its `plan` is the edge's plan when there is no error, and its first error is the edge's error.

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::mapping::{self, FieldTypes};
use crate::message::{self, PlannedMessage};
use crate::plan::{self as planning, Effect, MemberRef, Plan};

/// The outcome of a mapping on a sample payload, part by part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// What the edge would apply: present exactly when `errors` is empty.
    pub plan: Option<Plan>,
    /// The member the payload names, when `user` is valid and the payload has it.
    pub member: Option<MemberRef>,
    /// The idempotency key, when `idempotency_path` is set, valid and found.
    pub idempotency_key: Option<String>,
    /// One entry per `fields` row, in order: its effect, or null when the row has an error.
    pub effects: Vec<Option<Effect>>,
    /// The rendered message, when the mapping posts one and it renders.
    pub message: Option<PlannedMessage>,
    /// Every error, each naming its place (`at`). Mapping errors come first, in document order,
    /// then payload errors, so the first one is what the edge would answer.
    pub errors: Vec<Error>,
}

/// Previews `mapping` (raw JSON, possibly invalid) on `payload`.
pub fn preview(mapping: &Value, payload: &Value, fields: &FieldTypes) -> Preview {
    let mut out = Preview {
        plan: None,
        member: None,
        idempotency_key: None,
        effects: Vec::new(),
        message: None,
        errors: Vec::new(),
    };
    let root = match mapping::root(mapping) {
        Ok(root) => root,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    // Parse every part first: a mapping error anywhere outranks any payload error.
    let mut parsed = ParseErrors::default();
    parsed.keep(mapping::reject_unknown_root(root));
    let user = parsed.keep(mapping::user(root));
    let key_path = parsed.keep(mapping::idempotency_path(root));
    let rows: Vec<_> = parsed
        .keep(mapping::rows(root))
        .map(|rows| {
            rows.iter()
                .enumerate()
                .map(|(i, row)| parsed.keep(mapping::field_mapping(row, i, fields)))
                .collect()
        })
        .unwrap_or_default();
    let message = parsed.keep(mapping::message(root));
    out.errors = parsed.0;

    if let Some(Some(user)) = &user {
        out.member = out.keep(planning::member(user, payload));
    }
    if let Some(Some(path)) = &key_path {
        out.idempotency_key = out.keep(planning::key_at(payload, path));
    }
    out.effects = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let row = row.as_ref()?;
            out.keep(planning::effect(row, i, payload, fields))
        })
        .collect();
    if let Some(Some(m)) = &message {
        out.message = out.keep(message::plan(m, payload));
    }

    if out.errors.is_empty() {
        out.plan = Some(Plan {
            member: out.member.clone(),
            idempotency_key: out.idempotency_key.clone(),
            effects: out.effects.iter().flatten().cloned().collect(),
            message: out.message.clone(),
        });
    }
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
    use crate::mapping::FieldType;
    use serde_json::json;

    fn fields() -> FieldTypes {
        [("tier".to_owned(), FieldType::Text)].into()
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
