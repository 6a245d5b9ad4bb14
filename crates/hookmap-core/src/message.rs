//! The chat part of a mapping: a message the community's bot posts into a channel, built from the
//! payload with a [`Template`].
//!
//! ```json
//! "message": {"channel": {"id": "chn_..."} | {"path": "room"},
//!             "template": "Order {{order.id}} by {{customer.name | default: \"a guest\"}}",
//!             "topic": "Orders of {{date}}"}
//! ```

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::path::Path;
use crate::shape::{invalid, object, path, reject_unknown, required, string};
use crate::template::{Limit, Template};

/// Longest message, in characters, after rendering.
pub const MAX_MESSAGE_LEN: usize = 2000;
/// Longest forum topic, in characters, after rendering.
pub const MAX_TOPIC_LEN: usize = 200;
/// Longest channel id taken from a payload.
const MAX_CHANNEL_ID_LEN: usize = 100;

/// Which channel the message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelRef {
    /// A fixed channel, checked to exist when the mapping is saved.
    Id(String),
    /// A channel id read from the payload, checked when the delivery is applied.
    Path(Path),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageMapping {
    pub channel: ChannelRef,
    #[serde(serialize_with = "source")]
    pub template: Template,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_source"
    )]
    pub topic: Option<Template>,
}

fn source<S: Serializer>(t: &Template, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

fn optional_source<S: Serializer>(
    t: &Option<Template>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(t.as_str()),
        None => s.serialize_none(),
    }
}

/// The message a delivery posts: plain text, never interpreted as markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedMessage {
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub text: String,
}

/// Parses the mapping's `message` member.
pub(crate) fn parse(value: &Value) -> Result<MessageMapping> {
    let obj = object(value, "message")?;
    reject_unknown(obj, "message.", &["channel", "template", "topic"])?;
    let channel = channel(object(
        required(obj, "channel", "message.channel")?,
        "message.channel",
    )?)?;
    let template = Template::parse(
        string(
            required(obj, "template", "message.template")?,
            "message.template",
        )?,
        "message.template",
    )?;
    let topic = match obj.get("topic") {
        None | Some(Value::Null) => None,
        Some(v) => Some(Template::parse(
            string(v, "message.topic")?,
            "message.topic",
        )?),
    };
    Ok(MessageMapping {
        channel,
        template,
        topic,
    })
}

fn channel(obj: &Map<String, Value>) -> Result<ChannelRef> {
    match (obj.get("id"), obj.get("path"), obj.len()) {
        (Some(id), None, 1) => {
            let id = string(id, "message.channel.id")?;
            if id.is_empty() || id.len() > MAX_CHANNEL_ID_LEN {
                return Err(invalid(
                    "message.channel.id",
                    format!("must be a channel id of 1 to {MAX_CHANNEL_ID_LEN} characters"),
                ));
            }
            Ok(ChannelRef::Id(id.to_owned()))
        }
        (None, Some(p), 1) => Ok(ChannelRef::Path(path(p, "message.channel.path")?)),
        _ => Err(invalid(
            "message.channel",
            "must be {\"id\": \"<channel id>\"} or {\"path\": \"<payload path>\"}",
        )),
    }
}

/// Renders the message for `payload`.
pub(crate) fn plan(mapping: &MessageMapping, payload: &Value) -> Result<PlannedMessage> {
    let channel = match &mapping.channel {
        ChannelRef::Id(id) => id.clone(),
        ChannelRef::Path(path) => channel_at(payload, path)?,
    };
    let text = mapping.template.render(
        payload,
        "message.template",
        Limit {
            max_chars: MAX_MESSAGE_LEN,
            what: "message",
        },
    )?;
    if text.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::EmptyMessage,
            "the rendered message is empty; a message needs some text",
        )
        .at("message.template"));
    }
    let topic = match &mapping.topic {
        None => None,
        Some(t) => {
            let topic = t.render(
                payload,
                "message.topic",
                Limit {
                    max_chars: MAX_TOPIC_LEN,
                    what: "topic",
                },
            )?;
            Some(topic).filter(|t| !t.trim().is_empty())
        }
    };
    Ok(PlannedMessage {
        channel,
        topic,
        text,
    })
}

impl MessageMapping {
    /// The payload paths the message reads: its channel's, if it comes from the payload, and its
    /// templates' placeholders.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        let channel = match &self.channel {
            ChannelRef::Path(path) => Some(path),
            ChannelRef::Id(_) => None,
        };
        channel
            .into_iter()
            .chain(self.template.paths())
            .chain(self.topic.iter().flat_map(Template::paths))
    }
}

fn channel_at(payload: &Value, path: &Path) -> Result<String> {
    let at = "message.channel.path";
    match path.lookup(payload) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_CHANNEL_ID_LEN => Ok(s.clone()),
        None => Err(Error::new(
            ErrorKind::MissingPath,
            format!("the payload has no channel id at {:?}", path.as_str()),
        )
        .at(at)),
        Some(_) => Err(Error::new(
            ErrorKind::WrongType,
            format!(
                "expected a channel id (a string of 1 to {MAX_CHANNEL_ID_LEN} characters) at {:?}",
                path.as_str()
            ),
        )
        .at(at)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn planned(mapping: Value, payload: Value) -> Result<PlannedMessage> {
        plan(&parse(&mapping)?, &payload)
    }

    #[test]
    fn renders_text_topic_and_channel() {
        let m = json!({"channel": {"path": "room"}, "template": "Order {{id}} by {{who | default: \"a guest\"}}",
                       "topic": "Orders {{day}}"});
        let p = planned(
            m.clone(),
            json!({"room": "chn_1", "id": 7, "day": "Monday"}),
        )
        .unwrap();
        assert_eq!(
            p,
            PlannedMessage {
                channel: "chn_1".into(),
                topic: Some("Orders Monday".into()),
                text: "Order 7 by a guest".into()
            }
        );
        assert_eq!(serde_json::to_value(parse(&m).unwrap()).unwrap(), m);
    }

    #[test]
    fn bad_messages_are_precise_errors() {
        let fixed = |template: &str| json!({"channel": {"id": "chn_1"}, "template": template});
        let cases = [
            (
                planned(fixed("{{a}}"), json!({})),
                ErrorKind::MissingPath,
                "message.template",
            ),
            (
                planned(fixed("  {{a}} "), json!({"a": ""})),
                ErrorKind::EmptyMessage,
                "message.template",
            ),
            (
                planned(
                    fixed("{{a}}"),
                    json!({"a": "x".repeat(MAX_MESSAGE_LEN + 1)}),
                ),
                ErrorKind::MessageTooLong,
                "message.template",
            ),
            (
                planned(
                    json!({"channel": {"id": "c"}, "template": "x", "topic": "{{t}}"}),
                    json!({"t": "é".repeat(MAX_TOPIC_LEN + 1)}),
                ),
                ErrorKind::MessageTooLong,
                "message.topic",
            ),
            (
                planned(
                    json!({"channel": {"path": "room"}, "template": "x"}),
                    json!({}),
                ),
                ErrorKind::MissingPath,
                "message.channel.path",
            ),
            (
                planned(
                    json!({"channel": {"path": "room"}, "template": "x"}),
                    json!({"room": 5}),
                ),
                ErrorKind::WrongType,
                "message.channel.path",
            ),
            (
                planned(fixed("{{a"), json!({})),
                ErrorKind::InvalidTemplate,
                "message.template",
            ),
            (
                planned(
                    json!({"channel": {"id": "c", "path": "p"}, "template": "x"}),
                    json!({}),
                ),
                ErrorKind::InvalidMapping,
                "message.channel",
            ),
            (
                planned(json!({"channel": {"id": ""}, "template": "x"}), json!({})),
                ErrorKind::InvalidMapping,
                "message.channel.id",
            ),
            (
                planned(
                    json!({"channel": {"id": "c"}, "template": "x", "color": 1}),
                    json!({}),
                ),
                ErrorKind::InvalidMapping,
                "message.color",
            ),
            (
                planned(json!({"channel": {"id": "c"}}), json!({})),
                ErrorKind::InvalidMapping,
                "message.template",
            ),
        ];
        for (result, kind, at) in cases {
            let e = result.unwrap_err();
            assert_eq!((e.kind(), e.location()), (kind, Some(at)), "{e}");
        }
    }

    #[test]
    fn a_message_exactly_at_the_limit_is_accepted() {
        let m = json!({"channel": {"id": "c"}, "template": "{{a}}"});
        let text = "ü".repeat(MAX_MESSAGE_LEN);
        assert_eq!(planned(m, json!({"a": text.clone()})).unwrap().text, text);
    }
}
