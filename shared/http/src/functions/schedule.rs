//! When a schedule fires: its cadence in its own time zone, as an
//! EventBridge Scheduler expression and as the next firing after a given
//! instant (daylight saving never moves it).

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

/// When a schedule fires, in its own time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    EveryMinutes(u32),
    Daily { hour: u32, minute: u32 },
    Monthly { day: u32, hour: u32, minute: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub cadence: Cadence,
    /// IANA zone, e.g. `America/Los_Angeles`; daylight saving never moves it.
    pub timezone: &'static str,
}

impl Schedule {
    /// The EventBridge Scheduler expression (`cron(0 9 * * ? *)`, `rate(5 minutes)`).
    pub fn expression(&self) -> String {
        match self.cadence {
            // EventBridge wants the singular unit for one.
            Cadence::EveryMinutes(1) => "rate(1 minute)".to_owned(),
            Cadence::EveryMinutes(m) => format!("rate({m} minutes)"),
            Cadence::Daily { hour, minute } => format!("cron({minute} {hour} * * ? *)"),
            Cadence::Monthly { day, hour, minute } => format!("cron({minute} {hour} {day} * ? *)"),
        }
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let tz: chrono_tz::Tz = self.timezone.parse().unwrap_or(chrono_tz::UTC);
        match self.cadence {
            Cadence::EveryMinutes(m) => {
                let step = i64::from(m.max(1)) * 60;
                let next = (after.timestamp() / step + 1) * step;
                DateTime::from_timestamp(next, 0).unwrap_or(after)
            }
            Cadence::Daily { hour, minute } => {
                let local = after.with_timezone(&tz).date_naive();
                (0..3)
                    .filter_map(|d| local.checked_add_signed(Duration::days(d)))
                    .filter_map(|date| date.and_hms_opt(hour, minute, 0))
                    .filter_map(|naive| tz.from_local_datetime(&naive).earliest())
                    .map(|t| t.with_timezone(&Utc))
                    .find(|t| *t > after)
                    .unwrap_or(after + Duration::days(1))
            }
            Cadence::Monthly { day, hour, minute } => {
                let local = after.with_timezone(&tz);
                let (mut year, mut month) = (local.year(), local.month());
                for _ in 0..3 {
                    let candidate = chrono::NaiveDate::from_ymd_opt(year, month, day)
                        .and_then(|d| d.and_hms_opt(hour, minute, 0))
                        .and_then(|n| tz.from_local_datetime(&n).earliest())
                        .map(|t| t.with_timezone(&Utc));
                    if let Some(t) = candidate.filter(|t| *t > after) {
                        return t;
                    }
                    (year, month) = if month == 12 {
                        (year + 1, 1)
                    } else {
                        (year, month + 1)
                    };
                }
                after + Duration::days(31)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn nine_in_los_angeles_in_winter_and_summer() {
        let s = Schedule {
            cadence: Cadence::Daily { hour: 9, minute: 0 },
            timezone: "America/Los_Angeles",
        };
        assert_eq!(s.expression(), "cron(0 9 * * ? *)");
        // PST is UTC-8, PDT is UTC-7.
        assert_eq!(
            s.next_after(at("2024-01-15T12:00:00Z")),
            at("2024-01-15T17:00:00Z")
        );
        assert_eq!(
            s.next_after(at("2024-01-15T17:00:00Z")),
            at("2024-01-16T17:00:00Z")
        );
        assert_eq!(
            s.next_after(at("2024-07-15T12:00:00Z")),
            at("2024-07-15T16:00:00Z")
        );
        // Across the spring change (2024-03-10).
        assert_eq!(
            s.next_after(at("2024-03-09T18:00:00Z")),
            at("2024-03-10T16:00:00Z")
        );
    }

    #[test]
    fn monthly_and_rates() {
        let m = Schedule {
            cadence: Cadence::Monthly {
                day: 1,
                hour: 0,
                minute: 0,
            },
            timezone: "UTC",
        };
        assert_eq!(m.expression(), "cron(0 0 1 * ? *)");
        assert_eq!(
            m.next_after(at("2024-12-15T00:00:00Z")),
            at("2025-01-01T00:00:00Z")
        );
        assert_eq!(
            m.next_after(at("2025-01-01T00:00:00Z")),
            at("2025-02-01T00:00:00Z")
        );
        let r = Schedule {
            cadence: Cadence::EveryMinutes(15),
            timezone: "UTC",
        };
        assert_eq!(r.expression(), "rate(15 minutes)");
        let every_minute = Schedule {
            cadence: Cadence::EveryMinutes(1),
            timezone: "UTC",
        };
        assert_eq!(every_minute.expression(), "rate(1 minute)");
        assert_eq!(
            r.next_after(at("2024-01-01T00:07:00Z")),
            at("2024-01-01T00:15:00Z")
        );
    }
}
