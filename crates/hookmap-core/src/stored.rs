//! The closed sets the database holds or speaks: the migrations' CHECK constraints and
//! `RAISE(ABORT, 'hookmap:...')` triggers are compared with these by `tests/vocabulary.rs`.

use crate::vocabulary::vocabulary;

vocabulary! {
    /// Where a delivery (incoming or outgoing) stands.
    pub enum DeliveryStatus {
        Success = "success",
        Failed = "failed",
        /// Caught without a mapping, or waiting for its next attempt.
        Pending = "pending",
    }
}

impl DeliveryStatus {
    /// What a replay may take: a success is never replayed (it would apply twice), nor a
    /// filtered delivery (its key is taken: a replay would be its duplicate).
    pub const REPLAYABLE: [Self; 2] = [Self::Failed, Self::Pending];
}

vocabulary! {
    /// What an incoming delivery's history lists it as: its stored status, or `replayed` once a
    /// replay of it was recorded (the delivery names it: `replayed_as`).
    pub enum HistoryStatus {
        Success = "success",
        Failed = "failed",
        Pending = "pending",
        /// Turned away by its mapping's filter: it applied nothing and took its key.
        Filtered = "filtered",
        Replayed = "replayed",
    }
}

impl HistoryStatus {
    /// What an incoming delivery's row stores: all but `replayed`, which the history derives.
    pub const STORED: [Self; 4] = [Self::Success, Self::Failed, Self::Pending, Self::Filtered];
}

vocabulary! {
    /// Why a subscription was turned off by hookmap rather than by hand.
    pub enum DisabledReason {
        /// Its deliveries kept failing (`failing::AutoDisable`).
        Failing = "failing",
    }
}

vocabulary! {
    /// Where an incoming webhook's deliveries land: members' currencies and fields, or a chat
    /// channel. Either kind of mapping may carry the other part too.
    pub enum Location {
        UserFields = "user_fields",
        Chat = "chat",
    }
}

impl Location {
    /// Whether a webhook here can use a mapping with these parts: a chat webhook's mapping posts
    /// a message, a user_fields webhook's maps fields.
    pub const fn accepts(self, has_fields: bool, has_message: bool) -> bool {
        match self {
            Self::UserFields => has_fields,
            Self::Chat => has_message,
        }
    }

    /// Where a mapping with these parts belongs: `current` if it accepts the mapping, else the
    /// first location that does (`current` again when none does: the mapping is refused anyway).
    pub fn suited(has_fields: bool, has_message: bool, current: Self) -> Self {
        if current.accepts(has_fields, has_message) {
            return current;
        }
        Self::ALL
            .into_iter()
            .find(|l| l.accepts(has_fields, has_message))
            .unwrap_or(current)
    }
}

vocabulary! {
    pub enum ChannelType {
        Text = "text",
        /// Every message needs a topic.
        Forum = "forum",
    }
}

vocabulary! {
    /// What a trigger refuses, by the name it raises as `hookmap:<name>`.
    pub enum StorageRefusal {
        UnknownMember = "unknown_member",
        RateLimited = "rate_limited",
        TooManyFailures = "too_many_failures",
        UnknownChannel = "unknown_channel",
        TopicRequired = "topic_required",
        FieldOutOfRange = "field_out_of_range",
        WebhookDisabled = "webhook_disabled",
        WebhookGone = "webhook_gone",
        StaleWebhook = "stale_webhook",
        UnknownCurrency = "unknown_currency",
        /// A resend or recover would pass the community's `events_per_minute` this minute.
        EventsQuota = "events_quota",
    }
}

/// What every raised refusal name starts with.
pub const REFUSAL_PREFIX: &str = "hookmap:";

impl StorageRefusal {
    /// The refusal D1's error text names, if any: `hookmap:<name>` followed by anything but
    /// another name character, so no name is read as the start of a longer one.
    pub fn from_error_text(text: &str) -> Option<Self> {
        text.match_indices(REFUSAL_PREFIX).find_map(|(at, _)| {
            let rest = text.get(at + REFUSAL_PREFIX.len()..)?;
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(rest.len());
            Self::parse(rest.get(..end)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_keeps_its_location_when_it_can() {
        use Location::{Chat, UserFields};
        for (fields, message, current, suited) in [
            (false, true, UserFields, Chat),
            (true, false, Chat, UserFields),
            (true, true, Chat, Chat),
            (true, true, UserFields, UserFields),
            (false, false, Chat, Chat),
        ] {
            assert_eq!(Location::suited(fields, message, current), suited);
        }
    }

    #[test]
    fn refusals_are_read_off_error_text() {
        let text = "D1_ERROR: hookmap:topic_required: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_TRIGGER)";
        assert_eq!(
            StorageRefusal::from_error_text(text),
            Some(StorageRefusal::TopicRequired)
        );
        for r in StorageRefusal::ALL {
            let text = format!("Error: {REFUSAL_PREFIX}{r}");
            assert_eq!(StorageRefusal::from_error_text(&text), Some(r));
        }
        for text in [
            "hookmap:webhook_gone_forever",
            "hookmap:",
            "webhook_gone",
            "SQLITE_CONSTRAINT_CHECK coins_not_negative",
        ] {
            assert_eq!(StorageRefusal::from_error_text(text), None, "{text}");
        }
    }
}
