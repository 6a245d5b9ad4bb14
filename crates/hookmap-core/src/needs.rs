//! Parsing only the parts of a payload that a mapping reads. The edge plans from a handful of
//! paths, so it keeps what they reach and skips the rest without building it: no strings copied,
//! no maps filled. The whole text is still parsed by serde_json with the same grammar, number
//! range and depth limit as [`payload::parse_text`]; when it fails, the full parse runs again so
//! the error reads exactly as it always has.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::mapping::Mapping;
use crate::path::{pointer_index, Path, Segment};
use crate::payload::{self, MAX_DEPTH};

/// One step down a payload: a path's segment, or every member of a list (or every key of an
/// object), as an expression's `map`, `exists` and `all` read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Segment(Segment),
    Each,
}

impl Step {
    pub(crate) fn path(path: &Path) -> Vec<Self> {
        path.segments().iter().cloned().map(Self::Segment).collect()
    }
}

/// What a set of paths reaches in a payload, as a tree of the keys and indexes they descend
/// into; where a path ends, the whole value there. Built once per mapping (the edge keeps it with
/// the compiled mapping), so it owns its keys.
///
/// Lists rather than maps: a mapping reads a handful of paths, and the worker's size budget has no
/// room for two more map types.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    whole: bool,
    keys: Vec<(String, Needs)>,
    indexes: Vec<(usize, Needs)>,
    /// What every member needs, when an expression iterates over the value.
    each: Option<Box<Needs>>,
}

impl Needs {
    /// Everything `mapping` reads, its expressions' paths among them.
    pub fn of(mapping: &Mapping) -> Self {
        Self::from_steps(mapping.reads())
    }

    pub fn from_paths<'p>(paths: impl IntoIterator<Item = &'p Path>) -> Self {
        Self::from_steps(paths.into_iter().map(Step::path))
    }

    fn from_steps(paths: impl IntoIterator<Item = Vec<Step>>) -> Self {
        let mut root = Self::default();
        for steps in paths {
            root.add(&steps);
        }
        root.settle();
        root
    }

    fn add(&mut self, steps: &[Step]) {
        let Some((first, rest)) = steps.split_first() else {
            self.whole = true;
            return;
        };
        match first {
            Step::Segment(Segment::Key(key)) => add_under(&mut self.keys, key, rest),
            Step::Segment(Segment::Index(i)) => add_under(&mut self.indexes, i, rest),
            // A pointer token reads a key of an object, or an index of an array.
            Step::Segment(Segment::Token(token)) => {
                add_under(&mut self.keys, token, rest);
                if let Some(i) = pointer_index(token) {
                    add_under(&mut self.indexes, &i, rest);
                }
            }
            Step::Each => self.each.get_or_insert_with(Box::default).add(rest),
        }
    }

    /// Everything under `other` is needed here too.
    fn merge(&mut self, other: &Self) {
        self.whole |= other.whole;
        for (key, needs) in &other.keys {
            find_or_add(&mut self.keys, key).merge(needs);
        }
        for (index, needs) in &other.indexes {
            find_or_add(&mut self.indexes, index).merge(needs);
        }
        if let Some(each) = &other.each {
            self.each.get_or_insert_with(Box::default).merge(each);
        }
    }

    /// A member that a path names by index is also one of every member: it needs both.
    fn settle(&mut self) {
        if let Some(each) = &self.each {
            for (_, needs) in &mut self.indexes {
                needs.merge(each);
            }
        }
        let keys = self.keys.iter_mut().map(|(_, n)| n);
        let indexes = self.indexes.iter_mut().map(|(_, n)| n);
        for needs in keys.chain(indexes).chain(self.each.as_deref_mut()) {
            needs.settle();
        }
    }

    fn key(&self, key: &str) -> Option<&Self> {
        self.keys.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }

    /// What member `index` of a list needs: its own, or what every member needs.
    fn index(&self, index: usize) -> Option<&Self> {
        self.indexes
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, n)| n)
            .or(self.each.as_deref())
    }
}

fn find_or_add<'n, K: PartialEq + ?Sized + ToOwned>(
    list: &'n mut Vec<(K::Owned, Needs)>,
    key: &K,
) -> &'n mut Needs
where
    K::Owned: std::borrow::Borrow<K>,
{
    use std::borrow::Borrow;
    let at = match list.iter().position(|(k, _)| k.borrow() == key) {
        Some(at) => at,
        None => {
            list.push((key.to_owned(), Needs::default()));
            list.len() - 1
        }
    };
    #[allow(clippy::indexing_slicing)] // `at` was just found or pushed
    &mut list[at].1
}

fn add_under<K: PartialEq + ?Sized + ToOwned>(
    list: &mut Vec<(K::Owned, Needs)>,
    key: &K,
    rest: &[Step],
) where
    K::Owned: std::borrow::Borrow<K>,
{
    find_or_add(list, key).add(rest);
}

/// Parses `text` as [`payload::parse_text`] does, keeping only what `needs` reaches: each of its
/// paths finds the same value in the result as in the whole payload, and an error is the same.
pub fn parse(text: &str, needs: &Needs) -> Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let root = Part {
        needs: Some(needs),
        level: 1,
    };
    match root.deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
        Ok(value) => Ok(value),
        Err(_) => payload::parse_text(text),
    }
}

/// One value of the payload: kept whole, descended into, or (without needs) skipped. `level` is
/// the nesting an array or object here has: 1 at the root.
#[derive(Clone, Copy)]
struct Part<'n> {
    needs: Option<&'n Needs>,
    level: usize,
}

impl<'n> Part<'n> {
    fn child(self, needs: Option<&'n Needs>) -> Self {
        Self {
            needs,
            level: self.level + 1,
        }
    }

    fn enter<E: de::Error>(self) -> std::result::Result<(), E> {
        if self.level > MAX_DEPTH {
            return Err(E::custom("nested too deep"));
        }
        Ok(())
    }

    /// A scalar where a path goes on is kept as it is, so that an expression that reads into it
    /// fails as it would on the whole payload (naming its type); a skipped one is null.
    fn scalar(self, value: impl FnOnce() -> Value) -> Value {
        match self.needs {
            Some(_) => value(),
            None => Value::Null,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Part<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        match self.needs {
            Some(needs) if needs.whole => {
                let value = Value::deserialize(d)?;
                if self.level - 1 + payload::depth(&value) > MAX_DEPTH {
                    return Err(de::Error::custom("nested too deep"));
                }
                Ok(value)
            }
            _ => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Part<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(self.scalar(|| Value::Bool(b)))
    }

    fn visit_i64<E>(self, n: i64) -> std::result::Result<Value, E> {
        Ok(self.scalar(|| Value::from(n)))
    }

    fn visit_u64<E>(self, n: u64) -> std::result::Result<Value, E> {
        Ok(self.scalar(|| Value::from(n)))
    }

    fn visit_f64<E>(self, n: f64) -> std::result::Result<Value, E> {
        Ok(self.scalar(|| Value::from(n)))
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<Value, E> {
        Ok(self.scalar(|| Value::from(s)))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        self.enter()?;
        let Some(needs) = self.needs else {
            while seq.next_element_seed(self.child(None))?.is_some() {}
            return Ok(Value::Null);
        };
        // Elements past the last index read are parsed and dropped, unless every one is read.
        let wanted = match needs.each {
            Some(_) => usize::MAX,
            None => needs.indexes.iter().map(|(i, _)| i + 1).max().unwrap_or(0),
        };
        let mut items = Vec::new();
        let mut index = 0;
        while let Some(item) = seq.next_element_seed(self.child(needs.index(index)))? {
            if index < wanted {
                items.push(item);
            }
            index += 1;
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        self.enter()?;
        let Some(needs) = self.needs else {
            while map.next_key::<IgnoredAny>()?.is_some() {
                map.next_value_seed(self.child(None))?;
            }
            return Ok(Value::Null);
        };
        let mut kept = Map::new();
        while let Some(key) = map.next_key_seed(Key(needs))? {
            match key {
                // A repeated key replaces the earlier value, as in serde_json's own Value.
                Some((key, child)) => {
                    let value = map.next_value_seed(self.child(child))?;
                    kept.insert(key, value);
                }
                None => {
                    map.next_value_seed(self.child(None))?;
                }
            }
        }
        Ok(Value::Object(kept))
    }
}

/// An object key: copied, with what is needed under it, only when some path reads it, or when
/// an expression iterates over the object (its members are its keys).
struct Key<'n>(&'n Needs);

type KeyNeeds<'n> = Option<(String, Option<&'n Needs>)>;

impl<'de, 'n> DeserializeSeed<'de> for Key<'n> {
    type Value = KeyNeeds<'n>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'n> Visitor<'_> for Key<'n> {
    type Value = KeyNeeds<'n>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> std::result::Result<Self::Value, E> {
        let needs = self.0.key(key);
        let kept = needs.is_some() || self.0.each.is_some();
        Ok(kept.then(|| (key.to_owned(), needs)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn needs_of(paths: &[Path]) -> Needs {
        Needs::from_paths(paths)
    }

    fn paths(texts: &[&str]) -> Vec<Path> {
        texts.iter().map(|t| Path::parse(t).unwrap()).collect()
    }

    #[test]
    fn keeps_only_what_the_paths_reach() {
        let text = r#"{"a": {"b": 1, "skip": "x"}, "items": [{"q": 1}, {"q": 2}, {"q": 3}],
                       "c": [1, {"d": [true]}], "gone": {"deep": [1, 2]}, "/p": 4}"#;
        let p = paths(&["a.b", "items[1].q", "/c", "/~1p"]);
        let kept = parse(text, &needs_of(&p)).unwrap();
        assert_eq!(
            kept,
            json!({"a": {"b": 1}, "items": [null, {"q": 2}], "c": [1, {"d": [true]}], "/p": 4})
        );
    }

    #[test]
    fn a_pointer_token_reads_keys_and_indexes() {
        let p = paths(&["/x/0"]);
        let needs = needs_of(&p);
        assert_eq!(
            parse(r#"{"x": {"0": 5}}"#, &needs).unwrap(),
            json!({"x": {"0": 5}})
        );
        assert_eq!(
            parse(r#"{"x": [7, 8]}"#, &needs).unwrap(),
            json!({"x": [7]})
        );
    }

    #[test]
    fn depth_is_limited_in_skipped_and_kept_parts_alike() {
        let p = paths(&["kept"]);
        let needs = needs_of(&p);
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        for key in ["kept", "skipped"] {
            // The object itself is one level.
            let fits = format!(r#"{{"{key}": {}}}"#, nest(MAX_DEPTH - 1));
            assert!(parse(&fits, &needs).is_ok(), "{key}");
            let deep = format!(r#"{{"{key}": {}}}"#, nest(MAX_DEPTH));
            let err = parse(&deep, &needs).unwrap_err();
            assert_eq!(err, payload::parse_text(&deep).unwrap_err(), "{key}");
            assert!(err.message().contains("nests 33"), "{err}");
        }
    }

    #[test]
    fn errors_are_the_full_parse_errors() {
        let p = paths(&["a"]);
        for text in [
            r#"{"a": 1, "b": tru}"#,
            r#"{"a": 1} x"#,
            r#"{"b": 1e999, "a": 1}"#,
            r#"{"b": "\ud800", "a": 1}"#,
        ] {
            let full = payload::parse_text(text).unwrap_err();
            assert_eq!(parse(text, &needs_of(&p)).unwrap_err(), full, "{text}");
        }
    }
}
