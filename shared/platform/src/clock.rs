//! The clock port: system time in production, a settable clock locally and
//! in tests so reminders, month ends and expiries can be reached.

use std::sync::RwLock;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The settable clock behind this port, where there is one (local only).
    fn settable(&self) -> Option<&SettableClock> {
        None
    }
}

/// Real time, for what crosses the wire to be checked against another
/// party's clock: webhook signature timestamps, made and verified. The
/// settable clock moves business time (expiries, reminders, month ends);
/// a receiver's five-minute check runs on its own real clock, so a
/// signature made at a moved time would be refused.
pub fn wire_now() -> DateTime<Utc> {
    Utc::now()
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// System time shifted by an offset that can be set and cleared. Time keeps
/// flowing after a set, so expiries measured in seconds still happen.
#[derive(Default)]
pub struct SettableClock {
    offset: RwLock<Duration>,
}

impl SettableClock {
    /// Makes `now()` answer `at` from this moment on (and then move on).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut offset) = self.offset.write() {
            *offset = at - Utc::now();
        }
    }

    /// Moves the clock by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut offset) = self.offset.write() {
            *offset += by;
        }
    }

    /// Back to system time.
    pub fn reset(&self) {
        if let Ok(mut offset) = self.offset.write() {
            *offset = Duration::zero();
        }
    }
}

impl Clock for SettableClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset.read().map(|o| *o).unwrap_or_default()
    }

    fn settable(&self) -> Option<&SettableClock> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_advance_and_reset() {
        let clock = SettableClock::default();
        let at = DateTime::parse_from_rfc3339("2024-01-15T17:00:00Z")
            .unwrap()
            .to_utc();
        clock.set(at);
        assert!((clock.now() - at).num_seconds().abs() < 2);
        clock.advance(Duration::days(1));
        assert!((clock.now() - at - Duration::days(1)).num_seconds().abs() < 2);
        clock.reset();
        assert!((clock.now() - Utc::now()).num_seconds().abs() < 2);
    }
}
