//! The partner writes other changes carry: a profile update conditional on
//! the partner's version, and the lead counter kept in the lead's own
//! transactions (creation and removal).

use pc_http::identity::partner_key;
use pc_platform::store::{Condition, Update, Write};

/// Holds while the partner's profile is still at `version`. The counters
/// the leads capability adds to the same item never move the version, so
/// they never make a profile change stale.
pub fn version_condition(version: i64) -> Condition {
    if version == 0 {
        Condition::Exists.and(Condition::Or(vec![
            Condition::missing("version"),
            Condition::equals("version", 0),
        ]))
    } else {
        Condition::equals("version", version)
    }
}

/// An update of the partner's own fields that never touches the counters
/// the leads capability keeps on the same item.
pub fn profile_update(partner_id: &str) -> Update {
    Update::new(partner_key(partner_id))
}

/// The write that counts a new lead on its partner (`totalLeads + 1`),
/// for the lead's creation transaction; it fails when the partner does
/// not exist, so no lead is created for an unknown partner.
pub fn count_new_lead(partner_id: &str) -> Write {
    Write::Update(
        Update::new(partner_key(partner_id))
            .add("totalLeads", 1)
            .when(Condition::Exists),
    )
}

/// The write that takes a removed lead off its partner's count
/// (`totalLeads - 1`), for the lead's removal transaction.
pub fn uncount_lead(partner_id: &str) -> Write {
    Write::Update(
        Update::new(partner_key(partner_id))
            .add("totalLeads", -1)
            .when(Condition::Exists),
    )
}
