//! Money at the API's edge: stored and computed as integer cents, shown as
//! dollars with two decimals (`12550` → `125.5`), and read from dollars
//! exactly, from the number's decimal text, never through floating point.

use serde_json::Number;

use pc_platform::money::Cents;

use pc_accounts::billing_config::number_to_hundredths;

/// Cents as a dollars number, written from its decimal text.
pub fn dollars(cents: i64) -> Number {
    Cents(cents).dollars()
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
