//! Money: stored and computed as integer cents, never as floating point.
//! [`Cents`] is the one place an amount is shown — as text for people
//! (`$125.50`), as HubSpot's amount property (`125.50`), or as the API's
//! dollars number (`125.5`, written from its decimal text so no amount is
//! ever rounded through `f64`).

use std::fmt;

use serde_json::Number;

/// An amount of money in cents (US dollars).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

impl Cents {
    /// `125.50`: two decimals, no currency sign (HubSpot's `amount`).
    pub fn decimal_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// `$1,250.00`: thousands grouped, for emails.
    pub fn grouped(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::new();
        for (n, digit) in whole.chars().enumerate() {
            if n > 0 && (whole.len() - n).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{sign}${grouped}.{:02}", abs % 100)
    }

    /// The API's dollars number (`12550` → `125.5`), parsed from the
    /// decimal text.
    pub fn dollars(self) -> Number {
        // Digits with one decimal point always parse; the fallback keeps
        // whole dollars.
        serde_json::from_str(&self.decimal_text()).unwrap_or_else(|_| Number::from(self.0 / 100))
    }
}

/// `$1250.00`, `-$3.07`: for messages and invoice lines.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.decimal_text();
        match text.strip_prefix('-') {
            Some(abs) => write!(f, "-${abs}"),
            None => write!(f, "${text}"),
        }
    }
}

impl From<i64> for Cents {
    fn from(cents: i64) -> Self {
        Self(cents)
    }
}

/// Hundredths (basis points, cents) as a number with two decimals at most
/// (`1250` → `12.5`), written from the decimal text like [`Cents::dollars`].
pub fn hundredths(value: i64) -> Number {
    Cents(value).dollars()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_with_two_decimals() {
        assert_eq!(Cents(12_550).to_string(), "$125.50");
        assert_eq!(Cents(7).to_string(), "$0.07");
        assert_eq!(Cents(-307).to_string(), "-$3.07");
        assert_eq!(Cents(125_000).to_string(), "$1250.00");
        assert_eq!(Cents(125_000).grouped(), "$1,250.00");
        assert_eq!(Cents(123_456_789).grouped(), "$1,234,567.89");
        assert_eq!(Cents(12_550).decimal_text(), "125.50");
        assert_eq!(Cents(-1_999).decimal_text(), "-19.99");
    }

    #[test]
    fn dollars_numbers_are_exact() {
        assert_eq!(Cents(12_550).dollars().to_string(), "125.5");
        assert_eq!(Cents(7).dollars().to_string(), "0.07");
        assert_eq!(Cents(-1_999).dollars().to_string(), "-19.99");
        assert_eq!(Cents(0).dollars().to_string(), "0.0");
        assert_eq!(
            Cents(123_456_789_012).dollars().to_string(),
            "1234567890.12"
        );
        assert_eq!(hundredths(1_250).to_string(), "12.5");
    }
}
