//! When a failed delivery is tried again: exponential backoff from 30
//! seconds, doubling up to one hour between attempts, each wait drawn at
//! random between half and all of its step (jitter, so deliveries that
//! failed together do not come back together), for up to 24 hours after
//! the first attempt of the delivery (or of its redelivery); the last
//! retry falls at the 24-hour mark, and its failure gives up.

use chrono::{DateTime, Duration, Utc};

/// The first step of the backoff.
pub const FIRST_WAIT: Duration = Duration::seconds(30);
/// The longest step.
pub const MAX_WAIT: Duration = Duration::hours(1);
/// How long a delivery is retried after its first attempt.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// The step after `failures` failed attempts (1 after the first).
pub fn step(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    (FIRST_WAIT * 2i32.pow(doublings)).min(MAX_WAIT)
}

/// The wait after `failures` failed attempts, `jitter` in `[0, 1)`
/// choosing where it falls between half the step and the whole step.
pub fn wait(failures: u32, jitter: f64) -> Duration {
    let step = step(failures).num_milliseconds();
    let half = step / 2;
    Duration::milliseconds(half + ((step - half) as f64 * jitter.clamp(0.0, 1.0)) as i64)
}

/// What follows a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// The next attempt after a failure at `now`, `failures` into a window that
/// opened at `window_start`.
pub fn after_failure(
    window_start: DateTime<Utc>,
    now: DateTime<Utc>,
    failures: u32,
    jitter: f64,
) -> AfterFailure {
    let deadline = window_start + GIVE_UP_AFTER;
    if now >= deadline {
        return AfterFailure::GiveUp;
    }
    AfterFailure::RetryAt((now + wait(failures, jitter)).min(deadline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_double_from_thirty_seconds_to_an_hour() {
        let steps: Vec<i64> = (1..=9).map(|n| step(n).num_seconds()).collect();
        assert_eq!(steps, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(step(u32::MAX), MAX_WAIT);
    }

    #[test]
    fn jitter_keeps_each_wait_between_half_and_all_of_its_step() {
        for n in 1..12 {
            let (low, high) = (wait(n, 0.0), wait(n, 0.999_999));
            assert_eq!(low, step(n) / 2);
            assert!(high <= step(n) && high > step(n) * 9 / 10, "{n}");
        }
    }

    #[test]
    fn retries_stop_at_twenty_four_hours_after_the_first_attempt() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let (mut now, mut failures, mut attempts) = (start, 1, 1);
        while let AfterFailure::RetryAt(at) = after_failure(start, now, failures, 0.5) {
            assert!(at > now && at <= start + GIVE_UP_AFTER);
            now = at;
            failures += 1;
            attempts += 1;
        }
        assert_eq!(now, start + GIVE_UP_AFTER, "the last retry is at the mark");
        assert!((25..=40).contains(&attempts), "{attempts} attempts");
    }
}
