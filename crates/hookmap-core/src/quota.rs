//! Per-community quotas: how much of the platform one community may take.
//!
//! Each quota has a built-in default, which the deployment may change with a `QUOTA_*` var and
//! the operator may override per community. The worker enforces counts inside the INSERT that
//! would exceed them, so concurrent creates cannot overshoot; this module holds the names, the
//! bounds and the arithmetic.

use serde_json::Value;

use crate::vocabulary::vocabulary;

vocabulary! {
    /// Each name is also the quota's member in the API and its column in `community_quotas`.
    pub enum Quota {
        /// Incoming webhooks a community may have.
        IncomingWebhooks = "incoming_webhooks",
        /// Outgoing webhook subscriptions a community may have.
        Subscriptions = "subscriptions",
        /// Events a community may publish through the API per clock minute.
        EventsPerMinute = "events_per_minute",
        /// Bytes of payload kept with a failed delivery; the rest is cut off.
        FailedPayloadBytes = "failed_payload_bytes",
        /// The highest `rate_limit` (deliveries a minute) a webhook of the community may have.
        MaxRateLimit = "max_rate_limit",
        /// Days a delivery keeps its payload text; after that only the row (status, error,
        /// effects) remains, and it can no longer be replayed.
        PayloadDays = "payload_days",
        /// Days delivery and attempt rows are kept, and the idempotency keys with them: the
        /// window in which a repeated delivery is recognised.
        HistoryDays = "history_days",
        /// Deliveries a community may hold at once for members who have not joined yet
        /// (`on_unknown_member: "hold"`); beyond it a delivery for an unknown member fails.
        HeldDeliveries = "held_deliveries",
        /// Members its webhooks may create in any hour (`on_unknown_member: "create"`); beyond
        /// it a delivery for an unknown member fails.
        MembersPerHour = "members_per_hour",
        /// Failed deliveries one after the other that make an incoming webhook `failing`
        /// (`health`); 0 turns that part of the rule off.
        FailingInARow = "failing_in_a_row",
        /// The last deliveries of which more than half failing make an incoming webhook
        /// `failing` (`health`); 0 turns that part of the rule off.
        FailingWindow = "failing_window",
        /// Bytes the community's own database may hold before it refuses new deliveries: below
        /// a Durable Object's 10 GB, so that the community alone is refused, with room left for
        /// its admins' changes and retention.
        StoredBytes = "stored_bytes",
        /// Deliveries a minute the community's incoming webhooks may take together (the sum of
        /// their `rate_limit`): every one of them is written by the community's one database,
        /// whose single writer sustains about this many (BENCHMARKS.md).
        TotalRateLimit = "total_rate_limit",
    }
}

impl Quota {
    /// The worker var that sets the deployment's default.
    pub fn var(self) -> &'static str {
        match self {
            Self::IncomingWebhooks => "QUOTA_INCOMING_WEBHOOKS",
            Self::Subscriptions => "QUOTA_SUBSCRIPTIONS",
            Self::EventsPerMinute => "QUOTA_EVENTS_PER_MINUTE",
            Self::FailedPayloadBytes => "QUOTA_FAILED_PAYLOAD_BYTES",
            Self::MaxRateLimit => "QUOTA_MAX_RATE_LIMIT",
            Self::PayloadDays => "QUOTA_PAYLOAD_DAYS",
            Self::HistoryDays => "QUOTA_HISTORY_DAYS",
            Self::HeldDeliveries => "QUOTA_HELD_DELIVERIES",
            Self::MembersPerHour => "QUOTA_MEMBERS_PER_HOUR",
            Self::FailingInARow => "QUOTA_FAILING_IN_A_ROW",
            Self::FailingWindow => "QUOTA_FAILING_WINDOW",
            Self::StoredBytes => "QUOTA_STORED_BYTES",
            Self::TotalRateLimit => "QUOTA_TOTAL_RATE_LIMIT",
        }
    }

    /// The default when the var is absent (or unusable).
    pub fn builtin(self) -> i64 {
        match self {
            Self::IncomingWebhooks | Self::Subscriptions => 50,
            Self::EventsPerMinute => 600,
            Self::FailedPayloadBytes => 65_536,
            Self::MaxRateLimit => 6_000,
            Self::PayloadDays => 30,
            Self::HistoryDays => 90,
            Self::HeldDeliveries => 1_000,
            Self::MembersPerHour => 100,
            Self::FailingInARow => 5,
            Self::FailingWindow => 20,
            Self::StoredBytes => 9_000_000_000,
            // 600 a second: what one community's object was measured to take (BENCHMARKS.md,
            // "The data plane against the D1 path"), below a Durable Object's documented soft
            // limit of 1,000 requests a second.
            Self::TotalRateLimit => 36_000,
        }
    }

    /// The values a default or an override may take. Zero shuts a count off; a webhook's rate
    /// limit is at least 1 and at most 100,000 whatever the quota; a failed delivery never kept
    /// more than the 1 MiB a body may have; nothing is kept for less than a day or more than ten
    /// years; a webhook's health looks back at most `health::RECENT_MAX` deliveries; a
    /// community's database stops short of a Durable Object's 10 GB.
    pub fn bounds(self) -> (i64, i64) {
        match self {
            Self::IncomingWebhooks | Self::Subscriptions => (0, 10_000),
            Self::EventsPerMinute => (0, 100_000),
            Self::FailedPayloadBytes => (0, 1 << 20),
            Self::MaxRateLimit => (1, 100_000),
            Self::PayloadDays | Self::HistoryDays => (1, 3_650),
            Self::HeldDeliveries | Self::MembersPerHour => (0, 100_000),
            Self::FailingInARow => (0, 1_000),
            Self::FailingWindow => (0, 100),
            Self::StoredBytes => (0, 9_500_000_000),
            Self::TotalRateLimit => (1, 240_000),
        }
    }

    /// The deployment's default from its var's text: a var out of bounds or not a number is a
    /// deployment mistake, which falls back to the built-in default rather than lifting a limit.
    pub fn default_from(self, var: Option<&str>) -> i64 {
        let (low, high) = self.bounds();
        var.and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|n| (low..=high).contains(n))
            .unwrap_or_else(|| self.builtin())
    }

    /// An override as sent to the API: an integer within bounds, or null (back to the default).
    /// The error is a sentence for the caller.
    pub fn parse_override(self, value: &Value) -> Result<Option<i64>, String> {
        let (low, high) = self.bounds();
        match value {
            Value::Null => Ok(None),
            v @ (Value::Bool(_)
            | Value::Number(_)
            | Value::String(_)
            | Value::Array(_)
            | Value::Object(_)) => match v.as_i64() {
                Some(n) if (low..=high).contains(&n) => Ok(Some(n)),
                _ => Err(format!(
                    "must be an integer from {low} to {high}, or null for the default"
                )),
            },
        }
    }
}

/// The clock minute of `now_ms` (minutes since the epoch): the window `events_per_minute` is
/// counted in.
pub fn minute(now_ms: u64) -> i64 {
    i64::try_from(now_ms / 60_000).unwrap_or(i64::MAX)
}

/// What a per-minute `limit` leaves after `used` this minute, never below zero (a limit lowered
/// during the minute leaves nothing).
pub fn room(limit: i64, used: i64) -> i64 {
    limit.saturating_sub(used).max(0)
}

/// The start of `text` that fits in `max` bytes, cut between characters, and whether anything
/// was cut off.
pub fn cut(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text.get(..end).unwrap_or_default(), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for q in Quota::ALL {
            assert_eq!(Quota::parse(q.as_str()), Some(q));
            assert!(q.var().ends_with(&q.as_str().to_uppercase()));
            let (low, high) = q.bounds();
            assert!((low..=high).contains(&q.builtin()), "{q:?}");
        }
        assert_eq!(Quota::parse("webhooks"), None);
    }

    #[test]
    fn a_deployment_default_out_of_bounds_falls_back_to_the_builtin() {
        let q = Quota::IncomingWebhooks;
        assert_eq!(q.default_from(Some("7")), 7);
        assert_eq!(q.default_from(Some(" 0 ")), 0);
        for bad in ["-1", "lots", "", "99999999", "1.5"] {
            assert_eq!(q.default_from(Some(bad)), 50, "{bad}");
        }
        assert_eq!(q.default_from(None), 50);
        assert_eq!(Quota::MaxRateLimit.default_from(Some("0")), 6_000);
    }

    #[test]
    fn overrides_are_integers_within_bounds_or_null() {
        let q = Quota::FailedPayloadBytes;
        assert_eq!(q.parse_override(&json!(1000)), Ok(Some(1000)));
        assert_eq!(q.parse_override(&json!(null)), Ok(None));
        for bad in [
            json!(-1),
            json!(2_000_000),
            json!("10"),
            json!(1.5),
            json!(true),
        ] {
            assert!(q.parse_override(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minutes_and_the_room_a_limit_leaves() {
        assert_eq!(minute(0), 0);
        assert_eq!(minute(59_999), 0);
        assert_eq!(minute(60_000), 1);
        assert_eq!(minute(1_800_000_000_000), 30_000_000);
        assert_eq!(
            minute(u64::MAX),
            307_445_734_561_825,
            "u64::MAX / 60,000 fits"
        );
        assert_eq!(room(3, 0), 3);
        assert_eq!(room(3, 2), 1);
        assert_eq!(room(3, 3), 0);
        assert_eq!(room(2, 3), 0, "lowered during the minute");
        assert_eq!(room(0, 0), 0);
        assert_eq!(room(i64::MAX, -1), i64::MAX, "no overflow");
        assert_eq!(room(i64::MIN, i64::MAX), 0);
    }

    #[test]
    fn cut_keeps_whole_characters_within_the_limit() {
        assert_eq!(cut("hello", 10), ("hello", false));
        assert_eq!(cut("hello", 5), ("hello", false));
        assert_eq!(cut("hello", 3), ("hel", true));
        assert_eq!(cut("hello", 0), ("", true));
        // "€" is three bytes: a limit inside one keeps the characters before it.
        assert_eq!(cut("a€b", 1), ("a", true));
        assert_eq!(cut("a€b", 2), ("a", true));
        assert_eq!(cut("a€b", 3), ("a", true));
        assert_eq!(cut("a€b", 4), ("a€", true));
        let text = "é".repeat(1000) + "😀".repeat(100).as_str();
        for max in 0..text.len() + 2 {
            let (kept, truncated) = cut(&text, max);
            assert!(kept.len() <= max && text.starts_with(kept));
            assert!(
                kept.len() + 3 >= max.min(text.len()),
                "cut more than a character at {max}"
            );
            assert_eq!(truncated, kept.len() < text.len());
        }
    }
}
