//! Every key the activities capability writes, and the items under them.
//! Store modules build these keys only through the functions here.
//!
//! ## Activities ([`crate::activities_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | activity | `ACTIVITIES#<partnerId>` | `ACTIVITY#<eventId>` | `ACTIVITIES#<partnerId>` / `<occurredAt>#<eventId>` | `ACTIVITIES#<partnerId>#UNREAD` / `<occurredAt>#<eventId>` (while unread) |
//! | unread counter | `ACTIVITIES#<partnerId>` | `UNREAD` | | |

use pc_platform::store::Key;

/// A partner's activities partition (also its feed's gsi1 partition).
pub fn activities_partition(partner_id: &str) -> String {
    format!("ACTIVITIES#{partner_id}")
}

/// The gsi2 partition of a partner's unread activities.
pub fn unread_partition(partner_id: &str) -> String {
    format!("ACTIVITIES#{partner_id}#UNREAD")
}

pub fn activity_key(partner_id: &str, event_id: &str) -> Key {
    Key::new(
        activities_partition(partner_id),
        format!("ACTIVITY#{event_id}"),
    )
}

/// A partner's unread counter.
pub fn counter_key(partner_id: &str) -> Key {
    Key::new(activities_partition(partner_id), "UNREAD")
}
