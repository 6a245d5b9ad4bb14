//! The platform's events and the subscriptions that receive them.
//!
//! An event goes out as `{"id", "type", "timestamp", "data"}` (the Standard Webhooks payload shape),
//! signed, and encrypted when the subscription has a key.

use serde_json::Value;

use crate::envelope::Encryption;
use crate::error::{Error, ErrorKind, Result};
use crate::vocabulary::vocabulary;

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
        TestPing = "test.ping",
    }
}

impl EventType {
    /// Whether the rest of the platform may publish it through the API: the worker emits
    /// `member.joined` and `message.posted` itself, and `test.ping` comes from the test endpoint.
    pub fn publishable(self) -> bool {
        matches!(self, Self::MemberVisited | Self::StorePurchased)
    }
}

fn invalid(at: &str, why: String) -> Error {
    Error::new(ErrorKind::InvalidEvent, format!("{at}: {why}")).at(at)
}

/// Parses one event type name; `at` names the member it came from.
pub fn event_type(text: &str, at: &str) -> Result<EventType> {
    EventType::parse(text).ok_or_else(|| {
        let known = EventType::NAMES.join(", ");
        invalid(at, format!("{text:?} is not one of {known}"))
    })
}

/// Which events a subscription receives: the listed types, and for `message.posted`, when
/// `channel` is set, only messages in that channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub events: Vec<EventType>,
    pub channel: Option<String>,
}

impl Filter {
    /// `events`: a non-empty array of type names, without repeats.
    pub fn parse(events: &Value, channel: Option<String>) -> Result<Self> {
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
            let t = event_type(text, &at)?;
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
    pub fn matches(&self, kind: EventType, channel: Option<&str>) -> bool {
        kind != EventType::TestPing
            && self.events.contains(&kind)
            && match (kind, &self.channel) {
                (EventType::MessagePosted, Some(wanted)) => channel == Some(wanted.as_str()),
                _ => true,
            }
    }
}

/// The body a subscriber receives, and the one that is signed: JSON text, or when the
/// subscription encrypts, the sealed envelope of that text (`message_iv`: a fresh random IV for
/// the `{iv, data}` envelope; `None` only for the fixed-IV compatibility setting).
pub fn body(
    id: &str,
    kind: EventType,
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
        )
        .unwrap();
        assert!(f.matches(EventType::MessagePosted, Some("chn_a")));
        assert!(!f.matches(EventType::MessagePosted, Some("chn_b")));
        assert!(f.matches(EventType::MemberJoined, None));
        assert!(!f.matches(EventType::StorePurchased, None));
        let any = Filter::parse(&json!(["message.posted", "test.ping"]), None).unwrap();
        assert!(any.matches(EventType::MessagePosted, Some("chn_b")));
        assert!(!any.matches(EventType::TestPing, None));
    }

    #[test]
    fn bad_event_lists_name_the_entry() {
        for (events, at) in [
            (json!([]), "events"),
            (json!("member.joined"), "events"),
            (json!(["member.joined", "member.left"]), "events[1]"),
            (json!(["member.joined", 5]), "events[1]"),
            (json!(["test.ping", "test.ping"]), "events[1]"),
        ] {
            let e = Filter::parse(&events, None).unwrap_err();
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
    fn bodies_are_the_event_or_its_sealed_envelope() {
        let data = json!({"member": {"id": "usr_1"}});
        let plain = body(
            "evt_1",
            EventType::MemberJoined,
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
            EventType::MemberJoined,
            "2026-01-01T00:00:00Z",
            &data,
            Some((&enc, Some(&[9; 12]))),
        )
        .unwrap();
        assert!(sealed.starts_with('{'));
        assert_eq!(enc.open(sealed.as_bytes()).unwrap(), plain.as_bytes());
        let fixed = body(
            "evt_1",
            EventType::MemberJoined,
            "2026-01-01T00:00:00Z",
            &data,
            Some((&enc, None)),
        )
        .unwrap();
        assert_eq!(enc.open(fixed.as_bytes()).unwrap(), plain.as_bytes());
    }
}
