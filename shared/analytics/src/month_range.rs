//! The `from`/`to` month range of an analytics request: `YYYY-MM` each,
//! `to` not before `from`, at most [`MAX_MONTHS`] months. Without `to`
//! the range ends with the current month; without `from` it starts
//! [`DEFAULT_MONTHS`] months before its end.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};

use pc_platform::failure::{Failure, FieldError};

/// The longest range one request reads.
pub const MAX_MONTHS: u32 = 24;
/// The range's length when `from` is left out.
pub const DEFAULT_MONTHS: u32 = 12;

/// A month as a count of months since year 0 (for arithmetic) that prints as `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month(i32);

impl Month {
    pub fn of(at: DateTime<Utc>) -> Self {
        Month(at.year() * 12 + at.month0() as i32)
    }

    /// `YYYY-MM`, strictly (four-digit year, month 01 to 12).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<i32> {
            let part = &text[range];
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let (year, month) = (digits(0..4)?, digits(5..7)?);
        (1..=12)
            .contains(&month)
            .then(|| Month(year * 12 + month - 1))
    }

    pub fn plus(self, months: i32) -> Self {
        Month(self.0 + months)
    }

    pub fn text(self) -> String {
        format!(
            "{:04}-{:02}",
            self.0.div_euclid(12),
            self.0.rem_euclid(12) + 1
        )
    }
}

/// An inclusive range of months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthRange {
    pub from: Month,
    pub to: Month,
}

impl MonthRange {
    /// The range of a request's `from` and `to`, or a 400 naming the bad field.
    pub fn from_query(
        params: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<Self, Failure> {
        let mut errors = Vec::new();
        let mut read = |field: &str| match params.get(field) {
            None => None,
            Some(text) => {
                let month = Month::parse(text);
                if month.is_none() {
                    errors.push(FieldError::new(field, "must be a month as YYYY-MM"));
                }
                month
            }
        };
        let (from, to) = (read("from"), read("to"));
        if !errors.is_empty() {
            return Err(Failure::Invalid(errors));
        }
        let to = to.unwrap_or_else(|| Month::of(now));
        let from = from.unwrap_or_else(|| to.plus(1 - DEFAULT_MONTHS as i32));
        if to < from {
            return Err(Failure::invalid_field("to", "must not be before from"));
        }
        let range = MonthRange { from, to };
        if range.len() > MAX_MONTHS as usize {
            return Err(Failure::invalid_field(
                "to",
                format!("the range spans more than {MAX_MONTHS} months"),
            ));
        }
        Ok(range)
    }

    pub fn len(&self) -> usize {
        (self.to.0 - self.from.0 + 1) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.to < self.from
    }

    /// Every month of the range, in order, as `YYYY-MM`.
    pub fn months(&self) -> Vec<String> {
        (self.from.0..=self.to.0).map(|m| Month(m).text()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap()
    }

    fn field_of(err: Failure) -> Vec<String> {
        pc_http::ApiError::from(err)
            .details
            .into_iter()
            .map(|d| d.field)
            .collect()
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(
            Month::parse("2026-01").map(Month::text).as_deref(),
            Some("2026-01")
        );
        for bad in [
            "2026-1", "2026-13", "2026-00", "26-01-01", "2026/01", "+026-01", "abcd-ef",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn defaults_end_this_month_and_span_a_year() {
        let range = MonthRange::from_query(&params(&[]), now()).unwrap();
        assert_eq!(range.months().first().unwrap(), "2025-04");
        assert_eq!(range.months().last().unwrap(), "2026-03");
        assert_eq!(range.len(), 12);
    }

    #[test]
    fn a_range_crosses_years_and_may_be_one_month() {
        let range =
            MonthRange::from_query(&params(&[("from", "2024-11"), ("to", "2025-02")]), now())
                .unwrap();
        assert_eq!(range.months(), ["2024-11", "2024-12", "2025-01", "2025-02"]);
        let one = MonthRange::from_query(&params(&[("from", "2025-02"), ("to", "2025-02")]), now())
            .unwrap();
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn bad_ranges_name_the_field() {
        let bad = |pairs: &[(&str, &str)]| {
            field_of(MonthRange::from_query(&params(pairs), now()).unwrap_err())
        };
        assert_eq!(bad(&[("from", "2025-1")]), ["from"]);
        assert_eq!(bad(&[("from", "x"), ("to", "y")]), ["from", "to"]);
        assert_eq!(bad(&[("from", "2025-05"), ("to", "2025-04")]), ["to"]);
        assert_eq!(bad(&[("from", "2023-01"), ("to", "2025-01")]), ["to"]);
        // 24 months exactly is allowed.
        assert!(
            MonthRange::from_query(&params(&[("from", "2023-02"), ("to", "2025-01")]), now())
                .is_ok()
        );
    }
}
