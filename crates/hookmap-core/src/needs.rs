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

/// What a set of paths reaches in a payload, as a tree of the keys and indexes they descend
/// into; where a path ends, the whole value there.
///
/// Lists rather than maps: a mapping reads a handful of paths, and the worker's size budget has no
/// room for two more map types.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs<'m> {
    whole: bool,
    keys: Vec<(&'m str, Needs<'m>)>,
    indexes: Vec<(usize, Needs<'m>)>,
}

impl<'m> Needs<'m> {
    /// Everything `mapping` reads, its expressions' paths among them.
    pub fn of(mapping: &'m Mapping) -> Self {
        Self::from_segments(mapping.reads())
    }

    pub fn from_paths(paths: impl IntoIterator<Item = &'m Path>) -> Self {
        Self::from_segments(paths.into_iter().map(Path::segments))
    }

    fn from_segments(paths: impl IntoIterator<Item = &'m [Segment]>) -> Self {
        let mut root = Self::default();
        for segments in paths {
            root.add(segments);
        }
        root
    }

    fn add(&mut self, segments: &'m [Segment]) {
        let Some((first, rest)) = segments.split_first() else {
            self.whole = true;
            return;
        };
        match first {
            Segment::Key(key) => add_under(&mut self.keys, key.as_str(), rest),
            Segment::Index(i) => add_under(&mut self.indexes, *i, rest),
            // A pointer token reads a key of an object, or an index of an array.
            Segment::Token(token) => {
                add_under(&mut self.keys, token.as_str(), rest);
                if let Some(i) = pointer_index(token) {
                    add_under(&mut self.indexes, i, rest);
                }
            }
        }
    }

    fn key(&self, key: &str) -> Option<&Self> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, n)| n)
    }

    fn index(&self, index: usize) -> Option<&Self> {
        self.indexes
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, n)| n)
    }
}

fn add_under<'m, K: PartialEq + Copy>(list: &mut Vec<(K, Needs<'m>)>, key: K, rest: &'m [Segment]) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, needs)) => needs.add(rest),
        None => {
            let mut needs = Needs::default();
            needs.add(rest);
            list.push((key, needs));
        }
    }
}

/// Parses `text` as [`payload::parse_text`] does, keeping only what `needs` reaches: each of its
/// paths finds the same value in the result as in the whole payload, and an error is the same.
pub fn parse(text: &str, needs: &Needs<'_>) -> Result<Value> {
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
struct Part<'n, 'm> {
    needs: Option<&'n Needs<'m>>,
    level: usize,
}

impl<'n, 'm> Part<'n, 'm> {
    fn child(self, needs: Option<&'n Needs<'m>>) -> Self {
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
}

impl<'de> DeserializeSeed<'de> for Part<'_, '_> {
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

/// Scalars become null: where a path ends the whole value is kept (above), and anywhere else a
/// path would have to descend into the scalar, which finds nothing in the full payload either.
impl<'de> Visitor<'de> for Part<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<Value, E> {
        Ok(Value::Null)
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
        // Elements past the last index read are parsed and dropped.
        let wanted = needs.indexes.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
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
                    let value = map.next_value_seed(self.child(Some(child)))?;
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

/// An object key: copied, with what is needed under it, only when some path reads it.
struct Key<'n, 'm>(&'n Needs<'m>);

impl<'de, 'n, 'm> DeserializeSeed<'de> for Key<'n, 'm> {
    type Value = Option<(String, &'n Needs<'m>)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'n, 'm> Visitor<'_> for Key<'n, 'm> {
    type Value = Option<(String, &'n Needs<'m>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> std::result::Result<Self::Value, E> {
        Ok(self.0.key(key).map(|child| (key.to_owned(), child)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn needs_of(paths: &[Path]) -> Needs<'_> {
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
