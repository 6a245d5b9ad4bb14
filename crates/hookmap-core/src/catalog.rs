//! What a community defines that a mapping may name: its user fields (key -> type) and its
//! currencies. Both are data: a community adds a currency the way it adds a field, and nothing in
//! the code lists them. `xp` and `coins` are built in: every community has them, for good.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ops::FieldType;

/// The currencies every community has; the only ones a community cannot delete.
pub const BUILT_IN_CURRENCIES: [&str; 2] = ["xp", "coins"];

/// Most currencies a community may have, the built-in ones included: every member's answer, every
/// cached webhook record and every page lists them all.
pub const MAX_CURRENCIES: usize = 32;

/// Most user fields a community may define: every webhook record carries them all (in KV and in
/// the edge's isolate memory, shared by every tenant), and every delivery checks its mapping
/// against the list. A community that had more before the cap keeps them and cannot add any.
pub const MAX_USER_FIELDS: usize = 100;

/// Longest key of a field or a currency.
pub const MAX_KEY_LEN: usize = 64;

/// Whether `key` may name a field or a currency: a-z first, then a-z, 0-9 and `_`. Keys appear in
/// URLs, payload-facing JSON and the page's element ids, so they stay plain.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= MAX_KEY_LEN
}

/// A currency of a community, by key. Only a [`Catalog`] hands one out, so a mapping can only
/// name a currency its community has. A plan read back (`Deserialize`) comes from the worker that
/// planned it against its catalog, for the community's object, whose storage refuses a currency
/// it does not hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The community's field definitions a mapping is checked against: key -> type.
pub type FieldTypes = BTreeMap<String, FieldType>;

/// A community's fields and currencies. The default has the built-in currencies and no fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    fields: FieldTypes,
    currencies: BTreeSet<String>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::with_fields(FieldTypes::new())
    }
}

impl Catalog {
    /// `fields` and `currencies` as stored; the built-in currencies are always there, and a key
    /// that is not valid is left out (a mapping naming it then fails as unknown).
    pub fn new<S: Into<String>>(
        fields: FieldTypes,
        currencies: impl IntoIterator<Item = S>,
    ) -> Self {
        let stored = currencies.into_iter().map(Into::into);
        let built_in = BUILT_IN_CURRENCIES.iter().map(|c| (*c).to_owned());
        // Inserted one by one: collecting into a B-tree sorts first, and that sort was about 5 KB
        // of the page's wasm for a handful of keys.
        let mut keys = BTreeSet::new();
        for key in built_in.chain(stored).filter(|c| valid_key(c)) {
            keys.insert(key);
        }
        Self {
            fields,
            currencies: keys,
        }
    }

    /// The built-in currencies and `fields`.
    pub fn with_fields(fields: FieldTypes) -> Self {
        Self::new(fields, std::iter::empty::<String>())
    }

    /// Field definitions as stored (key, type name); a type name this build does not know is left
    /// out, so a mapping using it fails as unknown.
    pub fn fields_from<'a>(rows: impl Iterator<Item = (&'a str, &'a str)>) -> FieldTypes {
        // One by one, as the currencies in `new`: no sort instantiated for a few rows.
        let mut fields = FieldTypes::new();
        for (key, t) in rows {
            if let Some(t) = FieldType::parse(t) {
                fields.insert(key.to_owned(), t);
            }
        }
        fields
    }

    pub fn fields(&self) -> &FieldTypes {
        &self.fields
    }

    pub fn field(&self, key: &str) -> Option<FieldType> {
        self.fields.get(key).copied()
    }

    /// The community's currency `key`, if it has one.
    pub fn currency(&self, key: &str) -> Option<Currency> {
        self.currencies.get(key).map(|c| Currency(c.clone()))
    }

    /// Every currency key, in key order.
    pub fn currencies(&self) -> impl Iterator<Item = &str> {
        self.currencies.iter().map(String::as_str)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_are_always_there_and_invalid_keys_never() {
        let catalog = Catalog::new(FieldTypes::new(), ["gems", "Bad Key", "xp"]);
        assert_eq!(
            catalog.currencies().collect::<Vec<_>>(),
            ["coins", "gems", "xp"]
        );
        assert_eq!(catalog.currency("Bad Key"), None);
        assert_eq!(Catalog::default().currencies().count(), 2);
    }

    #[test]
    fn keys_are_plain() {
        for good in ["a", "gems", "premium_2"] {
            assert!(valid_key(good), "{good}");
        }
        let long = "a".repeat(MAX_KEY_LEN + 1);
        for bad in ["", "2a", "_a", "Gems", "gé", "a-b", long.as_str()] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
