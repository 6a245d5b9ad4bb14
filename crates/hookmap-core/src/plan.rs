//! `plan`: mapping + payload -> the effects a delivery would have. Pure: storage executes a plan and
//! never interprets payloads, and the preview page runs this very function.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::catalog::{Currency, FieldTypes};
use crate::error::{Error, ErrorKind, Result};
use crate::expr::{number, Expr, Input, Val};
use crate::mapping::{FieldMapping, Mapping, MatchBy, Source, Target, UserMatch};
use crate::message::{self, PlannedMessage};
use crate::ops::{FieldType, Op};
use crate::path::Path;

/// Largest currency amount one effect may carry: far above any real reward, far below where i64
/// arithmetic in storage could overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// Longest member identifier, idempotency key or text value taken from a payload.
pub const MAX_TEXT_LEN: usize = 1024;

/// Who the effects apply to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    #[serde(rename = "match")]
    pub by: MatchBy,
    pub value: String,
}

/// A new value for a user field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Number(Number),
    Text(String),
    Boolean(bool),
}

/// One change to a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Effect {
    /// `amount` is never negative; `op` says which way it moves the balance.
    Currency {
        currency: Currency,
        op: Op,
        amount: i64,
    },
    Field {
        field: String,
        #[serde(rename = "type")]
        field_type: FieldType,
        op: Op,
        value: FieldValue,
    },
}

impl Effect {
    /// The signed change of a currency effect (`None` for field effects).
    pub fn currency_delta(&self) -> Option<(&Currency, i64)> {
        match self {
            Self::Currency {
                currency,
                op,
                amount,
            } => match op {
                Op::Subtract => Some((currency, -amount)),
                // A currency is never overwritten (the mapping refuses it: `CURRENCY_OPS`).
                Op::Add | Op::Overwrite => Some((currency, *amount)),
            },
            Self::Field { .. } => None,
        }
    }
}

/// Everything a delivery will do, computed before anything is written. Read back by the
/// community's object that applies it, from the worker that planned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Why the mapping's filter turned the delivery away; it then applies nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filtered: Option<String>,
    /// Who the field effects apply to; `None` for a message-only mapping without `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub effects: Vec<Effect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<PlannedMessage>,
}

/// Computes the effects of a delivery (its payload, and its headers and time where the mapping's
/// expressions read them) under `mapping`, checking field types against `fields`. It never
/// panics, whatever the payload: every mismatch is an [`Error`] naming the mapping row.
pub fn plan<'p>(
    mapping: &Mapping,
    input: impl Into<Input<'p>>,
    fields: &FieldTypes,
) -> Result<Plan> {
    let input = input.into();
    let payload = input.payload;
    if let Some(reason) = filtered(mapping.filter.as_ref(), &input)? {
        return Ok(Plan {
            filtered: Some(reason),
            member: None,
            // A filtered delivery keeps its key when it has one, so that a repeat is a duplicate;
            // a ping without the key's path is filtered all the same.
            idempotency_key: mapping
                .idempotency_path
                .as_ref()
                .and_then(|path| key_at(payload, path).ok()),
            effects: Vec::new(),
            message: None,
        });
    }
    let member = mapping
        .user
        .as_ref()
        .map(|user| member(user, payload))
        .transpose()?;
    let idempotency_key = match &mapping.idempotency_path {
        None => None,
        Some(path) => Some(key_at(payload, path)?),
    };
    let mut effects = Vec::with_capacity(mapping.fields.len());
    for (i, row) in mapping.fields.iter().enumerate() {
        effects.extend(effect(row, i, &input, fields)?);
    }
    let message = mapping
        .message
        .as_ref()
        .map(|m| message::plan(m, payload))
        .transpose()?;
    Ok(Plan {
        filtered: None,
        member,
        idempotency_key,
        effects,
        message,
    })
}

/// Why `filter` turns the delivery away, or `None` when it lets it through (or there is none).
pub(crate) fn filtered(filter: Option<&Expr>, input: &Input<'_>) -> Result<Option<String>> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    Ok((!condition(filter, input, At::Filter)?)
        .then(|| format!("the filter {:?} is false", filter.source())))
}

/// A `when` or `filter`: true or false, and nothing else.
fn condition(expr: &Expr, input: &Input<'_>, at: At) -> Result<bool> {
    match expr.eval(input).map_err(|fault| fault.at(&at.text()))? {
        Val::Bool(b) => Ok(b),
        other @ (Val::Null
        | Val::Num(_)
        | Val::Str(_)
        | Val::Json(_)
        | Val::List(_)
        | Val::Map(_)) => {
            let at = at.text();
            Err(Error::new(
                ErrorKind::WrongType,
                format!(
                    "{at}: the condition is {}, not a boolean",
                    other.type_name()
                ),
            )
            .at(at))
        }
    }
}

/// The member a payload names: emails are trimmed and lowercased, usernames taken as they are.
pub(crate) fn member(user: &UserMatch, payload: &Value) -> Result<MemberRef> {
    let member_value = text_at(payload, &user.path, At::User)?;
    let member = MemberRef {
        by: user.by,
        value: match user.by {
            MatchBy::Email => member_value.trim().to_ascii_lowercase(),
            MatchBy::Username => member_value.to_owned(),
        },
    };
    if member.value.is_empty() {
        return Err(Error::new(
            ErrorKind::WrongType,
            format!("the member identifier at {:?} is empty", user.path.as_str()),
        )
        .at("user.path"));
    }
    Ok(member)
}

/// The effect of row `index` of the mapping's `fields`; `None` when its `when` is false.
pub(crate) fn effect(
    row: &FieldMapping,
    index: usize,
    input: &Input<'_>,
    fields: &FieldTypes,
) -> Result<Option<Effect>> {
    if let Some(when) = &row.when {
        if !condition(when, input, At::When(index))? {
            return Ok(None);
        }
    }
    match &row.source {
        Source::Path(path) => path_effect(row, path, index, input.payload, fields).map(Some),
        Source::Value(expr) => {
            let value = expr
                .eval(input)
                .map_err(|fault| fault.at(&At::Value(index).text()))?;
            value_effect(row, index, &value, fields).map(Some)
        }
    }
}

fn field_type(key: &str, fields: &FieldTypes, index: usize) -> Result<FieldType> {
    fields.get(key).copied().ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownField,
            format!("the community has no user field {key:?}"),
        )
        .at(format!("fields[{index}].target.field"))
    })
}

/// A row that copies the value at its path.
fn path_effect(
    row: &FieldMapping,
    path: &Path,
    index: usize,
    payload: &Value,
    fields: &FieldTypes,
) -> Result<Effect> {
    let at = At::Row(index);
    let value = lookup(payload, path, at)?;
    match &row.target {
        Target::Currency(currency) => Ok(Effect::Currency {
            currency: currency.clone(),
            op: row.op,
            amount: amount(value, path, at)?,
        }),
        Target::Field(key) => {
            let field_type = field_type(key, fields, index)?;
            Ok(Effect::Field {
                field: key.clone(),
                field_type,
                op: row.op,
                value: field_value(value, field_type, path, at)?,
            })
        }
    }
}

/// A row whose expression computed `value`. Nothing is coerced here either: a currency takes a
/// whole number, a number field a number, a boolean field a boolean, a text field any scalar.
fn value_effect(
    row: &FieldMapping,
    index: usize,
    value: &Val<'_>,
    fields: &FieldTypes,
) -> Result<Effect> {
    let at = At::Value(index);
    let wrong = |expected: &str| {
        let at = at.text();
        Error::new(
            ErrorKind::WrongType,
            format!("{at}: the value is {}, not {expected}", value.type_name()),
        )
        .at(at)
    };
    match &row.target {
        Target::Currency(currency) => {
            let Val::Num(n) = value else {
                return Err(wrong("a number"));
            };
            Ok(Effect::Currency {
                currency: currency.clone(),
                op: row.op,
                amount: whole_amount(*n, at, ErrorKind::NonIntegerAmount, || {
                    format!("{}: the value {}", at.text(), n.normalize())
                })?,
            })
        }
        Target::Field(key) => {
            let field_type = field_type(key, fields, index)?;
            let field_value = match (field_type, value) {
                (FieldType::Number, Val::Num(n)) => match number::to_json(*n) {
                    Value::Number(n) => FieldValue::Number(n),
                    // `to_json` writes a number as a number; a string would be out of range.
                    Value::Null
                    | Value::Bool(_)
                    | Value::String(_)
                    | Value::Array(_)
                    | Value::Object(_) => return Err(wrong("a number")),
                },
                (FieldType::Number, _) => return Err(wrong("a number")),
                (FieldType::Boolean, Val::Bool(b)) => FieldValue::Boolean(*b),
                (FieldType::Boolean, _) => return Err(wrong("a boolean")),
                (FieldType::Text, Val::Str(s)) => FieldValue::Text(s.clone().into_owned()),
                (FieldType::Text, Val::Num(n)) => FieldValue::Text(n.normalize().to_string()),
                (FieldType::Text, Val::Bool(b)) => FieldValue::Text(b.to_string()),
                (FieldType::Text, _) => return Err(wrong("a string, number or boolean")),
            };
            if let FieldValue::Text(text) = &field_value {
                if text.len() > MAX_TEXT_LEN {
                    let at = at.text();
                    return Err(Error::new(
                        ErrorKind::WrongType,
                        format!("{at}: the text is longer than {MAX_TEXT_LEN} bytes"),
                    )
                    .at(at));
                }
            }
            Ok(Effect::Field {
                field: key.clone(),
                field_type,
                op: row.op,
                value: field_value,
            })
        }
    }
}

/// Where in the mapping a value is read from (or computed), spelled out only when an error names
/// it: formatting "fields[3].path" for every row on the success path cost a tenth of a plan.
#[derive(Debug, Clone, Copy)]
enum At {
    User,
    Idempotency,
    Row(usize),
    Value(usize),
    When(usize),
    Filter,
}

impl At {
    fn text(self) -> String {
        match self {
            Self::User => "user.path".to_owned(),
            Self::Idempotency => "idempotency_path".to_owned(),
            Self::Row(index) => format!("fields[{index}].path"),
            Self::Value(index) => format!("fields[{index}].value"),
            Self::When(index) => format!("fields[{index}].when"),
            Self::Filter => "filter".to_owned(),
        }
    }
}

fn lookup<'v>(payload: &'v Value, path: &Path, at: At) -> Result<&'v Value> {
    path.lookup(payload).ok_or_else(|| {
        Error::new(
            ErrorKind::MissingPath,
            format!("the payload has no value at {:?}", path.as_str()),
        )
        .at(at.text())
    })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(path: &Path, expected: &str, found: &Value, at: At) -> Error {
    Error::new(
        ErrorKind::WrongType,
        format!(
            "expected {expected} at {:?}, found {}",
            path.as_str(),
            type_name(found)
        ),
    )
    .at(at.text())
}

fn bounded_text(text: &str, path: &Path, at: At) -> Result<()> {
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::new(
            ErrorKind::WrongType,
            format!(
                "the text at {:?} is longer than {MAX_TEXT_LEN} bytes",
                path.as_str()
            ),
        )
        .at(at.text()));
    }
    Ok(())
}

fn text_at<'v>(payload: &'v Value, path: &Path, at: At) -> Result<&'v str> {
    let value = lookup(payload, path, at)?;
    let text = value
        .as_str()
        .ok_or_else(|| wrong_type(path, "a string", value, at))?;
    bounded_text(text, path, at)?;
    Ok(text)
}

/// Idempotency keys may be strings or integers (order ids often are numbers).
pub(crate) fn key_at(payload: &Value, path: &Path) -> Result<String> {
    let at = At::Idempotency;
    let value = lookup(payload, path, at)?;
    let key = match value {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        other @ (Value::Null
        | Value::Bool(_)
        | Value::Number(_)
        | Value::String(_)
        | Value::Array(_)
        | Value::Object(_)) => {
            return Err(wrong_type(
                path,
                "a non-empty string or an integer",
                other,
                at,
            ))
        }
    };
    bounded_text(&key, path, at)?;
    Ok(key)
}

/// The number a string holds, written as JSON writes numbers ("10.00", "-3", "1e3"; not " 5" or
/// "5x"): form values are all strings, and Shopify sends prices as strings too.
fn number_in(text: &str) -> Option<Number> {
    let starts = text
        .bytes()
        .next()
        .is_some_and(|b| b == b'-' || b.is_ascii_digit());
    let ends = text.bytes().last().is_some_and(|b| b.is_ascii_digit());
    // Through the payload's own parser: a number alone is JSON, and no other parser is linked.
    match serde_json::from_str(text) {
        Ok(Value::Number(n)) if starts && ends => Some(n),
        _ => None,
    }
}

/// The amount at a path row: a number, or a string holding one, read exactly. 5.0 is a whole
/// number written as a float, as some senders do; 5.5 is not an amount.
fn amount(value: &Value, path: &Path, at: At) -> Result<i64> {
    let exact = match value {
        Value::Number(n) => number::from_json(n).ok(),
        // Text that is no number we can hold ("5x", "1e999") is the wrong type, as it always was.
        Value::String(s) => match number::parse(s) {
            Ok(n) => Some(n),
            Err(_) => return Err(wrong_type(path, "an integer amount", value, at)),
        },
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
            return Err(wrong_type(path, "an integer amount", value, at))
        }
    };
    let shown = || format!("the amount {} at {:?}", scalar_text(value), path.as_str());
    let Some(n) = exact else {
        return Err(Error::new(
            ErrorKind::InvalidAmount,
            format!("{} is not an integer within range", shown()),
        )
        .at(at.text()));
    };
    whole_amount(n, at, ErrorKind::InvalidAmount, shown)
}

/// A currency amount: whole, not negative, at most [`MAX_AMOUNT`]. A fraction is refused with
/// `fraction` (never truncated); `shown` says which value it was.
fn whole_amount(
    n: Decimal,
    at: At,
    fraction: ErrorKind,
    shown: impl Fn() -> String,
) -> Result<i64> {
    let refuse = |kind: ErrorKind, why: &str| {
        Err(Error::new(kind, format!("{} {why}", shown())).at(at.text()))
    };
    if n.is_sign_negative() && !n.is_zero() {
        return refuse(
            ErrorKind::InvalidAmount,
            "is negative; use the subtract operator instead",
        );
    }
    if n > Decimal::from(MAX_AMOUNT) {
        return refuse(ErrorKind::InvalidAmount, &format!("is above {MAX_AMOUNT}"));
    }
    match number::whole(n) {
        Some(a) => Ok(a),
        None if fraction == ErrorKind::InvalidAmount => refuse(fraction, "is not an integer"),
        None => refuse(
            fraction,
            "is not a whole number; currencies are never truncated: round it with floor(), \
             ceil(), round() or round_even()",
        ),
    }
}

/// A scalar as the sender wrote it, for messages: strings without their quotes.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other @ (Value::Null
        | Value::Bool(_)
        | Value::Number(_)
        | Value::Array(_)
        | Value::Object(_)) => other.to_string(),
    }
}

/// A value given outright for field `index` of an admin's adjustment (`crate::adjust`), read as
/// a payload's value is for a mapping row; an error names `fields[index].value`.
pub(crate) fn given_value(
    value: &Value,
    field_type: FieldType,
    index: usize,
) -> Result<FieldValue> {
    let path = Path::parse("value")?;
    field_value(value, field_type, &path, At::Value(index))
}

fn field_value(value: &Value, field_type: FieldType, path: &Path, at: At) -> Result<FieldValue> {
    match (field_type, value) {
        (FieldType::Number, Value::Number(n)) => Ok(FieldValue::Number(n.clone())),
        // Stored as the number it holds: a form sends nothing but strings.
        (FieldType::Number, Value::String(s)) => number_in(s)
            .map(FieldValue::Number)
            .ok_or_else(|| wrong_type(path, "a number", value, at)),
        (FieldType::Number, other) => Err(wrong_type(path, "a number", other, at)),
        (FieldType::Boolean, Value::Bool(b)) => Ok(FieldValue::Boolean(*b)),
        (FieldType::Boolean, Value::String(s)) if s == "true" || s == "false" => {
            Ok(FieldValue::Boolean(s == "true"))
        }
        (FieldType::Boolean, other) => Err(wrong_type(path, "a boolean", other, at)),
        // Text fields take any scalar as its JSON text: an order id may arrive as a number.
        (FieldType::Text, Value::String(s)) => {
            bounded_text(s, path, at).map(|()| FieldValue::Text(s.clone()))
        }
        (FieldType::Text, Value::Number(n)) => Ok(FieldValue::Text(n.to_string())),
        (FieldType::Text, Value::Bool(b)) => Ok(FieldValue::Text(b.to_string())),
        (FieldType::Text, other) => Err(wrong_type(path, "a string, number or boolean", other, at)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;

    type Patch = Box<dyn FnOnce(&mut Value)>;

    fn fields() -> FieldTypes {
        [
            ("tier".to_owned(), FieldType::Text),
            ("orders".to_owned(), FieldType::Number),
            ("vip".to_owned(), FieldType::Boolean),
        ]
        .into()
    }

    fn mapping() -> Mapping {
        Mapping::parse(
            &json!({
                "user": {"match": "email", "path": "customer.email"},
                "idempotency_path": "order.id",
                "fields": [
                    {"target": {"currency": "coins"}, "op": "add", "path": "reward.coins"},
                    {"target": {"currency": "xp"}, "op": "subtract", "path": "penalty"},
                    {"target": {"field": "tier"}, "op": "overwrite", "path": "tier"},
                    {"target": {"field": "orders"}, "op": "add", "path": "items[0].qty"},
                    {"target": {"field": "vip"}, "op": "overwrite", "path": "/flags/vip"}]
            }),
            &Catalog::new(fields(), ["gems"]),
        )
        .unwrap()
    }

    fn payload() -> Value {
        json!({
            "customer": {"email": "  Ada@Example.COM "},
            "order": {"id": 1001},
            "reward": {"coins": 50},
            "penalty": 3.0,
            "tier": "gold",
            "items": [{"qty": 2.5}],
            "flags": {"vip": true}
        })
    }

    #[test]
    fn plans_every_effect_in_order() {
        let plan = plan(&mapping(), &payload(), &fields()).unwrap();
        assert_eq!(
            plan.member,
            Some(MemberRef {
                by: MatchBy::Email,
                value: "ada@example.com".into()
            })
        );
        assert_eq!(plan.idempotency_key.as_deref(), Some("1001"));
        assert_eq!(
            serde_json::to_value(&plan.effects).unwrap(),
            json!([
                {"kind": "currency", "currency": "coins", "op": "add", "amount": 50},
                {"kind": "currency", "currency": "xp", "op": "subtract", "amount": 3},
                {"kind": "field", "field": "tier", "type": "text", "op": "overwrite", "value": "gold"},
                {"kind": "field", "field": "orders", "type": "number", "op": "add", "value": 2.5},
                {"kind": "field", "field": "vip", "type": "boolean", "op": "overwrite", "value": true}
            ])
        );
        let xp = Catalog::default().currency("xp").unwrap();
        assert_eq!(plan.effects[1].currency_delta(), Some((&xp, -3)));
    }

    #[test]
    fn a_plan_reads_back_as_it_was_written() {
        // The object that applies a plan reads it from the worker that planned it.
        let mut planned = plan(&mapping(), &payload(), &fields()).unwrap();
        planned.message = Some(PlannedMessage {
            channel: "ch_1".into(),
            topic: None,
            text: "1001".into(),
        });
        planned.effects.push(Effect::Field {
            field: "tier".into(),
            field_type: FieldType::Text,
            op: Op::Overwrite,
            value: FieldValue::Text("12".into()),
        });
        let text = serde_json::to_string(&planned).unwrap();
        assert_eq!(serde_json::from_str::<Plan>(&text).unwrap(), planned);
        let unknown_op = text.replace("\"subtract\"", "\"divide\"");
        assert!(serde_json::from_str::<Plan>(&unknown_op).is_err());
    }

    #[test]
    fn a_communitys_own_currency_plans_like_a_built_in() {
        let mapping = json!({
            "user": {"match": "email", "path": "customer.email"},
            "fields": [{"target": {"currency": "gems"}, "op": "subtract", "path": "reward.coins"}]
        });
        let catalog = Catalog::new(fields(), ["gems"]);
        let plan = plan(
            &Mapping::parse(&mapping, &catalog).unwrap(),
            &payload(),
            &fields(),
        )
        .unwrap();
        let gems = catalog.currency("gems").unwrap();
        assert_eq!(plan.effects[0].currency_delta(), Some((&gems, -50)));
        let err = Mapping::parse(&mapping, &Catalog::new(fields(), ["rubies"])).unwrap_err();
        assert_eq!(
            (err.kind(), err.location()),
            (
                ErrorKind::UnknownCurrency,
                Some("fields[0].target.currency")
            )
        );
    }

    fn error_for(patch: impl FnOnce(&mut Value)) -> Error {
        let mut p = payload();
        patch(&mut p);
        plan(&mapping(), &p, &fields()).unwrap_err()
    }

    #[test]
    fn every_mismatch_is_a_precise_error() {
        let cases: Vec<(Patch, ErrorKind, &str, &str)> = vec![
            (
                Box::new(|p| p["customer"] = json!({})),
                ErrorKind::MissingPath,
                "user.path",
                "no value at \"customer.email\"",
            ),
            (
                Box::new(|p| p["customer"]["email"] = json!(7)),
                ErrorKind::WrongType,
                "user.path",
                "expected a string",
            ),
            (
                Box::new(|p| p["customer"]["email"] = json!("  ")),
                ErrorKind::WrongType,
                "user.path",
                "empty",
            ),
            (
                Box::new(|p| p["order"] = json!({"id": 1.5})),
                ErrorKind::WrongType,
                "idempotency_path",
                "integer",
            ),
            (
                Box::new(|p| p["reward"]["coins"] = json!("5x")),
                ErrorKind::WrongType,
                "fields[0].path",
                "found a string",
            ),
            (
                Box::new(|p| p["reward"]["coins"] = json!("10.5")),
                ErrorKind::InvalidAmount,
                "fields[0].path",
                "not an integer",
            ),
            (
                Box::new(|p| p["reward"]["coins"] = json!("-1")),
                ErrorKind::InvalidAmount,
                "fields[0].path",
                "negative",
            ),
            (
                Box::new(|p| p["reward"]["coins"] = json!(1.5)),
                ErrorKind::InvalidAmount,
                "fields[0].path",
                "not an integer",
            ),
            (
                Box::new(|p| p["reward"]["coins"] = json!(-1)),
                ErrorKind::InvalidAmount,
                "fields[0].path",
                "negative",
            ),
            (
                Box::new(|p| p["reward"]["coins"] = json!(MAX_AMOUNT + 1)),
                ErrorKind::InvalidAmount,
                "fields[0].path",
                "above",
            ),
            (
                Box::new(|p| p["reward"]["coins"] = json!(u64::MAX)),
                ErrorKind::InvalidAmount,
                "fields[0].path",
                "above",
            ),
            (
                Box::new(|p| p["tier"] = json!(["gold"])),
                ErrorKind::WrongType,
                "fields[2].path",
                "found an array",
            ),
            (
                Box::new(|p| p["items"] = json!([])),
                ErrorKind::MissingPath,
                "fields[3].path",
                "items[0].qty",
            ),
            (
                Box::new(|p| p["items"][0]["qty"] = json!("2 ")),
                ErrorKind::WrongType,
                "fields[3].path",
                "expected a number",
            ),
            (
                Box::new(|p| p["flags"]["vip"] = json!("True")),
                ErrorKind::WrongType,
                "fields[4].path",
                "expected a boolean",
            ),
        ];
        for (patch, kind, at, text) in cases {
            let err = error_for(patch);
            assert_eq!((err.kind(), err.location()), (kind, Some(at)), "{err}");
            assert!(err.message().contains(text), "{err}");
        }
    }

    #[test]
    fn strings_holding_numbers_and_booleans_are_read_as_them() {
        let planned = |patch: fn(&mut Value)| {
            let mut p = payload();
            patch(&mut p);
            plan(&mapping(), &p, &fields()).unwrap().effects
        };
        for (text, amount) in [("50", 50), ("10.00", 10), ("1e3", 1000), ("0", 0)] {
            let mut p = payload();
            p["reward"]["coins"] = json!(text);
            let effects = plan(&mapping(), &p, &fields()).unwrap().effects;
            assert_eq!(effects[0].currency_delta().unwrap().1, amount, "{text}");
        }
        for text in ["", " 5", "5 ", "+5", "0x10", "5.", ".5", "NaN", "1e999"] {
            let mut p = payload();
            p["reward"]["coins"] = json!(text);
            let e = plan(&mapping(), &p, &fields()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::WrongType, "{text:?}: {e}");
        }
        let effects = planned(|p| {
            p["items"][0]["qty"] = json!("2.5");
            p["flags"]["vip"] = json!("false");
        });
        let value = |i: usize| match &effects[i] {
            Effect::Field { value, .. } => Some(value.clone()),
            _ => None,
        };
        let half = Number::from_f64(2.5).map(FieldValue::Number);
        assert_eq!(
            (value(3), value(4)),
            (half, Some(FieldValue::Boolean(false)))
        );
    }

    #[test]
    fn text_fields_take_scalars_as_text() {
        let plan = plan(
            &mapping(),
            &{
                let mut p = payload();
                p["tier"] = json!(3);
                p
            },
            &fields(),
        )
        .unwrap();
        assert_eq!(
            plan.effects[2],
            Effect::Field {
                field: "tier".into(),
                field_type: FieldType::Text,
                op: Op::Overwrite,
                value: FieldValue::Text("3".into()),
            }
        );
    }

    fn planned(mapping: Value, payload: Value) -> Result<Plan> {
        let catalog = Catalog::new(fields(), ["gems"]);
        plan(
            &Mapping::parse(&mapping, &catalog).unwrap(),
            &payload,
            &fields(),
        )
    }

    #[test]
    fn value_rows_compute_and_when_and_filter_decide() {
        let mapping = json!({
            "filter": "financial_status == 'paid'",
            "user": {"match": "email", "path": "email"},
            "idempotency_path": "id",
            "fields": [
                {"target": {"currency": "coins"}, "op": "add", "value": "round(decimal(total_price) * 10)"},
                {"target": {"currency": "xp"}, "op": "add", "value": "50", "when": "first_order"},
                {"target": {"field": "orders"}, "op": "add", "value": "decimal(total_price) / 3"},
                {"target": {"field": "tier"}, "op": "overwrite", "value": "{'a': 'gold'}[code]"},
                {"target": {"field": "vip"}, "op": "overwrite", "value": "decimal(total_price) > 20"}]
        });
        let payload = json!({"id": 7, "email": "a@b.io", "financial_status": "paid",
            "total_price": "24.99", "first_order": false, "code": "a"});
        let p = planned(mapping.clone(), payload.clone()).unwrap();
        assert_eq!(p.filtered, None);
        assert_eq!(
            serde_json::to_value(&p.effects).unwrap(),
            json!([
                {"kind": "currency", "currency": "coins", "op": "add", "amount": 250},
                {"kind": "field", "field": "orders", "type": "number", "op": "add", "value": 8.33},
                {"kind": "field", "field": "tier", "type": "text", "op": "overwrite", "value": "gold"},
                {"kind": "field", "field": "vip", "type": "boolean", "op": "overwrite", "value": true}
            ])
        );

        let mut pending = payload.clone();
        pending["financial_status"] = json!("pending");
        pending.as_object_mut().unwrap().remove("email");
        let p = planned(mapping.clone(), pending).unwrap();
        assert!(p
            .filtered
            .as_deref()
            .unwrap()
            .contains("financial_status == 'paid'"));
        assert_eq!(
            (p.member, p.effects.len(), p.idempotency_key.as_deref()),
            (None, 0, Some("7"))
        );

        let mut odd = payload;
        odd["first_order"] = json!("yes");
        let e = planned(mapping, odd).unwrap_err();
        assert_eq!(
            (e.kind(), e.location()),
            (ErrorKind::WrongType, Some("fields[1].when"))
        );
    }

    #[test]
    fn a_currency_takes_a_whole_non_negative_number_and_nothing_else() {
        let row = |value: &str| {
            json!({"user": {"match": "email", "path": "e"},
            "fields": [{"target": {"currency": "coins"}, "op": "add", "value": value}]})
        };
        let payload = json!({"e": "a@b.io", "n": 2.45, "s": "5", "big": 1_000_000_000_001u64});
        for (value, kind, text) in [
            (
                "n * 10",
                ErrorKind::NonIntegerAmount,
                "24.5 is not a whole number",
            ),
            ("0 - 5", ErrorKind::InvalidAmount, "negative"),
            ("big", ErrorKind::InvalidAmount, "above"),
            ("s", ErrorKind::WrongType, "a string, not a number"),
            ("n > 1", ErrorKind::WrongType, "a boolean, not a number"),
        ] {
            let e = planned(row(value), payload.clone()).unwrap_err();
            assert_eq!(
                (e.kind(), e.location()),
                (kind, Some("fields[0].value")),
                "{value}: {e}"
            );
            assert!(e.message().contains(text), "{value}: {e}");
        }
        let p = planned(row("floor(n * 10)"), payload).unwrap();
        assert_eq!(p.effects[0].currency_delta().unwrap().1, 24);
    }

    #[test]
    fn a_field_deleted_after_saving_is_reported() {
        let mut defs = fields();
        defs.remove("orders");
        let err = plan(&mapping(), &payload(), &defs).unwrap_err();
        assert_eq!(
            (err.kind(), err.location()),
            (ErrorKind::UnknownField, Some("fields[3].target.field"))
        );
    }
}
