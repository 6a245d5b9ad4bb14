//! What can be known of an expression before any payload: whether its number may have a
//! fraction. A currency is a whole number, so a row whose value may not be one must round it
//! (`floor`, `ceil`, `round`, `round_even`), and the save says where the fraction comes from.
//!
//! A payload's own numbers count as whole here: a sender that sends 2.5 where a whole number was
//! due fails that delivery with `non_integer_amount`, as a path row always has. What the check
//! catches is the mapping that makes fractions itself: it divides, reads a decimal, or writes one.

use super::parse::{BinOp, Kind, Node};
use super::{Function, Macro};

/// Where a number may first get a fraction, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fraction {
    pub at: usize,
    pub why: &'static str,
}

/// The first place (in evaluation order) where `node`'s value, or a member of it, may get a
/// fraction; `None` when it is whole wherever it is a number.
pub(super) fn fraction(node: &Node) -> Option<Fraction> {
    Check { vars: Vec::new() }.node(node)
}

struct Check<'n> {
    /// Macro variables and whether their members may have fractions.
    vars: Vec<(&'n str, Option<Fraction>)>,
}

fn at(node: &Node, why: &'static str) -> Option<Fraction> {
    Some(Fraction { at: node.at, why })
}

impl<'n> Check<'n> {
    fn any<'a>(&mut self, nodes: impl IntoIterator<Item = &'a Node>) -> Option<Fraction>
    where
        'n: 'a,
        'a: 'n,
    {
        nodes.into_iter().find_map(|n| self.node(n))
    }

    fn node(&mut self, node: &'n Node) -> Option<Fraction> {
        match &node.kind {
            Kind::Num(n) if !n.fract().is_zero() => at(node, "is a number with a fraction"),
            Kind::Null | Kind::Bool(_) | Kind::Num(_) | Kind::Str(_) => None,
            Kind::Var(name) => self
                .vars
                .iter()
                .rev()
                .find(|(v, _)| v == name)
                .and_then(|(_, f)| f.clone()),
            Kind::Field(of, _) | Kind::Neg(of) => self.node(of),
            Kind::Index(of, _) => self.node(of),
            Kind::Not(_) => None,
            Kind::Binary(BinOp::Div, ..) => at(node, "divides"),
            Kind::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Rem, l, r) => {
                self.node(l).or_else(|| self.node(r))
            }
            Kind::Binary(..) => None,
            Kind::Cond(_, yes, no) => self.node(yes).or_else(|| self.node(no)),
            Kind::List(items) => self.any(items),
            Kind::Map(entries) => entries.iter().find_map(|(_, v)| self.node(v)),
            Kind::Call(function, args) => match function {
                Function::Decimal => at(node, "reads a decimal"),
                Function::Floor | Function::Ceil | Function::Round | Function::RoundEven => {
                    match args.get(1) {
                        Some(Node {
                            kind: Kind::Num(places),
                            ..
                        }) if places.is_zero() => None,
                        Some(_) => at(node, "rounds to decimal places"),
                        None => None,
                    }
                }
                Function::Min | Function::Max | Function::Sum | Function::Default => self.any(args),
                // Text, booleans and whole numbers (`size`); the macros are never calls.
                Function::String
                | Function::Size
                | Function::Has
                | Function::Lower
                | Function::Upper
                | Function::Trim
                | Function::Contains
                | Function::StartsWith
                | Function::EndsWith
                | Function::Map
                | Function::Filter
                | Function::Exists
                | Function::All => None,
            },
            Kind::Macro(function, list, var, body) => {
                let members = self.node(list);
                match function {
                    Macro::Map => {
                        self.vars.push((var, members));
                        let out = self.node(body);
                        self.vars.pop();
                        out
                    }
                    Macro::Filter => members,
                    // Booleans.
                    Macro::Exists | Macro::All => None,
                }
            }
        }
    }
}
