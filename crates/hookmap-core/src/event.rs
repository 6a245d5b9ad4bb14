//! The platform's events and the subscriptions that receive them.
//!
//! An event goes out as `{"id", "type", "timestamp", "data"}` (the Standard Webhooks payload shape),
//! signed, and encrypted when the subscription has a key.

use serde_json::Value;

use crate::envelope::Encryption;
use crate::error::{Error, ErrorKind, Result};
use crate::vocabulary::vocabulary;

/// Longest event type name.
pub const MAX_NAME_LEN: usize = 64;
/// A name a community may register: dotted lowercase words (`payment.completed`), each starting
/// with a letter, then letters, digits or `_`; at least two words; at most [`MAX_NAME_LEN`].
pub fn is_name(text: &str) -> bool {
    text.len() <= MAX_NAME_LEN
        && text.split('.').count() >= 2
        && text.split('.').all(|word| {
            word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Checks a name to register; `at` names the request member. A built-in name is refused by the
/// caller (a conflict, not a malformed name).
pub fn check_name(text: &str, at: &str) -> Result<()> {
    if is_name(text) {
        return Ok(());
    }
    Err(not_a_name(text, at))
}

/// Why `text` is no event type name, as `check_name` says it.
fn not_a_name(text: &str, at: &str) -> Error {
    Error::new(
        ErrorKind::InvalidEvent,
        format!(
            "{at}: {text:?} is not an event type name: dotted lowercase words like \
             \"payment.completed\" (a-z, 0-9 and _, each word starting with a letter), at most \
             {MAX_NAME_LEN} characters"
        ),
    )
    .at(at)
}

/// Largest `data` of a published event, in bytes of JSON.
pub const MAX_DATA_LEN: usize = 64 * 1024;

vocabulary! {
    pub enum EventType {
        MemberJoined = "member.joined",
        MemberVisited = "member.visited",
        MessagePosted = "message.posted",
        StorePurchased = "store.purchased",
        /// A subscription of the community was turned off because its deliveries kept failing.
        SubscriptionDisabled = "subscription.disabled",
        /// An incoming webhook of the community started failing (`health`).
        IncomingWebhookFailing = "incoming_webhook.failing",
        /// A failing incoming webhook's deliveries succeed again.
        IncomingWebhookRecovered = "incoming_webhook.recovered",
        TestPing = "test.ping",
    }
}

impl EventType {
    /// Whether the rest of the platform may publish it through the API: the worker emits
    /// `member.joined` and `message.posted` itself, and `test.ping` comes from the test endpoint.
    pub fn publishable(self) -> bool {
        match self {
            Self::MemberVisited | Self::StorePurchased => true,
            Self::MemberJoined
            | Self::MessagePosted
            | Self::SubscriptionDisabled
            | Self::IncomingWebhookFailing
            | Self::IncomingWebhookRecovered
            | Self::TestPing => false,
        }
    }
}

/// An event's name: a built-in type, or one a community registered (`payment.completed`, see
/// [`crate::event_types`]). Stored as its text in `events.type` and subscriptions' `events`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventName {
    BuiltIn(EventType),
    Custom(String),
}

impl EventName {
    pub fn as_str(&self) -> &str {
        match self {
            Self::BuiltIn(t) => t.as_str(),
            Self::Custom(name) => name,
        }
    }

    /// Reads a stored name: a built-in by its name, any other well-formed name as custom.
    pub fn parse(text: &str) -> Option<Self> {
        match EventType::parse(text) {
            Some(t) => Some(Self::BuiltIn(t)),
            None => is_name(text).then(|| Self::Custom(text.to_owned())),
        }
    }

    pub fn built_in(&self) -> Option<EventType> {
        match self {
            Self::BuiltIn(t) => Some(*t),
            Self::Custom(_) => None,
        }
    }
}

impl From<EventType> for EventName {
    fn from(t: EventType) -> Self {
        Self::BuiltIn(t)
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for EventName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn invalid(at: &str, why: String) -> Error {
    Error::new(ErrorKind::InvalidEvent, format!("{at}: {why}")).at(at)
}

/// One event name from a request: a built-in, or one of `registered` (the community's own
/// types); `at` names the member it came from.
pub fn event_name(text: &str, at: &str, registered: &[String]) -> Result<EventName> {
    if let Some(t) = EventType::parse(text) {
        return Ok(EventName::BuiltIn(t));
    }
    if registered.iter().any(|r| r == text) {
        return Ok(EventName::Custom(text.to_owned()));
    }
    let known = EventType::NAMES.join(", ");
    Err(invalid(
        at,
        format!(
            "{text:?} is neither a built-in type ({known}) nor one this community registered \
             (POST .../event-types)"
        ),
    ))
}

/// Which events a subscription receives: the listed types, and for `message.posted`, when
/// `channel` is set, only messages in that channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub events: Vec<EventName>,
    pub channel: Option<String>,
}

impl Filter {
    /// `events`: a non-empty array of type names, without repeats, each built in or one of
    /// `registered`.
    pub fn parse(events: &Value, channel: Option<String>, registered: &[String]) -> Result<Self> {
        Self::parse_with(events, channel, |text, at| event_name(text, at, registered))
    }

    /// Any well-formed name taken: a filter as stored (its custom names were registered when it
    /// was written, and a type cannot be deleted while a subscription lists it), or a request's,
    /// whose unregistered names the subscription registers.
    pub fn stored(events: &Value, channel: Option<String>) -> Result<Self> {
        Self::parse_with(events, channel, |text, at| {
            EventName::parse(text).ok_or_else(|| not_a_name(text, at))
        })
    }

    fn parse_with(
        events: &Value,
        channel: Option<String>,
        name: impl Fn(&str, &str) -> Result<EventName>,
    ) -> Result<Self> {
        let list = events
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| invalid("events", "must be a non-empty array of event types".into()))?;
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let at = format!("events[{i}]");
            let text = item
                .as_str()
                .ok_or_else(|| invalid(&at, "must be a string".into()))?;
            let t = name(text, &at)?;
            if out.contains(&t) {
                return Err(invalid(&at, format!("{text:?} is listed twice")));
            }
            out.push(t);
        }
        Ok(Self {
            events: out,
            channel,
        })
    }

    /// Whether an event of `kind` (posted in `channel`, for messages) goes to this subscription.
    /// `test.ping` is sent to one subscription by hand and never fanned out.
    pub fn matches(&self, kind: &EventName, channel: Option<&str>) -> bool {
        let in_channel = || match &self.channel {
            Some(wanted) => channel == Some(wanted.as_str()),
            None => true,
        };
        // Whether the built-in type fans out, and whether the filter's channel narrows it.
        let fans_out = |t: EventType| match t {
            EventType::TestPing => false,
            EventType::MessagePosted => in_channel(),
            EventType::MemberJoined
            | EventType::MemberVisited
            | EventType::StorePurchased
            | EventType::SubscriptionDisabled
            | EventType::IncomingWebhookFailing
            | EventType::IncomingWebhookRecovered => true,
        };
        self.events.contains(kind) && kind.built_in().is_none_or(fans_out)
    }

    /// The custom names the filter lists: each must stay registered while it does.
    pub fn custom(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e.built_in().is_none())
            .map(EventName::as_str)
            .collect()
    }
}

/// The body a subscriber receives, and the one that is signed: JSON text, or when the
/// subscription encrypts, the sealed envelope of that text (`message_iv`: a fresh random IV for
/// the `{iv, data}` envelope; `None` only for the fixed-IV compatibility setting).
pub fn body(
    id: &str,
    kind: &EventName,
    timestamp: &str,
    data: &Value,
    encryption: Option<(&Encryption, Option<&[u8]>)>,
) -> Result<String> {
    let text = serde_json::json!({"id": id, "type": kind, "timestamp": timestamp, "data": data})
        .to_string();
    match encryption {
        None => Ok(text),
        Some((enc, iv)) => enc.seal(text.as_bytes(), iv),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::envelope::Algorithm;
    use serde_json::json;

    #[test]
    fn filters_match_types_and_the_channel_of_messages() {
        let f = Filter::parse(
            &json!(["message.posted", "member.joined"]),
            Some("chn_a".into()),
            &[],
        )
        .unwrap();
        assert!(f.matches(&EventType::MessagePosted.into(), Some("chn_a")));
        assert!(!f.matches(&EventType::MessagePosted.into(), Some("chn_b")));
        assert!(f.matches(&EventType::MemberJoined.into(), None));
        assert!(!f.matches(&EventType::StorePurchased.into(), None));
        let any = Filter::parse(&json!(["message.posted", "test.ping"]), None, &[]).unwrap();
        assert!(any.matches(&EventType::MessagePosted.into(), Some("chn_b")));
        assert!(!any.matches(&EventType::TestPing.into(), None));
    }

    #[test]
    fn bad_event_lists_name_the_entry() {
        for (events, at) in [
            (json!([]), "events"),
            (json!("member.joined"), "events"),
            (json!(["member.joined", "member.left"]), "events[1]"),
            (json!(["member.joined", 5]), "events[1]"),
            (json!(["test.ping", "test.ping"]), "events[1]"),
            (
                json!(["payment.completed", "payment.completed"]),
                "events[1]",
            ),
            (
                json!(["payment.completed", "payment.refunded"]),
                "events[1]",
            ),
        ] {
            let e = Filter::parse(&events, None, &["payment.completed".to_owned()]).unwrap_err();
            assert_eq!(
                (e.code(), e.location()),
                ("invalid_event", Some(at)),
                "{events}"
            );
        }
        assert!(EventType::StorePurchased.publishable());
        assert!(!EventType::MemberJoined.publishable());
    }

    #[test]
    fn custom_names_are_listed_once_registered_and_matched_by_name() {
        let registered = ["payment.completed".to_owned()];
        let f = Filter::parse(
            &json!(["member.joined", "payment.completed"]),
            None,
            &registered,
        )
        .unwrap();
        let paid = EventName::parse("payment.completed").unwrap();
        assert!(f.matches(&paid, None));
        assert!(!f.matches(&EventName::parse("payment.refunded").unwrap(), None));
        assert_eq!(f.custom(), ["payment.completed"]);
        let stored = Filter::stored(&json!(["member.joined", "payment.completed"]), None).unwrap();
        assert_eq!(stored, f);
        assert!(Filter::stored(&json!(["Payment"]), None).is_err());
        assert_eq!(
            EventName::parse("store.purchased"),
            Some(EventType::StorePurchased.into())
        );
        assert_eq!(
            serde_json::to_value(&paid).unwrap(),
            json!("payment.completed")
        );
    }

    #[test]
    fn bodies_are_the_event_or_its_sealed_envelope() {
        let data = json!({"member": {"id": "usr_1"}});
        let plain = body(
            "evt_1",
            &EventType::MemberJoined.into(),
            "2026-01-01T00:00:00Z",
            &data,
            None,
        )
        .unwrap();
        let parsed: Value = serde_json::from_str(&plain).unwrap();
        assert_eq!(
            parsed,
            json!({"id": "evt_1", "type": "member.joined", "timestamp": "2026-01-01T00:00:00Z", "data": data})
        );

        let enc = Encryption::new(Algorithm::Aes256Gcm, &"k".repeat(32), &"v".repeat(16)).unwrap();
        let sealed = body(
            "evt_1",
            &EventType::MemberJoined.into(),
            "2026-01-01T00:00:00Z",
            &data,
            Some((&enc, Some(&[9; 12]))),
        )
        .unwrap();
        assert!(sealed.starts_with('{'));
        assert_eq!(enc.open(sealed.as_bytes()).unwrap(), plain.as_bytes());
        let fixed = body(
            "evt_1",
            &EventType::MemberJoined.into(),
            "2026-01-01T00:00:00Z",
            &data,
            Some((&enc, None)),
        )
        .unwrap();
        assert_eq!(enc.open(fixed.as_bytes()).unwrap(), plain.as_bytes());
    }
}
