//! Resending outgoing deliveries (`POST .../logs/{lid}/resend` and `POST .../recover`): when a
//! resend makes a delivery, and the arithmetic of the two limits it spends (issue 27, item 4).
//!
//! - Every delivery a resend or a recover makes is one event in the community's
//!   `events_per_minute` quota ([`crate::quota::Quota::EventsPerMinute`]), counted in the same
//!   clock minute as published events.
//! - A plain resend of a delivery that was resent already makes nothing: it answers with the
//!   earlier resend (the newest), so repeating the call, or making it twenty times at once, sends
//!   the event once.
//! - `force: true` makes a new delivery anyway, at most [`FORCED_RESENDS`] of one event to one
//!   subscription in any [`FORCED_WINDOW_MS`] (a sliding hour).
//!
//! No clock here: the worker passes `now` in, in milliseconds since the epoch.

/// Forced resends of one event to one subscription in any [`FORCED_WINDOW_MS`].
pub const FORCED_RESENDS: i64 = 3;

/// The sliding window forced resends are counted in: one hour.
pub const FORCED_WINDOW_MS: u64 = 60 * 60 * 1000;

/// Deliveries one `recover` call resends at most (when the events quota leaves room for them).
pub const RECOVER_BATCH: i64 = 100;

/// What a resend request comes to, before the limits are spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend<'a> {
    /// The delivery was resent already and the caller did not force: answer with that resend
    /// (`resent_as`), make nothing, count nothing.
    Earlier(&'a str),
    /// Make a new delivery of the event (forced or not), counted in the events quota; a forced
    /// one also in [`FORCED_RESENDS`].
    New { forced: bool },
}

/// Decides a resend of a delivery whose newest resend (if any, and still stored) is `resent_as`.
pub fn decide(resent_as: Option<&str>, force: bool) -> Resend<'_> {
    match resent_as {
        Some(earlier) if !force => Resend::Earlier(earlier),
        _ => Resend::New { forced: force },
    }
}

/// The earliest creation time (ms) a forced resend still counts from at `now_ms`.
pub fn forced_since(now_ms: u64) -> u64 {
    now_ms.saturating_sub(FORCED_WINDOW_MS)
}

/// Seconds until a forced resend is allowed again, when the oldest one counted in the window was
/// made at `oldest_ms`: when it leaves the window, rounded up, at least 1 (also when it is not
/// known, e.g. it was deleted meanwhile).
pub fn forced_retry_after(now_ms: u64, oldest_ms: Option<u64>) -> u64 {
    let Some(oldest) = oldest_ms else { return 1 };
    let leaves = oldest.saturating_add(FORCED_WINDOW_MS);
    leaves.saturating_sub(now_ms).div_ceil(1000).max(1)
}

/// How many failed deliveries one `recover` call resends when the events quota has `room` left
/// this minute: at most [`RECOVER_BATCH`], never below zero.
pub fn recover_take(room: i64) -> i64 {
    room.clamp(0, RECOVER_BATCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_resend_of_a_resent_delivery_answers_the_earlier_one() {
        assert_eq!(decide(None, false), Resend::New { forced: false });
        assert_eq!(decide(Some("odl_1"), false), Resend::Earlier("odl_1"));
        assert_eq!(decide(Some("odl_1"), true), Resend::New { forced: true });
        assert_eq!(decide(None, true), Resend::New { forced: true });
    }

    #[test]
    fn forced_resends_count_in_a_sliding_hour() {
        let now = 1_800_000_000_000;
        assert_eq!(forced_since(now), now - 3_600_000);
        assert_eq!(forced_since(1_000), 0, "never before the epoch");
        // The oldest was made 10 minutes ago: it leaves the window in 50 minutes.
        assert_eq!(forced_retry_after(now, Some(now - 600_000)), 3_000);
        // Half a second before it leaves: a whole second, never 0.
        assert_eq!(forced_retry_after(now, Some(now - 3_599_500)), 1);
        assert_eq!(forced_retry_after(now, Some(now - 3_600_000)), 1);
        assert_eq!(forced_retry_after(now, Some(now - 5_000_000)), 1);
        assert_eq!(forced_retry_after(now, Some(now - 1_001)), 3_599);
        assert_eq!(forced_retry_after(now, None), 1);
        // A time ahead of the clock (another isolate's) waits at most the window and a bit.
        assert_eq!(forced_retry_after(now, Some(now + 2_000)), 3_602);
        assert!(
            forced_retry_after(now, Some(u64::MAX)) > 3_600,
            "no overflow"
        );
    }

    #[test]
    fn recover_takes_what_the_quota_leaves_up_to_its_batch() {
        assert_eq!(recover_take(0), 0);
        assert_eq!(recover_take(-5), 0);
        assert_eq!(recover_take(1), 1);
        assert_eq!(recover_take(100), 100);
        assert_eq!(recover_take(100_000), RECOVER_BATCH);
    }
}
