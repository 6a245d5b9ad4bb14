//! Evaluating an expression's tree over one delivery's input. Every step is counted against
//! [`MAX_STEPS`], every string it builds against [`MAX_STRING`]: no payload and no expression can
//! make it loop long, grow memory without bound, or panic.

use std::borrow::Cow;
use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::Value;

use super::number::{self, Rounding};
use super::parse::{BinOp, Kind, Node};
use super::value::Val;
use super::{Fault, Function, Input, Macro, Trace, MAX_STEPS, MAX_STRING};
use crate::error::ErrorKind;

pub(super) struct Eval<'a, 'i> {
    pub input: &'i Input<'a>,
    pub source: &'a str,
    pub steps: usize,
    pub vars: Vec<(&'a str, Val<'a>)>,
    /// When the preview asks for the steps: each node's value, outside macro bodies.
    pub trace: Option<&'i mut Vec<Trace>>,
    pub in_macro: usize,
}

type Out<'a> = Result<Val<'a>, Fault>;

impl<'a> Eval<'a, '_> {
    fn charge(&mut self, steps: usize, at: usize) -> Result<(), Fault> {
        self.steps = self.steps.saturating_add(steps);
        if self.steps > MAX_STEPS {
            return Err(Fault::new(
                ErrorKind::ExpressionStepLimit,
                at,
                format!("the expression took more than {MAX_STEPS} steps"),
            ));
        }
        Ok(())
    }

    /// The text of `node` as written, for messages.
    fn text(&self, node: &Node) -> String {
        self.source
            .chars()
            .skip(node.at)
            .take(node.end.saturating_sub(node.at))
            .collect()
    }

    fn wrong(&self, node: &Node, expected: &str, found: &Val<'_>) -> Fault {
        Fault::new(
            ErrorKind::WrongType,
            node.at,
            format!(
                "{} is {}, not {expected}",
                self.text(node),
                found.type_name()
            ),
        )
    }

    fn json(&self, json: &'a Value, node: &Node) -> Out<'a> {
        Val::of(json).map_err(|_| {
            Fault::new(
                ErrorKind::ExpressionFailed,
                node.at,
                format!(
                    "{} is a JSON number with more than {} significant digits, which hookmap \
                     cannot read exactly: send it as a string and read it with decimal()",
                    self.text(node),
                    number::EXACT_FLOAT_DIGITS
                ),
            )
        })
    }

    pub fn eval(&mut self, node: &'a Node) -> Out<'a> {
        self.charge(1, node.at)?;
        let value = self.value(node)?;
        if let (Some(trace), 0) = (self.trace.as_deref_mut(), self.in_macro) {
            if !is_literal(node) {
                trace.push(Trace {
                    at: node.at,
                    end: node.end,
                    value: value.to_json(),
                });
            }
        }
        Ok(value)
    }

    fn value(&mut self, node: &'a Node) -> Out<'a> {
        match &node.kind {
            Kind::Null => Ok(Val::Null),
            Kind::Bool(b) => Ok(Val::Bool(*b)),
            Kind::Num(n) => Ok(Val::Num(*n)),
            Kind::Str(s) => Ok(Val::Str(Cow::Borrowed(s))),
            Kind::Var(name) => self.var(name, node),
            Kind::Field(of, key) => {
                let of_value = self.eval(of)?;
                self.member(of_value, &Val::Str(Cow::Borrowed(key)), node)
            }
            Kind::Index(of, index) => {
                let of_value = self.eval(of)?;
                let index = self.eval(index)?;
                self.member(of_value, &index, node)
            }
            Kind::Not(inner) => match self.eval(inner)? {
                Val::Bool(b) => Ok(Val::Bool(!b)),
                other @ (Val::Null
                | Val::Num(_)
                | Val::Str(_)
                | Val::Json(_)
                | Val::List(_)
                | Val::Map(_)) => Err(self.wrong(inner, "a boolean", &other)),
            },
            Kind::Neg(inner) => match self.eval(inner)? {
                Val::Num(n) => Ok(Val::Num(-n)),
                other @ (Val::Null
                | Val::Bool(_)
                | Val::Str(_)
                | Val::Json(_)
                | Val::List(_)
                | Val::Map(_)) => Err(self.wrong(inner, "a number", &other)),
            },
            Kind::Binary(BinOp::And, l, r) => self.logic(l, r, false),
            Kind::Binary(BinOp::Or, l, r) => self.logic(l, r, true),
            Kind::Cond(cond, yes, no) => match self.eval(cond)? {
                Val::Bool(true) => self.eval(yes),
                Val::Bool(false) => self.eval(no),
                other @ (Val::Null
                | Val::Num(_)
                | Val::Str(_)
                | Val::Json(_)
                | Val::List(_)
                | Val::Map(_)) => Err(self.wrong(cond, "a boolean", &other)),
            },
            Kind::Binary(op, l, r) => {
                let left = self.eval(l)?;
                let right = self.eval(r)?;
                self.binary(*op, left, right, node, l, r)
            }
            Kind::List(items) => items
                .iter()
                .map(|item| self.eval(item))
                .collect::<Result<_, _>>()
                .map(Val::List),
            Kind::Map(entries) => {
                let mut map: Vec<(Val<'a>, Val<'a>)> = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = self.eval(k)?;
                    // As in CEL: a map literal names each key once.
                    if map.iter().any(|(seen, _)| equal(seen, &key)) {
                        return Err(Fault::new(
                            ErrorKind::ExpressionFailed,
                            k.at,
                            format!("the map repeats the key {}", key.to_json()),
                        ));
                    }
                    let value = self.eval(v)?;
                    map.push((key, value));
                }
                Ok(Val::Map(map))
            }
            Kind::Call(function, args) => self.call(*function, args, node),
            Kind::Macro(function, list, var, body) => self.macro_(*function, list, var, body),
        }
    }

    fn var(&mut self, name: &'a str, node: &Node) -> Out<'a> {
        if let Some((_, value)) = self.vars.iter().rev().find(|(n, _)| *n == name) {
            return Ok(value.clone());
        }
        let input = self.input;
        match name {
            "payload" => self.json(input.payload, node),
            "headers" => Ok(input.headers.map_or(Val::Map(Vec::new()), Val::Json)),
            "received_at" => input
                .received_at
                .map(|at| Val::Str(Cow::Borrowed(at)))
                .ok_or_else(|| {
                    Fault::new(
                        ErrorKind::MissingPath,
                        node.at,
                        "received_at is not known here",
                    )
                }),
            key => match input.payload.get(key) {
                Some(json) => self.json(json, node),
                None => Err(Fault::new(
                    ErrorKind::MissingPath,
                    node.at,
                    format!("the payload has no key {key:?}"),
                )),
            },
        }
    }

    /// `of.key` and `of[index]`.
    fn member(&mut self, of: Val<'a>, key: &Val<'_>, node: &Node) -> Out<'a> {
        let missing = |what: String| {
            Fault::new(
                ErrorKind::MissingPath,
                node.at,
                format!("{}: {what}", self.text(node)),
            )
        };
        match (&of, key) {
            (Val::Json(Value::Object(map)), Val::Str(k)) => match map.get(k.as_ref()) {
                Some(json) => self.json(json, node),
                None => Err(missing(format!("there is no key {k:?}"))),
            },
            (Val::Map(entries), k) => match entries.iter().find(|(key, _)| equal(key, k)) {
                Some((_, v)) => Ok(v.clone()),
                None => Err(missing(format!("the map has no key {}", k.to_json()))),
            },
            (Val::Json(Value::Array(items)), Val::Num(i)) => {
                let len = items.len();
                match index(*i, len).and_then(|i| items.get(i)) {
                    Some(json) => self.json(json, node),
                    None => Err(missing(format!(
                        "there is no index {i} (the list has {len})"
                    ))),
                }
            }
            (Val::List(items), Val::Num(i)) => {
                let len = items.len();
                match index(*i, len).and_then(|i| items.get(i)) {
                    Some(v) => Ok(v.clone()),
                    None => Err(missing(format!(
                        "there is no index {i} (the list has {len})"
                    ))),
                }
            }
            (Val::Json(Value::Object(_)), other) => Err(Fault::new(
                ErrorKind::WrongType,
                node.at,
                format!(
                    "{}: a map's keys are strings, not {}",
                    self.text(node),
                    other.type_name()
                ),
            )),
            (Val::Json(Value::Array(_)) | Val::List(_), other) => Err(Fault::new(
                ErrorKind::WrongType,
                node.at,
                format!(
                    "{}: a list's index is a whole number, not {}",
                    self.text(node),
                    other.type_name()
                ),
            )),
            (other, _) => Err(Fault::new(
                ErrorKind::WrongType,
                node.at,
                format!("{}: {} has no members", self.text(node), other.type_name()),
            )),
        }
    }

    /// `&&` and `||` as CEL has them: false (for `&&`; true for `||`) on either side decides,
    /// even when the other side fails; otherwise the first failure is the answer.
    fn logic(&mut self, l: &'a Node, r: &'a Node, decides: bool) -> Out<'a> {
        let left = self.boolean(l);
        if let Ok(b) = left {
            if b == decides {
                return Ok(Val::Bool(decides));
            }
        }
        if matches!(&left, Err(f) if f.kind == ErrorKind::ExpressionStepLimit) {
            return left.map(Val::Bool);
        }
        let right = self.boolean(r);
        match (left, right) {
            (_, Ok(b)) if b == decides => Ok(Val::Bool(decides)),
            (Err(e), _) | (_, Err(e)) => Err(e),
            (Ok(_), Ok(b)) => Ok(Val::Bool(b)),
        }
    }

    fn boolean(&mut self, node: &'a Node) -> Result<bool, Fault> {
        match self.eval(node)? {
            Val::Bool(b) => Ok(b),
            other @ (Val::Null
            | Val::Num(_)
            | Val::Str(_)
            | Val::Json(_)
            | Val::List(_)
            | Val::Map(_)) => Err(self.wrong(node, "a boolean", &other)),
        }
    }

    fn number(&mut self, node: &'a Node) -> Result<Decimal, Fault> {
        match self.eval(node)? {
            Val::Num(n) => Ok(n),
            other @ (Val::Null
            | Val::Bool(_)
            | Val::Str(_)
            | Val::Json(_)
            | Val::List(_)
            | Val::Map(_)) => Err(self.wrong(node, "a number", &other)),
        }
    }

    fn string(&mut self, node: &'a Node) -> Result<Cow<'a, str>, Fault> {
        match self.eval(node)? {
            Val::Str(s) => Ok(s),
            other @ (Val::Null
            | Val::Bool(_)
            | Val::Num(_)
            | Val::Json(_)
            | Val::List(_)
            | Val::Map(_)) => Err(self.wrong(node, "a string", &other)),
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        left: Val<'a>,
        right: Val<'a>,
        node: &Node,
        l: &Node,
        r: &Node,
    ) -> Out<'a> {
        let failed = |why: &str| {
            Fault::new(
                ErrorKind::ExpressionFailed,
                node.at,
                format!("{}: {why}", self.text(node)),
            )
        };
        let out_of_range = || failed("the result is out of range");
        match (op, &left, &right) {
            (BinOp::Add, Val::Num(a), Val::Num(b)) => {
                a.checked_add(*b).map(Val::Num).ok_or_else(out_of_range)
            }
            (BinOp::Sub, Val::Num(a), Val::Num(b)) => {
                a.checked_sub(*b).map(Val::Num).ok_or_else(out_of_range)
            }
            (BinOp::Mul, Val::Num(a), Val::Num(b)) => {
                a.checked_mul(*b).map(Val::Num).ok_or_else(out_of_range)
            }
            (BinOp::Div | BinOp::Rem, Val::Num(_), Val::Num(b)) if b.is_zero() => {
                Err(failed("division by zero"))
            }
            (BinOp::Div, Val::Num(a), Val::Num(b)) => {
                a.checked_div(*b).map(Val::Num).ok_or_else(out_of_range)
            }
            (BinOp::Rem, Val::Num(a), Val::Num(b)) => {
                a.checked_rem(*b).map(Val::Num).ok_or_else(out_of_range)
            }
            (BinOp::Add, Val::Str(a), Val::Str(b)) => {
                let len = a.len() + b.len();
                if len > MAX_STRING {
                    return Err(failed(&format!(
                        "the text would be longer than {MAX_STRING} bytes"
                    )));
                }
                self.charge(len / 64, node.at)?;
                Ok(Val::Str(Cow::Owned(format!("{a}{b}"))))
            }
            (BinOp::Add, a, b) if is_list(a) && is_list(b) => {
                let mut items = self.items(a, l)?;
                let more = self.items(b, r)?;
                self.charge(items.len() + more.len(), node.at)?;
                items.extend(more);
                Ok(Val::List(items))
            }
            (BinOp::Eq, a, b) => Ok(Val::Bool(self.equal(a, b, node)?)),
            (BinOp::Ne, a, b) => Ok(Val::Bool(!self.equal(a, b, node)?)),
            (BinOp::Lt, a, b) => Ok(Val::Bool(self.order(a, b, node)?.is_lt())),
            (BinOp::Le, a, b) => Ok(Val::Bool(self.order(a, b, node)?.is_le())),
            (BinOp::Gt, a, b) => Ok(Val::Bool(self.order(a, b, node)?.is_gt())),
            (BinOp::Ge, a, b) => Ok(Val::Bool(self.order(a, b, node)?.is_ge())),
            (BinOp::In, needle, Val::Json(Value::Object(map))) => Ok(Val::Bool(match needle {
                Val::Str(k) => map.contains_key(k.as_ref()),
                // A payload object's keys are strings.
                Val::Null
                | Val::Bool(_)
                | Val::Num(_)
                | Val::Json(_)
                | Val::List(_)
                | Val::Map(_) => false,
            })),
            (BinOp::In, needle, Val::Map(entries)) => {
                Ok(Val::Bool(entries.iter().any(|(k, _)| equal(k, needle))))
            }
            (BinOp::In, needle, list) if is_list(list) => {
                for item in self.items(list, r)? {
                    self.charge(1, node.at)?;
                    if self.equal(needle, &item, node)? {
                        return Ok(Val::Bool(true));
                    }
                }
                Ok(Val::Bool(false))
            }
            (op, a, b) => Err(Fault::new(
                ErrorKind::WrongType,
                node.at,
                format!(
                    "{}: {} takes {}, not {} and {}",
                    self.text(node),
                    op.symbol(),
                    match op {
                        BinOp::Add => "two numbers, two strings or two lists",
                        BinOp::In => "a value and a list or map",
                        // == and != take any values, and && and || are the evaluator's own
                        // (`logic`): only the arithmetic and the comparisons fail here.
                        BinOp::Sub
                        | BinOp::Mul
                        | BinOp::Div
                        | BinOp::Rem
                        | BinOp::Lt
                        | BinOp::Le
                        | BinOp::Gt
                        | BinOp::Ge
                        | BinOp::Eq
                        | BinOp::Ne
                        | BinOp::And
                        | BinOp::Or => "two numbers",
                    },
                    a.type_name(),
                    b.type_name()
                ),
            )),
        }
    }

    /// The order of two numbers, two strings or two booleans, for `<`, `<=`, `>` and `>=`.
    fn order(&self, a: &Val<'a>, b: &Val<'a>, node: &Node) -> Result<Ordering, Fault> {
        match (a, b) {
            (Val::Num(a), Val::Num(b)) => Ok(a.cmp(b)),
            (Val::Str(a), Val::Str(b)) => Ok(a.cmp(b)),
            (Val::Bool(a), Val::Bool(b)) => Ok(a.cmp(b)),
            _ => Err(Fault::new(
                ErrorKind::WrongType,
                node.at,
                format!(
                    "{}: cannot order {} and {}",
                    self.text(node),
                    a.type_name(),
                    b.type_name()
                ),
            )),
        }
    }

    /// Equality as CEL has it: values of different types are unequal; lists and maps compare
    /// their members, whether the payload's or written in the expression. Numbers compare
    /// exactly, so `1 == 1.0`.
    fn equal(&mut self, a: &Val<'a>, b: &Val<'a>, node: &Node) -> Result<bool, Fault> {
        if is_list(a) && is_list(b) {
            let (xs, ys) = (self.items(a, node)?, self.items(b, node)?);
            if xs.len() != ys.len() {
                return Ok(false);
            }
            for (x, y) in xs.iter().zip(&ys) {
                self.charge(1, node.at)?;
                if !self.equal(x, y, node)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let (Some(xs), Some(ys)) = (self.entries(a, node)?, self.entries(b, node)?) else {
            return Ok(equal(a, b));
        };
        if xs.len() != ys.len() {
            return Ok(false);
        }
        for (key, x) in &xs {
            self.charge(1, node.at)?;
            let Some((_, y)) = ys.iter().find(|(k, _)| equal(k, key)) else {
                return Ok(false);
            };
            if !self.equal(x, y, node)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A map's entries as values (a payload object's read one by one); `None` for a non-map.
    fn entries(
        &mut self,
        map: &Val<'a>,
        node: &Node,
    ) -> Result<Option<Vec<(Val<'a>, Val<'a>)>>, Fault> {
        match map {
            Val::Map(entries) => Ok(Some(entries.clone())),
            Val::Json(Value::Object(object)) => {
                self.charge(object.len(), node.at)?;
                object
                    .iter()
                    .map(|(k, v)| Ok((Val::Str(Cow::Borrowed(k.as_str())), self.json(v, node)?)))
                    .collect::<Result<_, _>>()
                    .map(Some)
            }
            Val::Null | Val::Bool(_) | Val::Num(_) | Val::Str(_) | Val::Json(_) | Val::List(_) => {
                Ok(None)
            }
        }
    }

    /// A list's members as values (a payload array's read one by one).
    fn items(&mut self, list: &Val<'a>, node: &Node) -> Result<Vec<Val<'a>>, Fault> {
        match list {
            Val::List(items) => Ok(items.clone()),
            Val::Json(Value::Array(items)) => {
                self.charge(items.len(), node.at)?;
                items.iter().map(|item| self.json(item, node)).collect()
            }
            // A map's members are its keys, as CEL's macros see them.
            Val::Json(Value::Object(map)) => {
                self.charge(map.len(), node.at)?;
                Ok(map
                    .keys()
                    .map(|k| Val::Str(Cow::Borrowed(k.as_str())))
                    .collect())
            }
            Val::Map(entries) => Ok(entries.iter().map(|(k, _)| k.clone()).collect()),
            other @ (Val::Null | Val::Bool(_) | Val::Num(_) | Val::Str(_) | Val::Json(_)) => {
                Err(self.wrong(node, "a list", other))
            }
        }
    }

    fn macro_(&mut self, function: Macro, list: &'a Node, var: &'a str, body: &'a Node) -> Out<'a> {
        let list_value = self.eval(list)?;
        let items = self.items(&list_value, list)?;
        self.in_macro += 1;
        let out = self.each(function, items, var, body);
        self.in_macro -= 1;
        out
    }

    fn each(
        &mut self,
        function: Macro,
        items: Vec<Val<'a>>,
        var: &'a str,
        body: &'a Node,
    ) -> Out<'a> {
        let mut kept = Vec::new();
        // exists() and all() decide on the first true (false) even past failures, as CEL does.
        let mut failure = None;
        for item in items {
            self.vars.push((var, item));
            let result = match function {
                Macro::Map => self.eval(body),
                // The other macros' bodies are predicates.
                Macro::Filter | Macro::Exists | Macro::All => {
                    self.eval(body).and_then(|v| match v {
                        Val::Bool(b) => Ok(Val::Bool(b)),
                        other @ (Val::Null
                        | Val::Num(_)
                        | Val::Str(_)
                        | Val::Json(_)
                        | Val::List(_)
                        | Val::Map(_)) => Err(self.wrong(body, "a boolean", &other)),
                    })
                }
            };
            let item = self.vars.pop().map_or(Val::Null, |(_, v)| v);
            match (function, result) {
                (_, Err(f)) if f.kind == ErrorKind::ExpressionStepLimit => return Err(f),
                (Macro::Exists | Macro::All, Err(f)) => {
                    failure.get_or_insert(f);
                }
                (_, Err(f)) => return Err(f),
                (Macro::Map, Ok(v)) => kept.push(v),
                (Macro::Filter, Ok(Val::Bool(true))) => kept.push(item),
                (Macro::Exists, Ok(Val::Bool(true))) => return Ok(Val::Bool(true)),
                (Macro::All, Ok(Val::Bool(false))) => return Ok(Val::Bool(false)),
                _ => {}
            }
        }
        match (function, failure) {
            (_, Some(f)) => Err(f),
            (Macro::Exists, None) => Ok(Val::Bool(false)),
            (Macro::All, None) => Ok(Val::Bool(true)),
            _ => Ok(Val::List(kept)),
        }
    }

    fn call(&mut self, function: Function, args: &'a [Node], node: &'a Node) -> Out<'a> {
        let [first, rest @ ..] = args else {
            return Err(Fault::new(
                ErrorKind::InvalidExpression,
                node.at,
                format!("{function}() needs an argument"),
            ));
        };
        match function {
            Function::Has => Ok(Val::Bool(self.has(first)?)),
            Function::Default => match (self.eval(first), rest.first()) {
                (Ok(Val::Null), Some(fallback)) => self.eval(fallback),
                (Err(f), Some(fallback)) if f.kind == ErrorKind::MissingPath => self.eval(fallback),
                (out, _) => out,
            },
            Function::Decimal => match self.eval(first)? {
                Val::Num(n) => Ok(Val::Num(n)),
                Val::Str(s) => number::parse(&s).map(Val::Num).map_err(|why| {
                    let what = match why {
                        number::NotANumber::Syntax => {
                            "is not a number as JSON writes them (\"24.99\", \"-3\")"
                        }
                        number::NotANumber::Range => {
                            "is out of range (at most 28 decimal places and 28 or 29 digits)"
                        }
                    };
                    Fault::new(
                        ErrorKind::WrongType,
                        node.at,
                        format!("{}: {s:?} {what}", self.text(first)),
                    )
                }),
                other @ (Val::Null | Val::Bool(_) | Val::Json(_) | Val::List(_) | Val::Map(_)) => {
                    Err(self.wrong(first, "a string or a number", &other))
                }
            },
            Function::String => match self.eval(first)? {
                Val::Str(s) => Ok(Val::Str(s)),
                Val::Num(n) => Ok(Val::Str(Cow::Owned(n.normalize().to_string()))),
                Val::Bool(b) => Ok(Val::Str(Cow::Borrowed(if b { "true" } else { "false" }))),
                Val::Null => Ok(Val::Str(Cow::Borrowed("null"))),
                other @ (Val::Json(_) | Val::List(_) | Val::Map(_)) => {
                    Err(self.wrong(first, "a string, number, boolean or null", &other))
                }
            },
            Function::Size => {
                let value = self.eval(first)?;
                let size = match &value {
                    Val::Str(s) => s.chars().count(),
                    Val::Json(Value::Array(items)) => items.len(),
                    Val::Json(Value::Object(map)) => map.len(),
                    Val::List(items) => items.len(),
                    Val::Map(entries) => entries.len(),
                    other @ (Val::Null | Val::Bool(_) | Val::Num(_) | Val::Json(_)) => {
                        return Err(self.wrong(first, "a string, list or map", other))
                    }
                };
                Ok(Val::Num(Decimal::from(size)))
            }
            Function::Floor => self.round(first, rest, Rounding::Floor),
            Function::Ceil => self.round(first, rest, Rounding::Ceil),
            Function::Round => self.round(first, rest, Rounding::HalfUp),
            Function::RoundEven => self.round(first, rest, Rounding::HalfEven),
            Function::Min => {
                let numbers = self.numbers(function, args, node)?;
                self.picked(numbers.iter().min().copied(), function, node)
            }
            Function::Max => {
                let numbers = self.numbers(function, args, node)?;
                self.picked(numbers.iter().max().copied(), function, node)
            }
            Function::Sum => {
                let numbers = self.numbers(function, args, node)?;
                let sum = numbers
                    .iter()
                    .try_fold(Decimal::ZERO, |sum, n| sum.checked_add(*n))
                    .ok_or_else(|| {
                        Fault::new(
                            ErrorKind::ExpressionFailed,
                            node.at,
                            format!("{}: the sum is out of range", self.text(node)),
                        )
                    })?;
                Ok(Val::Num(sum))
            }
            // ASCII letters only, as CEL's lowerAscii and upperAscii: Unicode's case tables
            // would be the larger part of the evaluator in the edge's and the page's wasm.
            Function::Lower => Ok(Val::Str(Cow::Owned(
                self.string(first)?.to_ascii_lowercase(),
            ))),
            Function::Upper => Ok(Val::Str(Cow::Owned(
                self.string(first)?.to_ascii_uppercase(),
            ))),
            Function::Trim => Ok(Val::Str(match self.string(first)? {
                Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
                Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
            })),
            Function::Contains => {
                self.test(function, first, rest, node, |s, part| s.contains(part))
            }
            Function::StartsWith => {
                self.test(function, first, rest, node, |s, part| s.starts_with(part))
            }
            Function::EndsWith => {
                self.test(function, first, rest, node, |s, part| s.ends_with(part))
            }
            Function::Map | Function::Filter | Function::Exists | Function::All => Err(Fault::new(
                ErrorKind::InvalidExpression,
                node.at,
                format!("{function}() is called on a list"),
            )),
        }
    }

    /// `floor`, `ceil`, `round` and `round_even`: a number, rounded `how` to the places the
    /// second argument gives (0 without one).
    fn round(&mut self, first: &'a Node, rest: &'a [Node], how: Rounding) -> Out<'a> {
        let x = self.number(first)?;
        let places = match rest.first() {
            None => 0,
            Some(p) => self.places(p)?,
        };
        Ok(Val::Num(number::round(x, places, how)))
    }

    /// What `min` or `max` picked: none of an empty list is a failure.
    fn picked(&self, picked: Option<Decimal>, function: Function, node: &Node) -> Out<'a> {
        picked.map(Val::Num).ok_or_else(|| {
            Fault::new(
                ErrorKind::ExpressionFailed,
                node.at,
                format!("{}: {function}() of an empty list", self.text(node)),
            )
        })
    }

    /// `contains`, `startsWith` and `endsWith`: whether `holds` of the string and the part.
    fn test(
        &mut self,
        function: Function,
        first: &'a Node,
        rest: &'a [Node],
        node: &'a Node,
        holds: fn(&str, &str) -> bool,
    ) -> Out<'a> {
        let s = self.string(first)?;
        let Some(part) = rest.first() else {
            return Err(Fault::new(
                ErrorKind::InvalidExpression,
                node.at,
                format!("{function}() takes two arguments"),
            ));
        };
        let part = self.string(part)?;
        Ok(Val::Bool(holds(&s, &part)))
    }

    /// `has(of.key)`, `has(of[key])`: whether the member is there. A missing `of` answers false
    /// (CEL would fail): a webhook's optional parts are often missing a level up.
    fn has(&mut self, member: &'a Node) -> Result<bool, Fault> {
        let (of, key) = match &member.kind {
            Kind::Field(of, key) => (of, Val::Str(Cow::Borrowed(key.as_str()))),
            Kind::Index(of, key) => {
                let key = self.eval(key)?;
                (of, key)
            }
            // Only a member can be had (the parser refuses `has` of anything else).
            Kind::Null
            | Kind::Bool(_)
            | Kind::Num(_)
            | Kind::Str(_)
            | Kind::Var(_)
            | Kind::Not(_)
            | Kind::Neg(_)
            | Kind::Binary(..)
            | Kind::Cond(..)
            | Kind::List(_)
            | Kind::Map(_)
            | Kind::Call(..)
            | Kind::Macro(..) => return Ok(false),
        };
        let of_value = match self.eval(of) {
            Ok(v) => v,
            Err(f) if f.kind == ErrorKind::MissingPath => return Ok(false),
            Err(f) => return Err(f),
        };
        Ok(match (&of_value, &key) {
            (Val::Json(Value::Object(map)), Val::Str(k)) => map.contains_key(k.as_ref()),
            (Val::Map(entries), k) => entries.iter().any(|(key, _)| equal(key, k)),
            (Val::Json(Value::Array(items)), Val::Num(i)) => index(*i, items.len()).is_some(),
            (Val::List(items), Val::Num(i)) => index(*i, items.len()).is_some(),
            _ => false,
        })
    }

    /// A rounding function's decimal places: a whole number from 0 to 28.
    fn places(&mut self, node: &'a Node) -> Result<u32, Fault> {
        let n = self.number(node)?;
        number::whole(n)
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p <= number::MAX_SCALE)
            .ok_or_else(|| {
                Fault::new(
                    ErrorKind::WrongType,
                    node.at,
                    format!(
                        "{}: decimal places are a whole number from 0 to 28",
                        self.text(node)
                    ),
                )
            })
    }

    /// min, max and sum take numbers, or one list of them.
    fn numbers(
        &mut self,
        function: Function,
        args: &'a [Node],
        node: &Node,
    ) -> Result<Vec<Decimal>, Fault> {
        let values = match args {
            [one] => {
                let value = self.eval(one)?;
                if is_list(&value) {
                    self.items(&value, one)?
                } else if function == Function::Sum {
                    return Err(self.wrong(one, "a list", &value));
                } else {
                    vec![value]
                }
            }
            many => many
                .iter()
                .map(|a| self.eval(a))
                .collect::<Result<_, _>>()?,
        };
        self.charge(values.len(), node.at)?;
        values
            .into_iter()
            .map(|v| match v {
                Val::Num(n) => Ok(n),
                other @ (Val::Null
                | Val::Bool(_)
                | Val::Str(_)
                | Val::Json(_)
                | Val::List(_)
                | Val::Map(_)) => Err(Fault::new(
                    ErrorKind::WrongType,
                    node.at,
                    format!(
                        "{}: {function}() takes numbers, not {}",
                        self.text(node),
                        other.type_name()
                    ),
                )),
            })
            .collect()
    }
}

fn is_literal(node: &Node) -> bool {
    matches!(
        node.kind,
        Kind::Null | Kind::Bool(_) | Kind::Num(_) | Kind::Str(_)
    )
}

fn is_list(v: &Val<'_>) -> bool {
    matches!(v, Val::List(_) | Val::Json(Value::Array(_)))
}

/// A list index: a whole number within the list (no negative indexes, as in CEL).
fn index(i: Decimal, len: usize) -> Option<usize> {
    number::whole(i)
        .and_then(|i| usize::try_from(i).ok())
        .filter(|i| *i < len)
}

/// Equality of scalars (and so of map keys); lists and maps go through [`Eval::equal`].
fn equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        _ => false,
    }
}
