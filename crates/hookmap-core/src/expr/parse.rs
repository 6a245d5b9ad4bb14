//! Tokens -> the expression's tree, by precedence climbing in CEL's order:
//! `?:` < `||` < `&&` < comparisons and `in` < `+ -` < `* / %` < unary `! -` < `.`, `[]`, calls.

use rust_decimal::Decimal;

use super::lex::{Tok, Token};
use super::{Fault, Function, Macro, MAX_DEPTH};

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// Character offsets of the node's text: `[at, end)`.
    pub at: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(String),
    /// A name: a macro's variable, `payload`, `headers`, `received_at`, or a top-level key of the
    /// payload.
    Var(String),
    Field(Box<Node>, String),
    Index(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    /// `&&` and `||` too: the evaluator gives them CEL's short-circuit logic.
    Binary(BinOp, Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Call(Function, Vec<Node>),
    /// `list.map(x, body)` and its kin: the list, the variable's name, the body.
    Macro(Macro, Box<Node>, String, Box<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Rem => "%",
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "in",
            Self::And => "&&",
            Self::Or => "||",
        }
    }
}

pub(super) fn parse(tokens: &[Token]) -> Result<Node, Fault> {
    let mut p = Parser {
        tokens,
        next: 0,
        depth: 0,
    };
    let node = p.expr()?;
    match p.peek() {
        Tok::End => Ok(node),
        other @ (Tok::Num(_)
        | Tok::Str(_)
        | Tok::Ident(_)
        | Tok::True
        | Tok::False
        | Tok::Null
        | Tok::In
        | Tok::Punct(_)) => Err(Fault::syntax(
            p.at(),
            format!("unexpected {}", shown(other)),
        )),
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    next: usize,
    depth: usize,
}

fn shown(tok: &Tok) -> String {
    match tok {
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Ident(name) => format!("name {name:?}"),
        Tok::True => "true".into(),
        Tok::False => "false".into(),
        Tok::Null => "null".into(),
        Tok::In => "\"in\"".into(),
        Tok::Punct(p) => format!("{p:?}"),
        Tok::End => "end of the expression".into(),
    }
}

fn node(at: usize, end: usize, kind: Kind) -> Node {
    Node { at, end, kind }
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.next).map_or(&Tok::End, |t| &t.tok)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(0, |t| t.at)
    }

    /// End offset of the token just taken.
    fn end(&self) -> usize {
        self.next
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.end)
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        self.next += 1;
        tok
    }

    fn eat(&mut self, punct: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(p) if *p == punct) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, punct: &str) -> Result<(), Fault> {
        if self.eat(punct) {
            return Ok(());
        }
        Err(Fault::syntax(
            self.at(),
            format!("expected {punct:?}, found {}", shown(self.peek())),
        ))
    }

    /// Counts nesting (parentheses, brackets, calls, unary operators, conditionals) against
    /// [`MAX_DEPTH`], so that no expression can make the parser or the evaluator recurse deep.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Fault>) -> Result<T, Fault> {
        if self.depth >= MAX_DEPTH {
            return Err(Fault::limit(
                self.at(),
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn expr(&mut self) -> Result<Node, Fault> {
        let cond = self.or()?;
        if !self.eat("?") {
            return Ok(cond);
        }
        let yes = self.nested(Self::expr)?;
        self.expect(":")?;
        let no = self.nested(Self::expr)?;
        let (at, end) = (cond.at, no.end);
        Ok(node(
            at,
            end,
            Kind::Cond(Box::new(cond), Box::new(yes), Box::new(no)),
        ))
    }

    fn or(&mut self) -> Result<Node, Fault> {
        self.level(&[(Tok::Punct("||"), BinOp::Or)], Self::and)
    }

    fn and(&mut self) -> Result<Node, Fault> {
        self.level(&[(Tok::Punct("&&"), BinOp::And)], Self::relation)
    }

    /// One level of left-associative binary operators: `next (op next)*`.
    fn level(
        &mut self,
        ops: &[(Tok, BinOp)],
        next: fn(&mut Self) -> Result<Node, Fault>,
    ) -> Result<Node, Fault> {
        let mut left = next(self)?;
        while let Some((_, op)) = ops.iter().find(|(tok, _)| tok == self.peek()) {
            self.next += 1;
            let right = next(self)?;
            left = binary(*op, left, right);
        }
        Ok(left)
    }

    fn relation(&mut self) -> Result<Node, Fault> {
        const RELATIONS: &[(Tok, BinOp)] = &[
            (Tok::In, BinOp::In),
            (Tok::Punct("=="), BinOp::Eq),
            (Tok::Punct("!="), BinOp::Ne),
            (Tok::Punct("<"), BinOp::Lt),
            (Tok::Punct("<="), BinOp::Le),
            (Tok::Punct(">"), BinOp::Gt),
            (Tok::Punct(">="), BinOp::Ge),
        ];
        self.level(RELATIONS, Self::sum)
    }

    fn sum(&mut self) -> Result<Node, Fault> {
        const SUMS: &[(Tok, BinOp)] =
            &[(Tok::Punct("+"), BinOp::Add), (Tok::Punct("-"), BinOp::Sub)];
        self.level(SUMS, Self::product)
    }

    fn product(&mut self) -> Result<Node, Fault> {
        const PRODUCTS: &[(Tok, BinOp)] = &[
            (Tok::Punct("*"), BinOp::Mul),
            (Tok::Punct("/"), BinOp::Div),
            (Tok::Punct("%"), BinOp::Rem),
        ];
        self.level(PRODUCTS, Self::unary)
    }

    fn unary(&mut self) -> Result<Node, Fault> {
        let at = self.at();
        if self.eat("!") {
            let inner = self.nested(Self::unary)?;
            return Ok(node(at, inner.end, Kind::Not(Box::new(inner))));
        }
        if self.eat("-") {
            let inner = self.nested(Self::unary)?;
            // "-5" is the number -5, as CEL reads it.
            if let Kind::Num(n) = inner.kind {
                return Ok(node(at, inner.end, Kind::Num(-n)));
            }
            return Ok(node(at, inner.end, Kind::Neg(Box::new(inner))));
        }
        self.member()
    }

    fn member(&mut self) -> Result<Node, Fault> {
        let mut left = self.primary()?;
        loop {
            if self.eat(".") {
                let name_at = self.at();
                let Tok::Ident(name) = self.bump() else {
                    return Err(Fault::syntax(name_at, "expected a name after \".\""));
                };
                if self.eat("(") {
                    left = self.method(left, name, name_at)?;
                } else {
                    left = node(left.at, self.end(), Kind::Field(Box::new(left), name));
                }
            } else if self.eat("[") {
                let index = self.nested(Self::expr)?;
                self.expect("]")?;
                left = node(
                    left.at,
                    self.end(),
                    Kind::Index(Box::new(left), Box::new(index)),
                );
            } else {
                return Ok(left);
            }
        }
    }

    /// `receiver.name(args)`: a macro (`map`, `filter`, `exists`, `all`) binds a variable;
    /// any other function `f` is `f(receiver, args)`.
    fn method(&mut self, receiver: Node, name: String, name_at: usize) -> Result<Node, Fault> {
        let function = known(&name, name_at)?;
        if let Some(macro_) = function.as_macro() {
            let var_at = self.at();
            let Tok::Ident(var) = self.bump() else {
                return Err(Fault::syntax(
                    var_at,
                    format!("{name}() takes a variable name first, as in {name}(x, x * 2)"),
                ));
            };
            self.expect(",")?;
            let body = self.nested(Self::expr)?;
            self.expect(")")?;
            return Ok(node(
                receiver.at,
                self.end(),
                Kind::Macro(macro_, Box::new(receiver), var, Box::new(body)),
            ));
        }
        let mut args = vec![receiver];
        self.arguments(&mut args)?;
        let at = args.first().map_or(name_at, |a| a.at);
        call(function, args, at, self.end(), name_at)
    }

    fn arguments(&mut self, args: &mut Vec<Node>) -> Result<(), Fault> {
        if self.eat(")") {
            return Ok(());
        }
        loop {
            args.push(self.nested(Self::expr)?);
            if self.eat(")") {
                return Ok(());
            }
            self.expect(",")?;
        }
    }

    fn primary(&mut self) -> Result<Node, Fault> {
        let at = self.at();
        let kind = match self.bump() {
            Tok::Num(n) => Kind::Num(n),
            Tok::Str(s) => Kind::Str(s),
            Tok::True => Kind::Bool(true),
            Tok::False => Kind::Bool(false),
            Tok::Null => Kind::Null,
            Tok::Ident(name) if self.eat("(") => {
                let function = known(&name, at)?;
                if function.is_macro() {
                    return Err(Fault::syntax(
                        at,
                        format!("{name}() is called on a list: items.{name}(x, ...)"),
                    ));
                }
                let mut args = Vec::new();
                self.arguments(&mut args)?;
                return call(function, args, at, self.end(), at);
            }
            Tok::Ident(name) => Kind::Var(name),
            Tok::Punct("(") => {
                let inner = self.nested(Self::expr)?;
                self.expect(")")?;
                return Ok(node(at, self.end(), inner.kind));
            }
            Tok::Punct("[") => Kind::List(self.nested(Self::list)?),
            Tok::Punct("{") => Kind::Map(self.nested(Self::map)?),
            other @ (Tok::In | Tok::Punct(_) | Tok::End) => {
                return Err(Fault::syntax(
                    at,
                    format!("expected a value, found {}", shown(&other)),
                ))
            }
        };
        Ok(node(at, self.end(), kind))
    }

    fn list(&mut self) -> Result<Vec<Node>, Fault> {
        let mut items = Vec::new();
        while !self.eat("]") {
            items.push(self.expr()?);
            if !self.eat(",") {
                self.expect("]")?;
                break;
            }
        }
        Ok(items)
    }

    fn map(&mut self) -> Result<Vec<(Node, Node)>, Fault> {
        let mut entries = Vec::new();
        while !self.eat("}") {
            let key = self.expr()?;
            self.expect(":")?;
            entries.push((key, self.expr()?));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(entries)
    }
}

fn binary(op: BinOp, left: Node, right: Node) -> Node {
    node(
        left.at,
        right.end,
        Kind::Binary(op, Box::new(left), Box::new(right)),
    )
}

fn known(name: &str, at: usize) -> Result<Function, Fault> {
    Function::parse(name).ok_or_else(|| {
        Fault::syntax(
            at,
            format!(
                "there is no function {name:?} (there are: {})",
                Function::NAMES.join(", ")
            ),
        )
    })
}

/// A call with its arguments checked against the function's arity (and `has`'s one form).
fn call(
    function: Function,
    args: Vec<Node>,
    at: usize,
    end: usize,
    name_at: usize,
) -> Result<Node, Fault> {
    let (least, most) = function.arity();
    if args.len() < least || args.len() > most {
        let wanted = match (least, most) {
            (l, m) if l == m => format!("{l}"),
            (l, usize::MAX) => format!("at least {l}"),
            (l, m) => format!("{l} or {m}"),
        };
        return Err(Fault::syntax(
            name_at,
            format!(
                "{function}() takes {wanted} argument{}, not {}",
                if most == 1 { "" } else { "s" },
                args.len()
            ),
        ));
    }
    if function == Function::Has
        && !matches!(
            args.first(),
            Some(Node {
                kind: Kind::Field(..) | Kind::Index(..),
                ..
            })
        )
    {
        return Err(Fault::syntax(
            name_at,
            "has() takes a member, as in has(order.coupon) or has(headers[\"x-topic\"])",
        ));
    }
    Ok(node(at, end, Kind::Call(function, args)))
}
