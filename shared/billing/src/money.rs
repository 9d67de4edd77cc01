//! Money at the API's edge: stored and computed as integer cents, shown as
//! dollars with two decimals (`12550` → `125.5`), and read from dollars
//! exactly, from the number's decimal text, never through floating point.

use serde_json::Number;

use pc_accounts::billing_config::number_to_hundredths;

/// Cents as a dollars number, written from its decimal text.
pub fn dollars(cents: i64) -> Number {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
    // A decimal text of digits always parses; the fallback keeps whole dollars.
    serde_json::from_str(&text).unwrap_or_else(|_| Number::from(cents / 100))
}

/// Dollars with at most two decimals into cents, exactly; `None` for a
/// negative number, an exponent, more decimals, or an absurd size.
pub fn cents_of(dollars: &Number) -> Option<i64> {
    number_to_hundredths(dollars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn cents_show_as_dollars() {
        assert_eq!(dollars(12_550).to_string(), "125.5");
        assert_eq!(dollars(7).to_string(), "0.07");
        assert_eq!(dollars(-1_999).to_string(), "-19.99");
        assert_eq!(dollars(0).to_string(), "0.0");
        assert_eq!(dollars(123_456_789_012).to_string(), "1234567890.12");
    }

    #[test]
    fn dollars_read_exactly() {
        assert_eq!(cents_of(&n("125.5")), Some(12_550));
        assert_eq!(cents_of(&n("0.1")), Some(10));
        assert_eq!(cents_of(&n("19.99")), Some(1_999));
        assert_eq!(cents_of(&n("1.005")), None);
        assert_eq!(cents_of(&n("-3")), None);
        assert_eq!(cents_of(&n("1e3")), Some(100_000));
        assert_eq!(cents_of(&n("1e30")), None);
    }

    #[test]
    fn every_cent_round_trips() {
        for cents in (0..100_000).step_by(7).chain([i64::from(i32::MAX)]) {
            assert_eq!(cents_of(&dollars(cents)), Some(cents), "{cents}");
        }
    }
}
