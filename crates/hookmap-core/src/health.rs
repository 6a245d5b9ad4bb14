//! When an incoming webhook is failing: nobody watches a history, so a sender whose key was
//! rotated, or a mapping that now refuses every payload, must be told about.
//!
//! A webhook is failing once `in_a_row` of its counted deliveries failed one after the other, or
//! once more than half of its last `window` counted deliveries failed; it recovers at a success
//! after which neither holds. Only a failure can start it and only a success can end it, so the
//! state changes at most once per delivery and an alert is never sent twice for one change.
//!
//! What counts is the sender's own deliveries: a success (or a filtered delivery, which its
//! mapping read) and a failure of a proved sender, or of a webhook that checks neither key nor
//! signature and so trusts its URL. A request refused for a bad key or signature is an outsider's
//! and never counts, so nobody can trip the alert without the webhook's secret. Caught (pending)
//! and held deliveries, and an admin's replays, are not the sender's verdict on the webhook.
//!
//! Storage keeps the counted outcomes as text (`recent`, oldest first, one character each) and
//! judges them in the statement that records each delivery (the worker's `health.rs` spells the
//! rule in SQL), so concurrent deliveries lose no outcome; [`Rule::reason`] is the same rule, for
//! the tests and for reading.

use crate::quota::Quota;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// Which part of the rule made a webhook failing.
    pub enum FailingReason {
        /// `in_a_row` failures one after the other.
        FailuresInARow = "failures_in_a_row",
        /// More than half of the last `window` deliveries failed.
        FailureRate = "failure_rate",
    }
}

/// A failed delivery in `recent`.
pub const FAILED: char = 'f';
/// A delivery that succeeded (or was filtered) in `recent`.
pub const SUCCEEDED: char = 's';
/// The most outcomes `recent` keeps: the largest `window` a community may set.
pub const RECENT_MAX: usize = 100;

/// A community's thresholds (its quotas `failing_in_a_row` and `failing_window`); 0 turns that
/// part of the rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub in_a_row: u32,
    pub window: u32,
}

impl Rule {
    pub const DEFAULT: Self = Self {
        in_a_row: 5,
        window: 20,
    };

    /// The rule from the community's limits (as `quota` holds them: bounded, never negative).
    pub fn of(in_a_row: i64, window: i64) -> Self {
        let read = |n: i64, quota: Quota| {
            let (low, high) = quota.bounds();
            u32::try_from(n.clamp(low, high)).unwrap_or(0)
        };
        Self {
            in_a_row: read(in_a_row, Quota::FailingInARow),
            window: read(window, Quota::FailingWindow),
        }
    }

    /// Why a webhook with this streak and these recent outcomes is failing, or None when it is
    /// not. A window not yet full is not judged: one failure of one delivery is no rate.
    pub fn reason(&self, failures_in_a_row: u32, recent: &str) -> Option<FailingReason> {
        if self.in_a_row > 0 && failures_in_a_row >= self.in_a_row {
            return Some(FailingReason::FailuresInARow);
        }
        let window = usize::try_from(self.window).unwrap_or(usize::MAX);
        let kept = recent.chars().count();
        if window == 0 || kept < window {
            return None;
        }
        let failed = recent
            .chars()
            .skip(kept - window)
            .filter(|c| *c == FAILED)
            .count();
        (failed * 2 > window).then_some(FailingReason::FailureRate)
    }
}

/// How many of the last `window` outcomes in `recent` failed, and how many there are (all that
/// `recent` keeps when the window is 0, that part of the rule being off).
pub fn tally(recent: &str, window: u32) -> (usize, usize) {
    let kept = recent.chars().count();
    let of = match usize::try_from(window) {
        Ok(0) | Err(_) => kept,
        Ok(w) => w.min(kept),
    };
    let failed = recent
        .chars()
        .skip(kept - of)
        .filter(|c| *c == FAILED)
        .count();
    (failed, of)
}

/// Whether a failed delivery counts: it failed after its sender was proved (not `anonymous`: the
/// webhook's API key or signature verified), or the webhook checks neither and so trusts whoever
/// holds its URL. A request refused for a bad key or signature never counts on a webhook that
/// checks one: an outsider cannot make it failing.
pub fn failure_counts(anonymous: bool, webhook_checks_sender: bool) -> bool {
    !anonymous || !webhook_checks_sender
}

/// `recent` after one more outcome, cut to the last [`RECENT_MAX`].
pub fn recent_after(recent: &str, failed: bool) -> String {
    let mark = if failed { FAILED } else { SUCCEEDED };
    let mut all: Vec<char> = recent.chars().collect();
    all.push(mark);
    let skip = all.len().saturating_sub(RECENT_MAX);
    all.into_iter().skip(skip).collect()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The state after each outcome, as storage keeps it: (streak, recent, failing).
    fn run(rule: Rule, outcomes: &str) -> Vec<Option<FailingReason>> {
        let (mut streak, mut recent, mut failing) = (0u32, String::new(), None);
        let mut states = Vec::new();
        for c in outcomes.chars() {
            let failed = c == FAILED;
            streak = if failed { streak + 1 } else { 0 };
            recent = recent_after(&recent, failed);
            let now = rule.reason(streak, &recent);
            // Only a failure starts it, only a success ends it.
            failing = match (failing, failed) {
                (None, true) => now,
                (Some(_), false) => now,
                (kept, _) => kept,
            };
            states.push(failing);
        }
        states
    }

    #[test]
    fn five_failures_in_a_row_make_it_failing_and_one_success_ends_it() {
        let states = run(Rule::DEFAULT, "sffffffs");
        assert_eq!(&states[..5], &[None; 5]);
        assert_eq!(states[5], Some(FailingReason::FailuresInARow));
        assert_eq!(states[6], Some(FailingReason::FailuresInARow));
        assert_eq!(states[7], None);
    }

    #[test]
    fn more_than_half_of_the_last_twenty_make_it_failing() {
        // Alternating never makes 5 in a row; 10 of 20 is not more than half, 11 of 20 is.
        let half = "sf".repeat(10);
        assert_eq!(run(Rule::DEFAULT, &half).last(), Some(&None));
        let more = format!("{half}f");
        assert_eq!(
            Rule::DEFAULT.reason(1, &recent_after(&half, true)),
            Some(FailingReason::FailureRate)
        );
        assert_eq!(
            run(Rule::DEFAULT, &more).last(),
            Some(&Some(FailingReason::FailureRate))
        );
        // Fewer than twenty deliveries are no rate, however many failed.
        assert_eq!(Rule::DEFAULT.reason(1, "ffffsfffsf"), None);
    }

    #[test]
    fn a_success_ends_it_only_once_neither_part_holds() {
        // 11 of 20 failed: a success drops the oldest failure, 10 of 20, and ends it.
        let failing = format!("{}f", "sf".repeat(10));
        let after = recent_after(&failing, false);
        assert_eq!(Rule::DEFAULT.reason(0, &after), None);
        // 15 of 20 failed: one success leaves it failing by rate.
        let worse = "fffsfffsfffsfffsfffs";
        assert_eq!(
            Rule::DEFAULT.reason(0, &recent_after(worse, false)),
            Some(FailingReason::FailureRate)
        );
    }

    #[test]
    fn zero_turns_a_part_off() {
        let off = Rule::of(0, 0);
        assert_eq!(off.reason(1000, &"f".repeat(100)), None);
        let rate_only = Rule::of(0, 20);
        assert_eq!(
            rate_only.reason(20, &"f".repeat(20)),
            Some(FailingReason::FailureRate)
        );
    }

    #[test]
    fn the_rule_is_read_within_the_quotas_bounds() {
        assert_eq!(Rule::of(5, 20), Rule::DEFAULT);
        assert_eq!(
            Rule::of(-3, 10_000),
            Rule {
                in_a_row: 0,
                window: RECENT_MAX as u32
            }
        );
        assert_eq!(
            Rule::DEFAULT.in_a_row,
            u32::try_from(Quota::FailingInARow.builtin()).unwrap_or(0)
        );
        assert_eq!(
            Rule::DEFAULT.window,
            u32::try_from(Quota::FailingWindow.builtin()).unwrap_or(0)
        );
    }

    #[test]
    fn the_tally_reads_the_window() {
        assert_eq!(tally("", 20), (0, 0));
        assert_eq!(tally("ffs", 20), (2, 3));
        assert_eq!(tally("ffsfs", 2), (1, 2));
        assert_eq!(tally("ffsfs", 0), (3, 5));
    }

    #[test]
    fn only_a_proved_sender_or_a_webhook_that_proves_nobody_counts() {
        assert!(failure_counts(false, true), "a proved sender's failure");
        assert!(
            failure_counts(true, false),
            "a URL-only webhook trusts its URL"
        );
        assert!(failure_counts(false, false));
        assert!(!failure_counts(true, true), "an outsider's bad key");
    }

    #[test]
    fn recent_keeps_the_last_hundred() {
        let mut recent = String::new();
        for n in 0..250 {
            recent = recent_after(&recent, n % 3 == 0);
        }
        assert_eq!(recent.len(), RECENT_MAX);
        assert!(recent.ends_with(FAILED), "249 is a multiple of 3");
        assert_eq!(recent_after("", true), "f");
    }
}
