//! What a mapping row can do to its target: the operators, the types of user fields, and which
//! operator applies to which (the one rule the parser, the page and the tests read).

use crate::vocabulary::vocabulary;

vocabulary! {
    pub enum Op {
        Add = "add",
        Subtract = "subtract",
        Overwrite = "overwrite",
    }
}

vocabulary! {
    /// The type of a community's custom user field.
    pub enum FieldType {
        Number = "number",
        Text = "text",
        Boolean = "boolean",
    }
}

/// The operations a currency takes: a balance is counted, never set.
pub const CURRENCY_OPS: [Op; 2] = [Op::Add, Op::Subtract];

impl FieldType {
    /// The operations a field of this type takes: only numbers can be counted.
    pub const fn ops(self) -> &'static [Op] {
        match self {
            Self::Number => &Op::ALL,
            Self::Text | Self::Boolean => &[Op::Overwrite],
        }
    }
}

impl FieldType {
    /// The JSON type of the values a field of this type holds.
    pub const fn value_kind(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::Text => "string",
            Self::Boolean => "boolean",
        }
    }
}

impl Op {
    pub fn applies_to(self, ty: FieldType) -> bool {
        ty.ops().contains(&self)
    }
}
