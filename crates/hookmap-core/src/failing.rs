//! Auto-disable (Svix's rule, with its five days): a subscription whose deliveries keep failing is
//! turned off once `failures` failed deliveries in a row span at least `days`. Both together: a
//! burst of failures in one bad hour does not end a subscription, and neither does one failure a
//! week. The counting itself happens in D1, in the batch that records each outcome, so that
//! concurrent attempts cannot lose a failure.

/// Milliseconds in a day.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// When a failing subscription is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoDisable {
    /// Failed deliveries in a row, at least.
    pub failures: u32,
    /// Days from the first of them, at least.
    pub days: u32,
}

impl AutoDisable {
    pub const DEFAULT: Self = Self {
        failures: 5,
        days: 5,
    };

    /// The settings from their vars' text (the deployment's `AUTO_DISABLE_FAILURES` and
    /// `AUTO_DISABLE_DAYS`); one missing or not a whole number keeps its default, and at least one
    /// failure is always needed.
    pub fn from_vars(failures: Option<&str>, days: Option<&str>) -> Self {
        let read = |text: Option<&str>, default: u32| {
            text.and_then(|t| t.trim().parse().ok()).unwrap_or(default)
        };
        Self {
            failures: read(failures, Self::DEFAULT.failures).max(1),
            days: read(days, Self::DEFAULT.days),
        }
    }

    /// The latest start of a failing streak, in milliseconds since the epoch, that is long
    /// enough at `now_ms`.
    pub fn failing_since_at_most(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(u64::from(self.days) * DAY_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_vars_or_keep_their_defaults() {
        assert_eq!(AutoDisable::from_vars(None, None), AutoDisable::DEFAULT);
        let set = AutoDisable::from_vars(Some("3"), Some(" 0 "));
        assert_eq!((set.failures, set.days), (3, 0));
        let unreadable = AutoDisable::from_vars(Some("-1"), Some("five"));
        assert_eq!(unreadable, AutoDisable::DEFAULT);
        assert_eq!(AutoDisable::from_vars(Some("0"), None).failures, 1);
    }

    #[test]
    fn a_streak_must_span_the_days() {
        let rule = AutoDisable {
            failures: 5,
            days: 5,
        };
        let now = 10 * DAY_MS;
        assert_eq!(rule.failing_since_at_most(now), 5 * DAY_MS);
        assert_eq!(
            AutoDisable { days: 0, ..rule }.failing_since_at_most(now),
            now
        );
        assert_eq!(
            rule.failing_since_at_most(DAY_MS),
            0,
            "never before the epoch"
        );
    }
}
