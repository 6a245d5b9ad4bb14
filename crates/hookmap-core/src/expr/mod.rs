//! Expressions: what a mapping row's `value` and `when`, and a mapping's `filter`, are written in.
//!
//! The language is a documented subset of CEL's syntax (EXPRESSIONS.md lists it, and every
//! difference from CEL), evaluated here over one exact number type ([`number`]):
//! `decimal(total_price) * 10`, `amount_total / 100`, `financial_status == "paid"`,
//! `line_items.map(i, i.quantity).sum()`, `{"gold": 100, "silver": 50}[tier]`. An expression is parsed once, when its mapping is
//! (a syntax error names the character), and evaluated per delivery under a step budget.
//!
//! Names: a macro's variable, then `payload` (the whole payload), `headers` (the request's
//! allow-listed headers, lowercase names), `received_at` (when the edge received it), then the
//! payload's top-level keys.

mod check;
mod eval;
mod lex;
pub mod number;
mod parse;
mod value;

use std::rc::Rc;

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::needs::Step;
use crate::path::Segment;
use crate::vocabulary::vocabulary;

pub use check::Fraction;
pub use value::Val;

/// Longest expression, in characters.
pub const MAX_LEN: usize = 1000;
/// Deepest nesting of parentheses, brackets, calls, conditionals and unary operators.
pub const MAX_DEPTH: usize = 32;
/// Most steps one evaluation may take: a step per node evaluated, per member a macro visits or
/// a function reads, and per 64 bytes a string concatenation writes.
pub const MAX_STEPS: usize = 10_000;
/// Longest string an expression may build, in bytes.
pub const MAX_STRING: usize = 16 * 1024;

vocabulary! {
    /// The functions an expression may call, as `f(x, y)` or `x.f(y)` alike; `map`, `filter`,
    /// `exists` and `all` are macros, called on a list with a variable: `items.map(i, i.qty)`.
    pub enum Function {
        Decimal = "decimal",
        String = "string",
        Size = "size",
        Has = "has",
        Default = "default",
        Min = "min",
        Max = "max",
        Sum = "sum",
        Floor = "floor",
        Ceil = "ceil",
        Round = "round",
        RoundEven = "round_even",
        Lower = "lower",
        Upper = "upper",
        Trim = "trim",
        Contains = "contains",
        StartsWith = "startsWith",
        EndsWith = "endsWith",
        Map = "map",
        Filter = "filter",
        Exists = "exists",
        All = "all",
    }
}

impl Function {
    /// Fewest and most arguments, the receiver of `x.f()` counted.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Self::Min | Self::Max => (1, usize::MAX),
            Self::Floor | Self::Ceil | Self::Round | Self::RoundEven => (1, 2),
            Self::Default | Self::Contains | Self::StartsWith | Self::EndsWith => (2, 2),
            Self::Map | Self::Filter | Self::Exists | Self::All => (3, 3),
            Self::Decimal
            | Self::String
            | Self::Size
            | Self::Has
            | Self::Sum
            | Self::Lower
            | Self::Upper
            | Self::Trim => (1, 1),
        }
    }

    /// The macro this function is, if it is one: called on a list with a variable.
    pub fn as_macro(self) -> Option<Macro> {
        match self {
            Self::Map => Some(Macro::Map),
            Self::Filter => Some(Macro::Filter),
            Self::Exists => Some(Macro::Exists),
            Self::All => Some(Macro::All),
            Self::Decimal
            | Self::String
            | Self::Size
            | Self::Has
            | Self::Default
            | Self::Min
            | Self::Max
            | Self::Sum
            | Self::Floor
            | Self::Ceil
            | Self::Round
            | Self::RoundEven
            | Self::Lower
            | Self::Upper
            | Self::Trim
            | Self::Contains
            | Self::StartsWith
            | Self::EndsWith => None,
        }
    }

    pub fn is_macro(self) -> bool {
        self.as_macro().is_some()
    }
}

/// The functions that are macros: `list.f(x, body)` evaluates `body` for each member as `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Macro {
    /// Each member's `body`.
    Map,
    /// The members whose `body` is true.
    Filter,
    /// Whether `body` is true for some member.
    Exists,
    /// Whether `body` is true for every member.
    All,
}

/// What an expression may read of one delivery.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub payload: &'a Value,
    /// The request's allow-listed headers as a JSON object (lowercase names), when known.
    pub headers: Option<&'a Value>,
    /// When the edge received the request (RFC 3339, UTC), when known.
    pub received_at: Option<&'a str>,
}

impl<'a> From<&'a Value> for Input<'a> {
    fn from(payload: &'a Value) -> Self {
        Self {
            payload,
            headers: None,
            received_at: None,
        }
    }
}

/// One step of an evaluation, for the preview: a part of the expression and its value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trace {
    pub at: usize,
    pub end: usize,
    pub value: Value,
}

/// Why an expression did not parse or evaluate: a kind, what went wrong, and the character it
/// went wrong at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: ErrorKind,
    pub at: usize,
    pub message: String,
}

impl Fault {
    fn new(kind: ErrorKind, at: usize, message: impl Into<String>) -> Self {
        Self {
            kind,
            at,
            message: message.into(),
        }
    }

    fn syntax(at: usize, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidExpression, at, message)
    }

    fn limit(at: usize, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidExpression, at, message)
    }

    /// The fault as the crate's error, placed at `place` (`fields[2].value`).
    pub fn at(self, place: &str) -> Error {
        Error::new(
            self.kind,
            format!("{place}: {} (at character {})", self.message, self.at),
        )
        .at(place)
        .offset(self.at)
    }
}

/// A parsed expression. Equal when written alike. Cloned by reference: a mapping is copied
/// (the preview's draft, the edge's cached record) far more often than it is parsed.
#[derive(Debug, Clone)]
pub struct Expr(Rc<Compiled>);

#[derive(Debug)]
struct Compiled {
    source: String,
    root: parse::Node,
    /// The payload paths it reads, each needed whole where it ends (see [`crate::needs`]).
    reads: Vec<Vec<Step>>,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.0.source == other.0.source
    }
}

impl Eq for Expr {}

impl serde::Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.source)
    }
}

impl Expr {
    pub fn parse(source: &str) -> Result<Self, Fault> {
        let len = source.chars().count();
        if len > MAX_LEN {
            return Err(Fault::limit(
                MAX_LEN,
                format!("the expression is {len} characters long; at most {MAX_LEN} are allowed"),
            ));
        }
        let tokens = lex::tokens(source)?;
        let root = parse::parse(&tokens)?;
        let mut reads = Vec::new();
        reads_of(&root, &mut Vec::new(), &mut reads);
        Ok(Self(Rc::new(Compiled {
            source: source.to_owned(),
            root,
            reads,
        })))
    }

    pub fn source(&self) -> &str {
        &self.0.source
    }

    pub(crate) fn reads(&self) -> impl Iterator<Item = &[Step]> {
        self.0.reads.iter().map(Vec::as_slice)
    }

    /// Where the value may first get a fraction (see [`check`]).
    pub fn fraction(&self) -> Option<Fraction> {
        check::fraction(&self.0.root)
    }

    pub fn eval<'a>(&'a self, input: &Input<'a>) -> Result<Val<'a>, Fault> {
        self.run(input, None)
    }

    /// Evaluates and keeps each part's value, outermost last, for the preview's steps.
    pub fn eval_traced<'a>(&'a self, input: &Input<'a>) -> (Result<Val<'a>, Fault>, Vec<Trace>) {
        let mut trace = Vec::new();
        let out = self.run(input, Some(&mut trace));
        (out, trace)
    }

    fn run<'a>(
        &'a self,
        input: &Input<'a>,
        trace: Option<&mut Vec<Trace>>,
    ) -> Result<Val<'a>, Fault> {
        eval::Eval {
            input,
            source: &self.0.source,
            steps: 0,
            vars: Vec::new(),
            trace,
            in_macro: 0,
        }
        .eval(&self.0.root)
    }
}

/// A macro's variable, and the payload path of the list it walks (`None` when the list is
/// computed: its own reads are recorded where it is).
type Bound<'n> = (&'n str, Option<Vec<Step>>);

/// The payload paths `node` reads: each longest chain of `.key` and `[literal]` from a payload
/// name, needed whole where it ends. A chain from a macro's variable reads into every member of
/// the macro's list (`items.map(i, i.qty)` needs each item's `qty`, not whole items), except in
/// `filter`, whose result is the members themselves. `headers` reads no payload.
fn reads_of<'n>(node: &'n parse::Node, bound: &mut Vec<Bound<'n>>, out: &mut Vec<Vec<Step>>) {
    use parse::Kind;
    if let Some(path) = chain(node, bound) {
        out.push(path);
        return;
    }
    match &node.kind {
        Kind::Null | Kind::Bool(_) | Kind::Num(_) | Kind::Str(_) | Kind::Var(_) => {}
        Kind::Field(of, _) | Kind::Not(of) | Kind::Neg(of) => reads_of(of, bound, out),
        Kind::Index(of, index) => {
            reads_of(of, bound, out);
            reads_of(index, bound, out);
        }
        Kind::Binary(_, l, r) => {
            reads_of(l, bound, out);
            reads_of(r, bound, out);
        }
        Kind::Cond(c, y, n) => {
            for part in [c, y, n] {
                reads_of(part, bound, out);
            }
        }
        Kind::List(items) | Kind::Call(_, items) => {
            for item in items {
                reads_of(item, bound, out);
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries {
                reads_of(k, bound, out);
                reads_of(v, bound, out);
            }
        }
        Kind::Macro(function, list, var, body) => {
            let members = match (function, chain(list, bound)) {
                (Macro::Filter, _) | (_, None) => {
                    reads_of(list, bound, out);
                    None
                }
                (_, Some(mut path)) => {
                    path.push(Step::Each);
                    Some(path)
                }
            };
            bound.push((var, members));
            reads_of(body, bound, out);
            bound.pop();
        }
    }
}

/// `node` as a path of the payload, when it is a name of the payload (or a macro's variable
/// over one) followed by literal steps.
fn chain(node: &parse::Node, bound: &[Bound<'_>]) -> Option<Vec<Step>> {
    use parse::Kind;
    let key = |key: &str| Step::Segment(Segment::Key(key.to_owned()));
    match &node.kind {
        Kind::Var(name) => match bound.iter().rev().find(|(var, _)| *var == name.as_str()) {
            Some((_, members)) => members.clone(),
            None => match name.as_str() {
                "payload" => Some(Vec::new()),
                "headers" | "received_at" => None,
                name => Some(vec![key(name)]),
            },
        },
        Kind::Field(of, name) => {
            let mut path = chain(of, bound)?;
            path.push(key(name));
            Some(path)
        }
        Kind::Index(of, index) => {
            let step = match &index.kind {
                Kind::Str(name) => key(name),
                Kind::Num(n) => {
                    Step::Segment(Segment::Index(usize::try_from(number::whole(*n)?).ok()?))
                }
                // A computed index: the whole of `of` is read.
                Kind::Null
                | Kind::Bool(_)
                | Kind::Var(_)
                | Kind::Field(..)
                | Kind::Index(..)
                | Kind::Not(_)
                | Kind::Neg(_)
                | Kind::Binary(..)
                | Kind::Cond(..)
                | Kind::List(_)
                | Kind::Map(_)
                | Kind::Call(..)
                | Kind::Macro(..) => return None,
            };
            let mut path = chain(of, bound)?;
            path.push(step);
            Some(path)
        }
        Kind::Null
        | Kind::Bool(_)
        | Kind::Num(_)
        | Kind::Str(_)
        | Kind::Not(_)
        | Kind::Neg(_)
        | Kind::Binary(..)
        | Kind::Cond(..)
        | Kind::List(_)
        | Kind::Map(_)
        | Kind::Call(..)
        | Kind::Macro(..) => None,
    }
}

#[cfg(test)]
mod tests;
