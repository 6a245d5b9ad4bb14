//! `simulate`: what a plan's effects do to a member, before -> after, computed the way storage
//! applies them (in order; currencies never below zero; number fields start from 0). The preview
//! page shows it for balances the admin types in.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Number, Value};

use crate::error::{Error, ErrorKind};
use crate::ops::Op;
use crate::plan::{Effect, FieldValue};

/// A member's balances (currency key -> amount; absent: 0) and custom field values (absent or
/// null: never set).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MemberState {
    pub balances: BTreeMap<String, i64>,
    pub fields: BTreeMap<String, Value>,
}

impl MemberState {
    /// A member as the console types it: `{"balances": {key: integer}, "fields": {key: value}}`,
    /// either part optional, other keys ignored. Read from the JSON value rather than derived:
    /// serde's typed deserializers would add 16 KB gzipped to the page's engine.
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let wrong =
            |why: &str| Error::new(ErrorKind::WrongType, format!("the member: {why}")).at("member");
        let member = value
            .as_object()
            .ok_or_else(|| wrong("must be an object with balances and fields"))?;
        let part = |key: &str| match member.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(wrong(&format!("{key} must be an object"))),
        };
        let mut state = Self::default();
        for (key, amount) in part("balances")?.into_iter().flatten() {
            let amount = amount
                .as_i64()
                .ok_or_else(|| wrong(&format!("balances.{key} must be an integer")))?;
            state.balances.insert(key.clone(), amount);
        }
        for (key, value) in part("fields")?.into_iter().flatten() {
            state.fields.insert(key.clone(), value.clone());
        }
        Ok(state)
    }
}

/// What one effect changes. `error` is set when storage would refuse the delivery at this effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub before: Value,
    pub after: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// Applies `effects` to `state` in order. `None` entries (rows the preview could not compute)
/// change nothing and get `None`. `at` names each entry's row, `fields[i]`.
pub fn simulate(state: &MemberState, effects: &[Option<Effect>]) -> Vec<Option<Change>> {
    let mut state = state.clone();
    effects
        .iter()
        .enumerate()
        .map(|(i, effect)| Some(step(&mut state, effect.as_ref()?, i)))
        .collect()
}

fn step(state: &mut MemberState, effect: &Effect, index: usize) -> Change {
    match effect {
        Effect::Currency { currency, .. } => {
            let delta = effect.currency_delta().map_or(0, |(_, d)| d);
            let balance = state
                .balances
                .entry(currency.as_str().to_owned())
                .or_insert(0);
            let before = *balance;
            *balance = before.saturating_add(delta);
            let error = (*balance < 0).then(|| {
                Error::new(
                    ErrorKind::InsufficientBalance,
                    format!(
                        "{} would go from {before} to {}; balances never go below zero",
                        currency.as_str(),
                        *balance
                    ),
                )
                .at(format!("fields[{index}]"))
            });
            Change {
                before: before.into(),
                after: (*balance).into(),
                error,
            }
        }
        Effect::Field {
            field, op, value, ..
        } => {
            let before = state.fields.get(field).cloned().unwrap_or(Value::Null);
            let start = || before.as_f64().unwrap_or(0.0);
            let after = match (op, value) {
                (Op::Add, FieldValue::Number(n)) => number(start() + n.as_f64().unwrap_or(0.0)),
                (Op::Subtract, FieldValue::Number(n)) => {
                    number(start() - n.as_f64().unwrap_or(0.0))
                }
                // The value itself, as storage writes it: an overwrite, or a count of text or a
                // boolean (which no mapping plans: those fields take overwrite only).
                (Op::Overwrite, value)
                | (
                    Op::Add | Op::Subtract,
                    value @ (FieldValue::Text(_) | FieldValue::Boolean(_)),
                ) => serde_json::to_value(value).unwrap_or(Value::Null),
            };
            state.fields.insert(field.clone(), after.clone());
            Change {
                before,
                after,
                error: None,
            }
        }
    }
}

/// A sum as storage shows it: 3 rather than 3.0 when it is a whole number (a whole float within
/// i64's range is exactly that integer, past 2^53 too, and JavaScript writes it so).
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.2e18 {
        Value::from(x as i64)
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::ops::FieldType;
    use serde_json::json;

    fn currency(key: &str, op: Op, amount: i64) -> Option<Effect> {
        let catalog = Catalog::new(Default::default(), ["gems"]);
        Some(Effect::Currency {
            currency: catalog.currency(key).unwrap(),
            op,
            amount,
        })
    }

    fn field(name: &str, field_type: FieldType, op: Op, value: FieldValue) -> Option<Effect> {
        Some(Effect::Field {
            field: name.into(),
            field_type,
            op,
            value,
        })
    }

    #[test]
    fn a_member_is_read_from_its_json_by_hand() {
        let m = MemberState::from_json(&json!({"balances": {"xp": 3}, "fields": {"tier": "gold"},
                                                "other": 1}))
        .unwrap();
        assert_eq!(m.balances, [("xp".to_owned(), 3)].into());
        assert_eq!(m.fields, [("tier".to_owned(), json!("gold"))].into());
        for empty in [json!({}), json!({"balances": null, "fields": null})] {
            assert_eq!(
                MemberState::from_json(&empty).unwrap(),
                MemberState::default()
            );
        }
        for (bad, named) in [
            (json!([]), "must be an object with balances and fields"),
            (json!({"balances": []}), "balances must be an object"),
            (
                json!({"balances": {"xp": 1.5}}),
                "balances.xp must be an integer",
            ),
            (
                json!({"balances": {"xp": "3"}}),
                "balances.xp must be an integer",
            ),
            (json!({"fields": 3}), "fields must be an object"),
        ] {
            let e = MemberState::from_json(&bad).unwrap_err();
            assert_eq!(
                (e.code(), e.location()),
                ("wrong_type", Some("member")),
                "{e}"
            );
            assert!(e.message().ends_with(named), "{e}");
        }
    }

    #[test]
    fn effects_apply_in_order_from_the_given_state() {
        let state = MemberState {
            balances: [("xp".to_owned(), 10), ("coins".to_owned(), 5)].into(),
            fields: [("orders".to_owned(), json!(2))].into(),
        };
        let changes = simulate(
            &state,
            &[
                currency("coins", Op::Add, 50),
                None,
                currency("coins", Op::Subtract, 20),
                field(
                    "orders",
                    FieldType::Number,
                    Op::Add,
                    FieldValue::Number(3.into()),
                ),
                field(
                    "orders",
                    FieldType::Number,
                    Op::Subtract,
                    FieldValue::Number(Number::from_f64(0.5).unwrap()),
                ),
                field(
                    "tier",
                    FieldType::Text,
                    Op::Overwrite,
                    FieldValue::Text("gold".into()),
                ),
                field(
                    "left",
                    FieldType::Number,
                    Op::Subtract,
                    FieldValue::Number(1.into()),
                ),
            ],
        );
        let shown: Vec<_> = changes
            .iter()
            .map(|c| {
                c.as_ref()
                    .map(|c| (c.before.clone(), c.after.clone(), c.error.is_some()))
            })
            .collect();
        assert_eq!(
            shown,
            [
                Some((json!(5), json!(55), false)),
                None,
                Some((json!(55), json!(35), false)),
                Some((json!(2), json!(5), false)),
                Some((json!(5), json!(4.5), false)),
                Some((json!(null), json!("gold"), false)),
                Some((json!(null), json!(-1), false)),
            ]
        );
    }

    #[test]
    fn an_overdraft_is_the_edges_insufficient_balance_at_its_row() {
        let changes = simulate(
            &MemberState::default(),
            &[
                currency("gems", Op::Add, 3),
                currency("gems", Op::Subtract, 4),
            ],
        );
        let last = changes[1].as_ref().unwrap();
        assert_eq!(
            (last.before.clone(), last.after.clone()),
            (json!(3), json!(-1))
        );
        let error = last.error.as_ref().unwrap();
        assert_eq!(
            (error.code(), error.location()),
            ("insufficient_balance", Some("fields[1]"))
        );
    }
}
