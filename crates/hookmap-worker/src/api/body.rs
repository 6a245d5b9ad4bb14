//! Request bodies as typed structs. A body is declared once with `request_body!`: its members, in
//! the order they are checked, each with the type that says how it is read ([`Member`]). The
//! generated reader refuses a member the body does not declare, then reads each in turn; every
//! refusal is the 422 `invalid_field` naming the member (`details.at`), so a typo is never
//! silently ignored.

use hookmap_core::instant;
use hookmap_core::rotation::MAX_GRACE_HOURS;
use hookmap_core::vocabulary::{quoted_or, Named};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// How one member of a body is read from its JSON value (`None`: the member is absent).
pub trait Member<'a>: Sized {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self>;
}

/// A body `request_body!` declared.
pub trait Body<'a>: Sized {
    /// The members it may carry.
    const MEMBERS: &'static [&'static str];
    fn from_object(object: &'a Map<String, Value>) -> ApiResult<Self>;
}

/// A required string, trimmed, of 1 to `MAX` characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a, const MAX: usize>(pub &'a str);

impl<'a, const MAX: usize> Member<'a> for Text<'a, MAX> {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        let value = present(value, name)?;
        let text = value
            .as_str()
            .ok_or_else(|| ApiError::invalid_field(name, "must be a string"))?
            .trim();
        if text.is_empty() || text.chars().count() > MAX {
            return Err(ApiError::invalid_field(
                name,
                format!("must be 1 to {MAX} characters"),
            ));
        }
        Ok(Self(text))
    }
}

/// A required string taken as sent, not trimmed: an identifier (an event type's name), which
/// its own check then judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verbatim<'a>(pub &'a str);

impl<'a> Member<'a> for Verbatim<'a> {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        present(value, name)?
            .as_str()
            .map(Self)
            .ok_or_else(|| ApiError::invalid_field(name, "must be a string"))
    }
}

/// A JSON object, read further by the handler (an event's `data`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Object<'a>(pub &'a Value);

impl<'a> Member<'a> for Object<'a> {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        match value {
            Some(v @ Value::Object(_)) => Ok(Self(v)),
            _ => Err(ApiError::invalid_field(name, "must be an object")),
        }
    }
}

/// An instant as stored (`hookmap_core::instant`): a date or a UTC date and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instant(pub String);

impl<'a> Member<'a> for Instant {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        let Text(text) = Text::<'a, 64>::read(value, name)?;
        instant::canonical(text).map(Self).ok_or_else(|| {
            ApiError::invalid_field(name, "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.sss]Z")
        })
    }
}

/// One name of a closed set (`"fail"`, `"hold"` or `"create"` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneOf<T>(pub T);

impl<'a, T: Named> Member<'a> for OneOf<T> {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        // No name of a set is longer; a longer string is refused as not one of them.
        let Text(text) = Text::<'a, 64>::read(value, name)?;
        T::from_name(text).map(Self).ok_or_else(|| {
            ApiError::invalid_field(name, format!("{text:?} is not {}", quoted_or(T::names())))
        })
    }
}

impl<'a> Member<'a> for bool {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        present(value, name)?
            .as_bool()
            .ok_or_else(|| ApiError::invalid_field(name, "must be true or false"))
    }
}

/// Any JSON value, read further by the handler (a mapping, a schema, an event's data).
impl<'a> Member<'a> for &'a Value {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        present(value, name)
    }
}

/// `previous_secret_hours`, `previous_key_hours`: how long the secret or key a rotation replaces
/// keeps working (`hookmap_core::rotation`).
#[derive(Debug, Clone, Copy)]
pub struct GraceHours(pub u32);

impl<'a> Member<'a> for GraceHours {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        value
            .and_then(Value::as_u64)
            .and_then(|h| u32::try_from(h).ok())
            .filter(|h| *h <= MAX_GRACE_HOURS)
            .map(Self)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    name,
                    format!(
                        "must be an integer from 0 to {MAX_GRACE_HOURS}: the hours the replaced secret or key keeps working (0: not at all)"
                    ),
                )
            })
    }
}

/// A member that may be left out: absent and `null` are both `None`.
impl<'a, T: Member<'a>> Member<'a> for Option<T> {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(v) => T::read(Some(v), name).map(Some),
        }
    }
}

/// A member of an update, where leaving it out keeps the stored value and `null` clears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patch<T> {
    Keep,
    Clear,
    Set(T),
}

impl<'a, T: Member<'a>> Member<'a> for Patch<T> {
    fn read(value: Option<&'a Value>, name: &str) -> ApiResult<Self> {
        match value {
            None => Ok(Self::Keep),
            Some(Value::Null) => Ok(Self::Clear),
            Some(v) => T::read(Some(v), name).map(Self::Set),
        }
    }
}

impl<T> Patch<T> {
    /// Whether the update sends the member at all (`null` included).
    pub fn is_sent(&self) -> bool {
        !matches!(self, Self::Keep)
    }
}

fn present<'a>(value: Option<&'a Value>, name: &str) -> ApiResult<&'a Value> {
    match value {
        None | Some(Value::Null) => Err(ApiError::invalid_field(name, "is required")),
        Some(v) => Ok(v),
    }
}

/// Refuses members the body does not declare, so typos are not silently ignored.
pub fn only_known(body: &Map<String, Value>, known: &[&str]) -> ApiResult<()> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ApiError::invalid_field(
            k,
            format!("unknown member; expected one of: {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// A member's name on the wire: the field's, without the `r#` of a keyword (`r#type`).
pub const fn wire_name(field: &'static str) -> &'static str {
    match field.as_bytes() {
        [b'r', b'#', ..] => field.split_at(2).1,
        _ => field,
    }
}

/// Declares a request body: `pub struct Name<'a> { member: Type, ... }` (or `pub struct Name`
/// when no member borrows from the body), each `Type` a [`Member`]. Generates the struct and its
/// [`Body`] reader.
macro_rules! request_body {
    ($(#[$meta:meta])* pub struct $name:ident<'a> { $($members:tt)* }) => {
        request_body!(@declare [$(#[$meta])*] [$name<'a>] { $($members)* });
    };
    ($(#[$meta:meta])* pub struct $name:ident { $($members:tt)* }) => {
        request_body!(@declare [$(#[$meta])*] [$name] { $($members)* });
    };
    (
        @declare [$($meta:tt)*] [$name:ident $(<$lt:lifetime>)?]
        { $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)? }
    ) => {
        $($meta)*
        pub struct $name $(<$lt>)? {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl<'a> $crate::api::body::Body<'a> for $name $(<$lt>)? {
            const MEMBERS: &'static [&'static str] =
                &[$( $crate::api::body::wire_name(stringify!($field)) ),*];

            fn from_object(
                object: &'a ::serde_json::Map<String, ::serde_json::Value>,
            ) -> $crate::error::ApiResult<Self> {
                $crate::api::body::only_known(object, Self::MEMBERS)?;
                Ok(Self {
                    $( $field: {
                        let name = $crate::api::body::wire_name(stringify!($field));
                        $crate::api::body::Member::read(object.get(name), name)?
                    }, )*
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookmap_core::Location;
    use serde_json::json;

    request_body! {
        pub struct Sample<'a> {
            name: Text<'a, 5>,
            r#type: Option<OneOf<Location>>,
            note: Patch<Text<'a, 10>>,
            on: Option<bool>,
        }
    }

    /// A [`Sample`] as owned values: (name, type, note, on).
    type Read = (String, Option<Location>, Patch<String>, Option<bool>);

    fn read(body: Value) -> ApiResult<Read> {
        let Value::Object(object) = body else {
            unreachable!("a test body is an object")
        };
        let s = Sample::from_object(&object)?;
        let note = match s.note {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(Text(n)) => Patch::Set(n.to_owned()),
        };
        Ok((s.name.0.to_owned(), s.r#type.map(|OneOf(l)| l), note, s.on))
    }

    fn refusal(body: Value) -> (u16, String, Option<String>) {
        let e = read(body).err().unwrap_or_else(ApiError::no_route);
        (e.status, e.message, e.at)
    }

    #[test]
    fn members_are_read_by_their_types() {
        assert_eq!(
            read(json!({"name": "  ab ", "type": "chat", "note": null, "on": true})).ok(),
            Some((
                "ab".to_owned(),
                Some(Location::Chat),
                Patch::Clear,
                Some(true)
            ))
        );
        assert_eq!(
            read(json!({"name": "ab", "type": null})).ok(),
            Some(("ab".to_owned(), None, Patch::Keep, None))
        );
        assert_eq!(
            read(json!({"name": "ab", "note": "x"})).ok().map(|r| r.2),
            Some(Patch::Set("x".to_owned()))
        );
    }

    #[test]
    fn each_refusal_names_its_member() {
        let at = |m: &str| Some(m.to_owned());
        assert_eq!(
            refusal(json!({"name": "ab", "typo": 1})),
            (
                422,
                "typo: unknown member; expected one of: name, type, note, on".to_owned(),
                at("typo")
            )
        );
        assert_eq!(
            refusal(json!({})),
            (422, "name: is required".to_owned(), at("name"))
        );
        assert_eq!(
            refusal(json!({"name": "abcdef"})),
            (
                422,
                "name: must be 1 to 5 characters".to_owned(),
                at("name")
            )
        );
        assert_eq!(
            refusal(json!({"name": 3})),
            (422, "name: must be a string".to_owned(), at("name"))
        );
        assert_eq!(
            refusal(json!({"name": "ab", "type": "sms"})),
            (
                422,
                "type: \"sms\" is not \"user_fields\" or \"chat\"".to_owned(),
                at("type")
            )
        );
        assert_eq!(
            refusal(json!({"name": "ab", "on": "yes"})),
            (422, "on: must be true or false".to_owned(), at("on"))
        );
    }

    #[test]
    fn a_keyword_member_is_named_without_its_raw_prefix() {
        assert_eq!(wire_name("r#type"), "type");
        assert_eq!(wire_name("rate"), "rate");
        assert_eq!(Sample::MEMBERS, ["name", "type", "note", "on"]);
    }
}
