//! What [`crate::Engine::preview`] answers: the previous preview as the engine keeps it
//! ([`Shown`]), and what changed since it ([`Delta`]), serialized as the page merges it
//! (www/js/preview_state.js).

use hookmap_core::message::PlannedMessage;
use hookmap_core::{Change, Effect, Error, MemberRef};
use serde::Serialize;

/// What the previous preview showed, to answer only what changed: [`hookmap_core::Preview`]
/// without its `plan`. Each row's change is not kept: it follows from the member (fixed until
/// [`crate::Engine::set_member`], which starts over) and the effects ([`Delta::between`]).
#[derive(Debug)]
pub(crate) struct Shown {
    pub filtered: Option<String>,
    pub member: Option<MemberRef>,
    pub idempotency_key: Option<String>,
    pub effects: Vec<Option<Effect>>,
    pub message: Option<PlannedMessage>,
    pub errors: Vec<Error>,
}

/// What [`crate::Engine::preview`] answers: the parts of `now` that differ from `before` (all of
/// them when there is no `before`), as one flat list: `[rows, parts | null, i, effect, before,
/// after, error, ...]`. A flat list of values is what `JSON.parse` builds fastest: an object per
/// answer and per change cost the page more than the rest of its merge.
pub(crate) struct Delta<'a> {
    rows: usize,
    parts: Option<Parts<'a>>,
    changed: Vec<(usize, Row<'a>)>,
}

/// The parts of a preview beside its rows that changed, each only when it did.
#[derive(Serialize)]
struct Parts<'a> {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    full: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    filtered: Option<&'a Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<&'a Option<MemberRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    idempotency_key: Option<&'a Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a Option<PlannedMessage>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [Error]>,
}

/// One mapping row as the page shows it: its effect (none: the row has an error) and its change.
type Row<'a> = (&'a Option<Effect>, &'a Option<Change>);

impl<'a> Delta<'a> {
    /// `changes` are `now`'s effects simulated on the member.
    pub(crate) fn between(
        before: Option<&Shown>,
        now: &'a Shown,
        changes: &'a [Option<Change>],
    ) -> Self {
        // A part is sent when there is nothing before it or it differs from what was.
        fn part<'a, T: PartialEq + ?Sized>(before: Option<&T>, now: &'a T) -> Option<&'a T> {
            (before != Some(now)).then_some(now)
        }
        // A row's change is its target's value as the member and the earlier rows on that target
        // left it: a row is sent when its effect differs, or an earlier one on its target did.
        let mut moved = Vec::new();
        let mut changed = Vec::new();
        for (i, (is, change)) in now.effects.iter().zip(changes).enumerate() {
            let was = before.and_then(|b| b.effects.get(i));
            if was != Some(is) {
                moved.extend(was.and_then(target).into_iter().chain(target(is)));
                changed.push((i, (is, change)));
            } else if target(is).is_some_and(|t| moved.contains(&t)) {
                changed.push((i, (is, change)));
            }
        }
        let parts = Parts {
            full: before.is_none(),
            filtered: part(before.map(|b| &b.filtered), &now.filtered),
            member: part(before.map(|b| &b.member), &now.member),
            idempotency_key: part(before.map(|b| &b.idempotency_key), &now.idempotency_key),
            message: part(before.map(|b| &b.message), &now.message),
            errors: part(before.map(|b| &b.errors[..]), &now.errors[..]),
        };
        let unchanged = !parts.full
            && parts.filtered.is_none()
            && parts.member.is_none()
            && parts.idempotency_key.is_none()
            && parts.message.is_none()
            && parts.errors.is_none();
        Delta {
            rows: now.effects.len(),
            parts: (!unchanged).then_some(parts),
            changed,
        }
    }
}

impl Serialize for Delta<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut list = serializer.serialize_seq(Some(2 + self.changed.len() * 5))?;
        list.serialize_element(&self.rows)?;
        list.serialize_element(&self.parts)?;
        for (i, (effect, change)) in &self.changed {
            let (before, after, error) = match change {
                Some(c) => (Some(&c.before), Some(&c.after), c.error.as_ref()),
                None => (None, None, None),
            };
            list.serialize_element(i)?;
            list.serialize_element(effect)?;
            list.serialize_element(&before)?;
            list.serialize_element(&after)?;
            list.serialize_element(&error)?;
        }
        list.end()
    }
}

/// What a row's effect moves: a currency or a field, by key.
#[derive(PartialEq)]
enum Target<'a> {
    Currency(&'a str),
    Field(&'a str),
}

fn target(effect: &Option<Effect>) -> Option<Target<'_>> {
    Some(match effect.as_ref()? {
        Effect::Currency { currency, .. } => Target::Currency(currency.as_str()),
        Effect::Field { field, .. } => Target::Field(field),
    })
}
