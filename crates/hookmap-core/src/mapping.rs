//! The mapping model of the contract and its validation.
//!
//! A mapping is parsed from JSON by hand rather than by serde derive so that every error names the
//! exact member at fault (`fields[2].op`), which the API returns and the preview page shows next to
//! the row that causes it.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::{Catalog, Currency};
use crate::error::{Error, ErrorKind, Result};
use crate::expr::Expr;
use crate::message::{self, MessageMapping};
use crate::needs::Step;
use crate::ops::{Op, CURRENCY_OPS};
use crate::path::Path;
use crate::shape::{invalid, object, path, reject_unknown, required, string};
use crate::vocabulary::{quoted_or, vocabulary};

/// Most field mappings one webhook may hold.
pub const MAX_FIELD_MAPPINGS: usize = 50;

vocabulary! {
    /// How the member is identified in the payload; the name is also the member's column in
    /// storage.
    pub enum MatchBy {
        Email = "email",
        Username = "username",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Currency(Currency),
    Field(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserMatch {
    #[serde(rename = "match")]
    pub by: MatchBy,
    pub path: Path,
    /// What a new member needs besides the identifier matched on (`{"username": path}` when
    /// matching by email, `{"email": path}` by username), for a webhook that creates members who
    /// have not joined (`on_unknown_member: "create"`, [`crate::joining`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create: Option<CreatePath>,
}

/// The payload path of the other identifier a new member needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePath {
    /// Which identifier it reads: the one the mapping does not match on.
    pub of: MatchBy,
    pub path: Path,
}

impl Serialize for CreatePath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.of.as_str(), &self.path)?;
        map.end()
    }
}

/// Where a row's value comes from: a payload path (the value as it is), or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Path(Path),
    Value(Expr),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldMapping {
    pub target: Target,
    pub op: Op,
    #[serde(flatten)]
    pub source: Source,
    /// The row applies only when this is true (a delivery without it applies every row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<Expr>,
}

/// A validated mapping: payload -> member, field effects, a chat message, and an optional
/// idempotency key. It maps fields, or posts a message, or both; `user` is required with fields.
/// A `filter` that is false makes the delivery `filtered`: it applies nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_path: Option<Path>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldMapping>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageMapping>,
}

impl Serialize for Path {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Mapping {
    /// Parses and validates a mapping against the community's fields and currencies. The first
    /// error found, in document order, is returned; [`crate::preview`] collects all of them instead.
    pub fn parse(value: &Value, catalog: &Catalog) -> Result<Self> {
        let root = root(value)?;
        reject_unknown_root(root)?;
        let filter = filter(root)?;
        let user = user(root)?;
        let idempotency_path = idempotency_path(root)?;
        let fields = rows(root)?
            .iter()
            .enumerate()
            .map(|(i, item)| field_mapping(item, i, catalog))
            .collect::<Result<_>>()?;
        let message = message(root)?;
        Ok(Self {
            filter,
            user,
            idempotency_path,
            fields,
            message,
        })
    }

    /// The mapping as the JSON the API stores and returns.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Every payload path the mapping reads, its expressions' among them: planning looks at
    /// nothing else.
    pub(crate) fn reads(&self) -> impl Iterator<Item = Vec<Step>> + '_ {
        let user = self.user.as_ref().map(|u| &u.path);
        let create = self.user.iter().filter_map(|u| u.create.as_ref());
        let paths = user
            .into_iter()
            .chain(create.map(|c| &c.path))
            .chain(&self.idempotency_path)
            .chain(self.fields.iter().filter_map(|row| match &row.source {
                Source::Path(path) => Some(path),
                Source::Value(_) => None,
            }))
            .chain(self.message.iter().flat_map(MessageMapping::paths))
            .map(Step::path);
        let expressions = self
            .filter
            .iter()
            .chain(self.fields.iter().flat_map(|row| {
                let value = match &row.source {
                    Source::Value(expr) => Some(expr),
                    Source::Path(_) => None,
                };
                value.into_iter().chain(&row.when)
            }))
            .flat_map(Expr::reads)
            .map(<[Step]>::to_vec);
        paths.chain(expressions)
    }
}

// The parts of a mapping, each parsed on its own so the preview can report every faulty part.

pub(crate) fn root(value: &Value) -> Result<&Map<String, Value>> {
    object(value, "mapping")
}

pub(crate) fn reject_unknown_root(root: &Map<String, Value>) -> Result<()> {
    reject_unknown(
        root,
        "",
        &["filter", "user", "idempotency_path", "fields", "message"],
    )
}

/// The mapping's filter: a delivery it finds false is `filtered`.
pub(crate) fn filter(root: &Map<String, Value>) -> Result<Option<Expr>> {
    match root.get("filter") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => expression(v, "filter").map(Some),
    }
}

/// An expression member of the mapping, parsed; its faults point at their character.
fn expression(value: &Value, at: &str) -> Result<Expr> {
    Expr::parse(string(value, at)?).map_err(|fault| fault.at(at))
}

/// The member the payload names: required when fields are mapped, optional for a message (when
/// given, the member must exist for the delivery to apply).
pub(crate) fn user(root: &Map<String, Value>) -> Result<Option<UserMatch>> {
    let maps_fields = matches!(root.get("fields"), Some(Value::Array(list)) if !list.is_empty())
        || !root.contains_key("message");
    let user = match root.get("user") {
        None | Some(Value::Null) if maps_fields => {
            return Err(invalid("user", "is required when fields are mapped"))
        }
        None | Some(Value::Null) => return Ok(None),
        Some(user) => object(user, "user")?,
    };
    reject_unknown(user, "user.", &["match", "path", "create"])?;
    let by = string(required(user, "match", "user.match")?, "user.match")?;
    let by = MatchBy::parse(by).ok_or_else(|| {
        invalid(
            "user.match",
            format!("{by:?} is not {}", quoted_or(&MatchBy::NAMES)),
        )
    })?;
    let create = match user.get("create") {
        None | Some(Value::Null) => None,
        Some(create) => {
            // The other identifier: matched by email, a new member needs a username.
            let of = match by {
                MatchBy::Email => MatchBy::Username,
                MatchBy::Username => MatchBy::Email,
            };
            let create = object(create, "user.create")?;
            reject_unknown(create, "user.create.", &[of.as_str()])?;
            let at = format!("user.create.{}", of.as_str());
            Some(CreatePath {
                of,
                path: path(required(create, of.as_str(), &at)?, &at)?,
            })
        }
    };
    Ok(Some(UserMatch {
        by,
        path: path(required(user, "path", "user.path")?, "user.path")?,
        create,
    }))
}

pub(crate) fn idempotency_path(root: &Map<String, Value>) -> Result<Option<Path>> {
    match root.get("idempotency_path") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => path(v, "idempotency_path").map(Some),
    }
}

/// The raw `fields` rows, checked for count only. A mapping with a message may have none.
pub(crate) fn rows(root: &Map<String, Value>) -> Result<&[Value]> {
    let has_message = root.contains_key("message");
    let list = match root.get("fields") {
        None if has_message => return Ok(&[]),
        None => return Err(invalid("fields", "is required (or a message)")),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(invalid("fields", "must be an array of field mappings")),
    };
    if list.is_empty() && has_message {
        return Ok(list);
    }
    if list.is_empty() || list.len() > MAX_FIELD_MAPPINGS {
        return Err(invalid(
            "fields",
            format!(
                "must hold 1 to {MAX_FIELD_MAPPINGS} field mappings, not {}",
                list.len()
            ),
        ));
    }
    Ok(list)
}

/// The chat message, when the mapping posts one.
pub(crate) fn message(root: &Map<String, Value>) -> Result<Option<MessageMapping>> {
    root.get("message").map(message::parse).transpose()
}

/// Parses row `index` of `fields`.
pub(crate) fn field_mapping(item: &Value, index: usize, catalog: &Catalog) -> Result<FieldMapping> {
    let at = &format!("fields[{index}]");
    let obj = object(item, at)?;
    reject_unknown(
        obj,
        &format!("{at}."),
        &["target", "op", "path", "value", "when"],
    )?;
    let op_at = format!("{at}.op");
    let op = string(required(obj, "op", &op_at)?, &op_at)?;
    let op = Op::parse(op)
        .ok_or_else(|| invalid(&op_at, format!("{op:?} is not {}", quoted_or(&Op::NAMES))))?;
    let target_at = format!("{at}.target");
    let target_obj = object(required(obj, "target", &target_at)?, &target_at)?;
    let target = match (
        target_obj.get("currency"),
        target_obj.get("field"),
        target_obj.len(),
    ) {
        (Some(c), None, 1) => {
            let c_at = format!("{target_at}.currency");
            let key = string(c, &c_at)?;
            Target::Currency(catalog.currency(key).ok_or_else(|| {
                let known: Vec<_> = catalog.currencies().collect();
                Error::new(
                    ErrorKind::UnknownCurrency,
                    format!(
                        "{c_at}: the community has no currency {key:?} (it has: {})",
                        known.join(", ")
                    ),
                )
                .at(&c_at)
            })?)
        }
        (None, Some(f), 1) => Target::Field(string(f, &format!("{target_at}.field"))?.to_owned()),
        _ => {
            return Err(invalid(
                &target_at,
                "must be {\"currency\": \"<key>\"} or {\"field\": \"<key>\"}",
            ))
        }
    };
    match &target {
        Target::Currency(_) if !CURRENCY_OPS.contains(&op) => {
            let names: Vec<&str> = CURRENCY_OPS.iter().map(|o| o.as_str()).collect();
            return Err(invalid(
                &op_at,
                format!("currencies take {}, not \"{op}\"", quoted_or(&names)),
            ));
        }
        Target::Field(key) => match catalog.field(key) {
            None => {
                let at = format!("{target_at}.field");
                return Err(Error::new(
                    ErrorKind::UnknownField,
                    format!("{at}: the community has no user field {key:?}"),
                )
                .at(at));
            }
            Some(ty) if !op.applies_to(ty) => {
                let names: Vec<&str> = ty.ops().iter().map(|o| o.as_str()).collect();
                return Err(invalid(
                    &op_at,
                    format!("{ty} fields take {} only", quoted_or(&names)),
                ));
            }
            Some(_) => {}
        },
        Target::Currency(_) => {}
    }
    let source = match (obj.get("path"), obj.get("value")) {
        (Some(p), None) => Source::Path(path(p, &format!("{at}.path"))?),
        (None, Some(v)) => {
            let value_at = format!("{at}.value");
            let expr = expression(v, &value_at)?;
            if let (Target::Currency(_), Some(fraction)) = (&target, expr.fraction()) {
                return Err(Error::new(
                    ErrorKind::InvalidExpression,
                    format!(
                        "{value_at}: the value may not be a whole number: at character {} it {}; \
                         a currency takes whole numbers, so round it with floor(), ceil(), \
                         round() or round_even()",
                        fraction.at, fraction.why
                    ),
                )
                .at(value_at)
                .offset(fraction.at));
            }
            Source::Value(expr)
        }
        (Some(_), Some(_)) => {
            return Err(invalid(at, "takes either \"path\" or \"value\", not both"))
        }
        (None, None) => return Err(invalid(&format!("{at}.path"), "is required (or a value)")),
    };
    let when = match obj.get("when") {
        None | Some(Value::Null) => None,
        Some(w) => Some(expression(w, &format!("{at}.when"))?),
    };
    Ok(FieldMapping {
        target,
        op,
        source,
        when,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ops::FieldType;
    use serde_json::json;

    type Patch = Box<dyn FnOnce(&mut Value)>;

    fn fields() -> Catalog {
        let fields = [
            ("tier".to_owned(), FieldType::Text),
            ("orders".to_owned(), FieldType::Number),
            ("vip".to_owned(), FieldType::Boolean),
        ];
        Catalog::new(fields.into(), ["gems"])
    }

    fn contract_example() -> Value {
        json!({
            "user": {"match": "email", "path": "customer.email"},
            "idempotency_path": "order.id",
            "fields": [
                {"target": {"currency": "coins"}, "op": "add", "path": "reward.coins"},
                {"target": {"currency": "xp"}, "op": "subtract", "path": "penalty"},
                {"target": {"field": "tier"}, "op": "overwrite", "path": "tier"},
                {"target": {"field": "orders"}, "op": "add", "path": "items[0].qty"}]
        })
    }

    #[test]
    fn parses_the_contract_example_and_round_trips() {
        let m = Mapping::parse(&contract_example(), &fields()).unwrap();
        assert_eq!(m.user.as_ref().unwrap().by, MatchBy::Email);
        assert_eq!(m.fields.len(), 4);
        assert_eq!(m.fields[3].target, Target::Field("orders".into()));
        assert_eq!(m.to_value(), contract_example());
    }

    fn error_for(patch: impl FnOnce(&mut Value)) -> Error {
        let mut v = contract_example();
        patch(&mut v);
        Mapping::parse(&v, &fields()).unwrap_err()
    }

    #[test]
    fn errors_name_the_member_at_fault() {
        let cases: Vec<(Patch, ErrorKind, &str)> = vec![
            (
                Box::new(|v| v["user"]["match"] = json!("phone")),
                ErrorKind::InvalidMapping,
                "user.match",
            ),
            (
                Box::new(|v| {
                    v["user"].as_object_mut().unwrap().remove("path");
                }),
                ErrorKind::InvalidMapping,
                "user.path",
            ),
            (
                Box::new(|v| v["user"]["path"] = json!("a..b")),
                ErrorKind::InvalidPath,
                "user.path",
            ),
            (
                Box::new(|v| v["fields"][1]["op"] = json!("overwrite")),
                ErrorKind::InvalidMapping,
                "fields[1].op",
            ),
            (
                Box::new(|v| v["fields"][2]["op"] = json!("add")),
                ErrorKind::InvalidMapping,
                "fields[2].op",
            ),
            (
                Box::new(|v| v["fields"][2]["target"] = json!({"field": "nope"})),
                ErrorKind::UnknownField,
                "fields[2].target.field",
            ),
            (
                Box::new(|v| v["fields"][0]["target"] = json!({"currency": "rubies"})),
                ErrorKind::UnknownCurrency,
                "fields[0].target.currency",
            ),
            (
                Box::new(|v| v["fields"][0]["target"] = json!({"currency": "xp", "field": "tier"})),
                ErrorKind::InvalidMapping,
                "fields[0].target",
            ),
            (
                Box::new(|v| v["fields"][3]["path"] = json!("items[x]")),
                ErrorKind::InvalidPath,
                "fields[3].path",
            ),
            (
                Box::new(|v| v["fields"][0]["extra"] = json!(1)),
                ErrorKind::InvalidMapping,
                "fields[0].extra",
            ),
            (
                Box::new(|v| v["fields"] = json!([])),
                ErrorKind::InvalidMapping,
                "fields",
            ),
            (
                Box::new(|v| v["idempotency_path"] = json!(5)),
                ErrorKind::InvalidMapping,
                "idempotency_path",
            ),
        ];
        for (patch, kind, at) in cases {
            let err = error_for(patch);
            assert_eq!((err.kind(), err.location()), (kind, Some(at)), "{err}");
            assert!(err.message().contains(at), "{err}");
        }
    }

    #[test]
    fn ops_are_accepted_exactly_where_the_rules_allow() {
        let fields = Catalog::with_fields(FieldType::ALL.map(|t| (t.to_string(), t)).into());
        let row = |target: Value, op: Op| {
            json!({"user": {"match": "email", "path": "e"},
                   "fields": [{"target": target, "op": op, "path": "n"}]})
        };
        for op in Op::ALL {
            for ty in FieldType::ALL {
                let parsed = Mapping::parse(&row(json!({"field": ty}), op), &fields);
                assert_eq!(parsed.is_ok(), op.applies_to(ty), "{op} on {ty}");
            }
            let parsed = Mapping::parse(&row(json!({"currency": "xp"}), op), &fields);
            assert_eq!(parsed.is_ok(), CURRENCY_OPS.contains(&op), "{op} on xp");
        }
    }

    #[test]
    fn limits_the_number_of_field_mappings() {
        let one = json!({"target": {"currency": "xp"}, "op": "add", "path": "n"});
        let err = error_for(|v| v["fields"] = Value::Array(vec![one; MAX_FIELD_MAPPINGS + 1]));
        assert!(err.message().contains("1 to 50"), "{err}");
    }

    #[test]
    fn a_row_takes_a_path_or_a_value_and_an_optional_when() {
        let with = |row: Value| {
            let mapping = json!({"filter": "kind == 'order'", "user": {"match": "email", "path": "e"}, "fields": [row]});
            Mapping::parse(&mapping, &fields())
        };
        let m = with(json!({"target": {"currency": "coins"}, "op": "add",
            "value": "round(decimal(total) * 10)", "when": "paid"}))
        .unwrap();
        assert!(matches!(m.fields[0].source, Source::Value(_)));
        assert_eq!(m.fields[0].when.as_ref().map(Expr::source), Some("paid"));
        assert_eq!(m.filter.as_ref().map(Expr::source), Some("kind == 'order'"));
        // It is stored and returned as written.
        assert_eq!(
            m.to_value(),
            json!({"filter": "kind == 'order'", "user": {"match": "email", "path": "e"},
                   "fields": [{"target": {"currency": "coins"}, "op": "add",
                               "value": "round(decimal(total) * 10)", "when": "paid"}]})
        );

        let cases = [
            (
                json!({"target": {"currency": "xp"}, "op": "add", "path": "a", "value": "1"}),
                ErrorKind::InvalidMapping,
                "fields[0]",
                "not both",
            ),
            (
                json!({"target": {"currency": "xp"}, "op": "add"}),
                ErrorKind::InvalidMapping,
                "fields[0].path",
                "or a value",
            ),
            (
                json!({"target": {"currency": "xp"}, "op": "add", "value": 5}),
                ErrorKind::InvalidMapping,
                "fields[0].value",
                "must be a string",
            ),
            (
                json!({"target": {"currency": "xp"}, "op": "add", "value": "1 +"}),
                ErrorKind::InvalidExpression,
                "fields[0].value",
                "at character 3",
            ),
            (
                json!({"target": {"currency": "xp"}, "op": "add", "value": "total / 100"}),
                ErrorKind::InvalidExpression,
                "fields[0].value",
                "at character 0 it divides",
            ),
            (
                json!({"target": {"currency": "xp"}, "op": "add", "value": "decimal(t)"}),
                ErrorKind::InvalidExpression,
                "fields[0].value",
                "reads a decimal",
            ),
            (
                json!({"target": {"currency": "xp"}, "op": "add", "path": "a", "when": "(("}),
                ErrorKind::InvalidExpression,
                "fields[0].when",
                "expected a value",
            ),
        ];
        for (row, kind, at, text) in cases {
            let err = with(row.clone()).unwrap_err();
            assert_eq!(
                (err.kind(), err.location()),
                (kind, Some(at)),
                "{row}: {err}"
            );
            assert!(err.message().contains(text), "{row}: {err}");
        }
        // A number field takes fractions: no rounding asked.
        assert!(
            with(json!({"target": {"field": "orders"}, "op": "add", "value": "total / 3"})).is_ok()
        );
        let err = Mapping::parse(
            &json!({"filter": "a ==", "message": {"channel": {"id": "c"}, "template": "x"}}),
            &fields(),
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.location(), err.character()),
            ("invalid_expression", Some("filter"), Some(4))
        );
    }

    #[test]
    fn a_mapping_posts_a_message_maps_fields_or_both() {
        let message = json!({"channel": {"id": "chn_1"}, "template": "Hi {{name}}"});
        let only = json!({"message": message});
        let m = Mapping::parse(&only, &fields()).unwrap();
        assert_eq!((m.user.is_none(), m.fields.len()), (true, 0));
        assert_eq!(m.to_value(), only);

        let with_member =
            json!({"user": {"match": "email", "path": "e"}, "fields": [], "message": message});
        assert!(Mapping::parse(&with_member, &fields())
            .unwrap()
            .user
            .is_some());

        let mut both = contract_example();
        both["message"] = message.clone();
        let m = Mapping::parse(&both, &fields()).unwrap();
        assert_eq!((m.fields.len(), m.message.is_some()), (4, true));
        assert_eq!(m.to_value(), both);

        let mut fields_without_user = both.clone();
        fields_without_user.as_object_mut().unwrap().remove("user");
        let err = Mapping::parse(&fields_without_user, &fields()).unwrap_err();
        assert_eq!(err.location(), Some("user"));

        let err = Mapping::parse(&json!({"user": {"match": "email", "path": "e"}}), &fields())
            .unwrap_err();
        assert_eq!(err.location(), Some("fields"));
        assert!(err.message().contains("or a message"), "{err}");

        let err = Mapping::parse(
            &json!({"message": {"channel": {"id": "c"}, "template": "{{"}}),
            &fields(),
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.location()),
            ("invalid_template", Some("message.template"))
        );
    }
}
