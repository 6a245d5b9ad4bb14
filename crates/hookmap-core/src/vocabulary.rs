//! One way to declare a closed set of names, so each set is written once.
//!
//! The API, the database's CHECK constraints, the OpenAPI contract and the page all spell these
//! names; they derive them from the set (`ALL`, `as_str`, `parse`) or are compared with it by the
//! tests in `tests/vocabulary.rs`.

/// Declares a fieldless enum whose variants each have one name: `ALL` in declaration order,
/// `as_str`, `parse`, `Display`, and serialisation as the name (read back by `parse`).
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $set:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $name:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $set {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $set {
            pub const ALL: [Self; [$($name),+].len()] = [$(Self::$variant),+];
            pub const NAMES: [&'static str; [$($name),+].len()] = [$($name),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($name => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::vocabulary::Named for $set {
            fn names() -> &'static [&'static str] {
                &Self::NAMES
            }

            fn from_name(text: &str) -> Option<Self> {
                Self::parse(text)
            }
        }

        impl ::core::fmt::Display for $set {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $set {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $set {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    ::serde::de::Error::unknown_variant(&text, &Self::NAMES)
                })
            }
        }
    };
}
pub(crate) use vocabulary;

/// A closed set of names (every `vocabulary!` enum), for code that reads any of them.
pub trait Named: Copy + Sized + 'static {
    fn names() -> &'static [&'static str];
    fn from_name(text: &str) -> Option<Self>;
}

/// `names` as an English alternative for error messages: `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
pub fn quoted_or(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    vocabulary! {
        pub enum Sample {
            One = "one",
            TwoWords = "two.words",
        }
    }

    #[test]
    fn names_round_trip_and_serialise_as_strings() {
        for s in Sample::ALL {
            assert_eq!(Sample::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("{:?}", s.as_str()))
            );
        }
        assert_eq!(Sample::NAMES, ["one", "two.words"]);
        assert_eq!(Sample::parse("One"), None);
        assert_eq!(Sample::TwoWords.to_string(), "two.words");
    }

    #[test]
    fn alternatives_read_as_english() {
        assert_eq!(quoted_or(&["a"]), "\"a\"");
        assert_eq!(quoted_or(&["a", "b"]), "\"a\" or \"b\"");
        assert_eq!(quoted_or(&["a", "b", "c"]), "\"a\", \"b\" or \"c\"");
    }
}
