//! When an outgoing delivery is tried again. Like Svix: immediately, then after 5 s, 5 min, 30 min,
//! 2 h, 5 h, 10 h and 10 h, each delay spread by up to ±20 % so that a subscriber coming back up is
//! not hit by every retry at once. After the last attempt the delivery is failed (it can be resent
//! by hand).

/// Seconds to wait before each attempt; attempt 1 is the first delivery.
pub const SCHEDULE: &[u32] = &[0, 5, 300, 1800, 7200, 18000, 36000, 36000];

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The subscriber answered with this status.
    Status(u16),
    /// No answer: a network error or the timeout.
    NoAnswer,
}

impl Attempt {
    pub fn succeeded(self) -> bool {
        matches!(self, Self::Status(200..=299))
    }

    /// The subscriber answered with a redirect. The edge does not follow it: the URL guard saw
    /// only the subscription's URL, not the one a redirect points at.
    pub fn redirected(self) -> bool {
        matches!(self, Self::Status(300..=399))
    }

    /// Worth trying again: no answer, a server error, 408 Request Timeout or 429 Too Many
    /// Requests. Any other answer is the subscriber's considered refusal.
    pub fn retryable(self) -> bool {
        match self {
            Self::NoAnswer => true,
            Self::Status(code) => code >= 500 || code == 408 || code == 429,
        }
    }
}

/// The delay in seconds before attempt `next` (2 for the first retry), or `None` when the
/// schedule is over. `jitter` is a uniform random number in [0, 1), supplied by the caller.
pub fn delay_before(schedule: &[u32], next: u32, jitter: f64) -> Option<u32> {
    let base = *schedule.get(usize::try_from(next).ok()?.checked_sub(1)?)?;
    let spread = (f64::from(base) * 0.2 * (2.0 * jitter.clamp(0.0, 1.0) - 1.0)).round();
    // Float to int: `base` is at most u32::MAX and the spread a fifth of it, so this stays in range.
    Some((f64::from(base) + spread).max(0.0) as u32)
}

/// Reads a schedule from `0,5,300`; `None` when malformed or empty (the caller keeps the default).
pub fn parse_schedule(text: &str) -> Option<Vec<u32>> {
    let schedule = text
        .split(',')
        .map(|s| s.trim().parse::<u32>().ok())
        .collect::<Option<Vec<_>>>()?;
    (!schedule.is_empty()).then_some(schedule)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_schedule_within_the_jitter() {
        assert_eq!(delay_before(SCHEDULE, 1, 0.9), Some(0));
        assert_eq!(delay_before(SCHEDULE, 2, 0.5), Some(5));
        assert_eq!(delay_before(SCHEDULE, 3, 0.0), Some(240));
        assert_eq!(delay_before(SCHEDULE, 3, 0.999_999), Some(360));
        assert_eq!(delay_before(SCHEDULE, 8, 0.5), Some(36000));
        assert_eq!(delay_before(SCHEDULE, 9, 0.5), None);
        assert_eq!(delay_before(SCHEDULE, 0, 0.5), None);
        for n in 2..=8 {
            let base = f64::from(SCHEDULE[n as usize - 1]);
            for jitter in [0.0, 0.25, 0.5, 0.75, 0.99] {
                let d = f64::from(delay_before(SCHEDULE, n, jitter).unwrap());
                assert!(
                    (base * 0.8 - 1.0..=base * 1.2 + 1.0).contains(&d),
                    "{n} {jitter} {d}"
                );
            }
        }
    }

    #[test]
    fn retries_only_what_may_succeed_later() {
        for code in [500, 502, 503, 504, 408, 429] {
            assert!(Attempt::Status(code).retryable(), "{code}");
        }
        assert!(Attempt::NoAnswer.retryable());
        for code in [400, 401, 403, 404, 410, 422, 301] {
            assert!(!Attempt::Status(code).retryable(), "{code}");
        }
        assert!(Attempt::Status(204).succeeded());
        assert!(!Attempt::Status(302).succeeded());
    }

    /// Attack 4: the edge does not follow redirects, so a 3xx is the end of the delivery: not a
    /// success (nothing was delivered) and not worth retrying (it would answer the same).
    #[test]
    fn a_redirect_is_a_final_failure() {
        for code in 300..400 {
            assert!(Attempt::Status(code).redirected(), "{code}");
            assert!(!Attempt::Status(code).succeeded(), "{code}");
            assert!(!Attempt::Status(code).retryable(), "{code}");
        }
        for outcome in [
            Attempt::Status(200),
            Attempt::Status(400),
            Attempt::NoAnswer,
        ] {
            assert!(!outcome.redirected(), "{outcome:?}");
        }
    }

    #[test]
    fn schedules_parse_from_text() {
        assert_eq!(parse_schedule("0, 1,2"), Some(vec![0, 1, 2]));
        assert_eq!(parse_schedule("0,x"), None);
        assert_eq!(parse_schedule(""), None);
    }
}
