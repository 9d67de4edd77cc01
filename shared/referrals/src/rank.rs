//! A referral partner's rank, a function of its converted referrals (the
//! leads it referred that were won with a deal amount). It is never
//! stored: it is computed from the conversion counter as read, so it
//! cannot disagree with it, however many conversions land at once.
//!
//! | converted referrals | rank |
//! |---|---|
//! | 0-4 | `bronze` |
//! | 5-19 | `silver` |
//! | 20-49 | `gold` |
//! | 50 and more | `platinum` |

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    Bronze,
    Silver,
    Gold,
    Platinum,
}

impl Rank {
    pub fn of(converted_referrals: i64) -> Self {
        match converted_referrals {
            i64::MIN..=4 => Rank::Bronze,
            5..=19 => Rank::Silver,
            20..=49 => Rank::Gold,
            _ => Rank::Platinum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_thresholds() {
        let at = |n| Rank::of(n);
        assert_eq!((at(0), at(4)), (Rank::Bronze, Rank::Bronze));
        assert_eq!((at(5), at(19)), (Rank::Silver, Rank::Silver));
        assert_eq!((at(20), at(49)), (Rank::Gold, Rank::Gold));
        assert_eq!((at(50), at(5_000)), (Rank::Platinum, Rank::Platinum));
    }
}
