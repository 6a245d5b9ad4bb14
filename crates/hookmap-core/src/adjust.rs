//! An admin's adjustment of one member by hand (`POST .../users/{uid}/adjustments`): balances
//! added to or subtracted from, fields set, with a reason that the gamification log and the field
//! history keep (`admin:<reason>`). The changes are the very effects a delivery plans
//! ([`Effect`]), read by the rules a mapping's rows follow (`CURRENCY_OPS`, `FieldType::ops`), so
//! storage writes them as it writes a delivery's, in one batch that a balance going below zero
//! refuses whole.

use serde_json::Value;

use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::{Op, CURRENCY_OPS};
use crate::plan::{self, Effect, MAX_AMOUNT};
use crate::vocabulary::quoted_or;

/// Longest reason, in characters.
pub const MAX_REASON_LEN: usize = 200;
/// Most changes one adjustment may make (as a mapping's rows).
pub const MAX_CHANGES: usize = 50;

/// What the log and the history record as the change's source.
pub fn source(reason: &str) -> String {
    format!("admin:{reason}")
}

/// The effects of an adjustment's `balances` and `fields` (each a list, or absent), checked
/// against what the community defines. At least one change; a bad one is refused, naming it.
pub fn effects(
    balances: Option<&Value>,
    fields: Option<&Value>,
    catalog: &Catalog,
) -> Result<Vec<Effect>> {
    let balances = list(balances, "balances")?;
    let fields = list(fields, "fields")?;
    if balances.is_empty() && fields.is_empty() {
        return Err(invalid(
            "balances",
            "an adjustment changes at least one balance or field",
        ));
    }
    if balances.len() + fields.len() > MAX_CHANGES {
        return Err(invalid(
            "balances",
            &format!("an adjustment makes at most {MAX_CHANGES} changes"),
        ));
    }
    let mut effects = Vec::with_capacity(balances.len() + fields.len());
    for (n, row) in balances.iter().enumerate() {
        effects.push(balance(row, n, catalog)?);
    }
    for (n, row) in fields.iter().enumerate() {
        effects.push(field(row, n, catalog)?);
    }
    Ok(effects)
}

fn list<'v>(value: Option<&'v Value>, at: &str) -> Result<&'v [Value]> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(rows)) => Ok(rows),
        Some(_) => Err(invalid(at, "must be a list")),
    }
}

fn invalid(at: &str, why: &str) -> Error {
    Error::new(ErrorKind::InvalidField, format!("{at}: {why}")).at(at)
}

/// A row that holds no member but `names`: a typo is refused, never silently ignored.
fn only(row: &Value, at: &str, names: &[&str]) -> Result<()> {
    let members = object(row, at)?;
    match members.keys().find(|k| !names.contains(&k.as_str())) {
        Some(extra) => Err(invalid(
            &format!("{at}.{extra}"),
            &format!("is not a member; a change has {}", quoted_or(names)),
        )),
        None => Ok(()),
    }
}

fn object<'v>(row: &'v Value, at: &str) -> Result<&'v serde_json::Map<String, Value>> {
    row.as_object()
        .ok_or_else(|| invalid(at, "must be an object"))
}

/// A row's member `name`, which must be there.
fn member<'v>(row: &'v Value, at: &str, name: &str) -> Result<&'v Value> {
    object(row, at)?
        .get(name)
        .ok_or_else(|| invalid(&format!("{at}.{name}"), "is required"))
}

fn op(row: &Value, at: &str, allowed: &[Op]) -> Result<Op> {
    let text = member(row, at, "op")?.as_str();
    let op = text.and_then(Op::parse).filter(|op| allowed.contains(op));
    op.ok_or_else(|| {
        let names: Vec<&str> = allowed.iter().map(|o| o.as_str()).collect();
        invalid(
            &format!("{at}.op"),
            &format!("must be {}", quoted_or(&names)),
        )
    })
}

/// `{currency, op: add | subtract, amount}`: a whole amount from 1 to [`MAX_AMOUNT`], read from
/// the JSON integer as written (never through a float: 1.5 and 1e3 are refused).
fn balance(row: &Value, n: usize, catalog: &Catalog) -> Result<Effect> {
    let at = format!("balances[{n}]");
    only(row, &at, &["currency", "op", "amount"])?;
    let key = member(row, &at, "currency")?.as_str().unwrap_or_default();
    let currency = catalog.currency(key).ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownCurrency,
            format!("the community has no currency {key:?}"),
        )
        .at(format!("{at}.currency"))
    })?;
    let op = op(row, &at, &CURRENCY_OPS)?;
    let amount = member(row, &at, "amount")?
        .as_i64()
        .filter(|a| (1..=MAX_AMOUNT).contains(a))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidAmount,
                format!("{at}.amount: must be a whole number from 1 to {MAX_AMOUNT}"),
            )
            .at(format!("{at}.amount"))
        })?;
    Ok(Effect::Currency {
        currency,
        op,
        amount,
    })
}

/// `{field, op, value}`: a field the community defines, an operator its type takes, and a
/// value of its type, read as a payload's value is for a mapping row.
fn field(row: &Value, n: usize, catalog: &Catalog) -> Result<Effect> {
    let at = format!("fields[{n}]");
    only(row, &at, &["field", "op", "value"])?;
    let key = member(row, &at, "field")?.as_str().unwrap_or_default();
    let field_type = catalog.field(key).ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownField,
            format!("the community has no user field {key:?}"),
        )
        .at(format!("{at}.field"))
    })?;
    let op = op(row, &at, field_type.ops())?;
    let value = plan::given_value(member(row, &at, "value")?, field_type, n)?;
    Ok(Effect::Field {
        field: key.to_owned(),
        field_type,
        op,
        value,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ops::FieldType;
    use crate::plan::FieldValue;
    use serde_json::json;

    fn catalog() -> Catalog {
        Catalog::new(
            [
                ("tier".to_owned(), FieldType::Text),
                ("orders".to_owned(), FieldType::Number),
            ]
            .into(),
            ["gems"],
        )
    }

    fn refused(balances: Value, fields: Value) -> (String, Option<String>) {
        let e = effects(Some(&balances), Some(&fields), &catalog()).unwrap_err();
        (e.code().to_owned(), e.location().map(str::to_owned))
    }

    #[test]
    fn balances_and_fields_become_the_effects_a_delivery_plans() {
        let done = effects(
            Some(&json!([{"currency": "gems", "op": "subtract", "amount": 5}])),
            Some(
                &json!([{"field": "tier", "op": "overwrite", "value": "gold"},
                         {"field": "orders", "op": "add", "value": 2}]),
            ),
            &catalog(),
        )
        .unwrap();
        assert_eq!(done.len(), 3);
        assert_eq!(
            done[0].currency_delta().map(|(c, d)| (c.as_str(), d)),
            Some(("gems", -5))
        );
        assert!(
            matches!(&done[1], Effect::Field { value: FieldValue::Text(t), .. } if t == "gold")
        );
        assert_eq!(source("goodwill"), "admin:goodwill");
    }

    #[test]
    fn amounts_are_whole_positive_and_bounded_never_read_as_floats() {
        let row = |amount: Value| json!([{"currency": "coins", "op": "add", "amount": amount}]);
        for bad in [
            json!(0),
            json!(-1),
            json!(1.5),
            json!(1e3),
            json!("5"),
            json!(MAX_AMOUNT + 1),
        ] {
            assert_eq!(
                refused(row(bad.clone()), json!([])),
                ("invalid_amount".into(), Some("balances[0].amount".into())),
                "{bad}"
            );
        }
        let max = effects(Some(&row(json!(MAX_AMOUNT))), None, &catalog()).unwrap();
        assert_eq!(max[0].currency_delta().map(|(_, d)| d), Some(MAX_AMOUNT));
    }

    #[test]
    fn what_a_mapping_refuses_an_adjustment_refuses() {
        let cur = |c: &str, op: &str| json!([{"currency": c, "op": op, "amount": 1}]);
        assert_eq!(
            refused(cur("rubies", "add"), json!([])).0,
            "unknown_currency"
        );
        assert_eq!(
            refused(cur("coins", "overwrite"), json!([])),
            ("invalid_field".into(), Some("balances[0].op".into()))
        );
        let set = |f: &str, op: &str, v: Value| json!([{"field": f, "op": op, "value": v}]);
        assert_eq!(
            refused(json!([]), set("nope", "overwrite", json!(1))).0,
            "unknown_field"
        );
        assert_eq!(
            refused(json!([]), set("tier", "add", json!("x"))),
            ("invalid_field".into(), Some("fields[0].op".into()))
        );
        assert_eq!(
            refused(json!([]), set("orders", "add", json!("many"))).0,
            "wrong_type"
        );
        assert_eq!(
            refused(json!([]), json!([{"field": "tier"}])),
            ("invalid_field".into(), Some("fields[0].op".into()))
        );
        assert_eq!(refused(json!([]), json!([])).0, "invalid_field");
        assert_eq!(
            refused(
                json!([{"currency": "xp", "op": "add", "amount": 1, "note": "typo"}]),
                json!([])
            ),
            ("invalid_field".into(), Some("balances[0].note".into()))
        );
        assert_eq!(refused(json!({}), json!([])).0, "invalid_field");
        let many: Vec<Value> = (0..51)
            .map(|_| json!({"currency": "xp", "op": "add", "amount": 1}))
            .collect();
        assert_eq!(refused(json!(many), json!([])).0, "invalid_field");
    }
}
