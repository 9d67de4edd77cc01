//! Every key the referral portal writes, and the items under them. Store modules
//! build these keys only through the functions here.
//!
//! ## Payout profiles ([`crate::profile_store`]; in the referrer's partition, `pc_leads::keys::referrer_partition`)
//!
//! | item | pk | sk |
//! |---|---|---|
//! | payout profile | `REFERRER#<pid>` | `PROFILE` |

use pc_platform::store::Key;

/// A referrer's payout profile, beside its commissions.
pub fn profile_key(partner_id: &str) -> Key {
    Key::new(pc_leads::keys::referrer_partition(partner_id), "PROFILE")
}
