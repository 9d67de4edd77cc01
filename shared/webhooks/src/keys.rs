//! Every key the webhooks capability writes, and the items under them. Store modules
//! build these keys only through the functions here.
//!
//! ## Deliveries ([`crate::deliveries_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | delivery | `WEBHOOKDELIVERY#<id>` | `DELIVERY` | `PARTNER#<pid>#WEBHOOKDELIVERIES` / `<createdAt>#<id>` | `WEBHOOKRETRIES` / `<nextAttemptAt>#<id>` (while pending) |

use pc_platform::store::{Key, partner_collection};

pub fn delivery_key(id: &str) -> Key {
    Key::new(format!("WEBHOOKDELIVERY#{id}"), "DELIVERY")
}

/// The gsi1 partition of a partner's deliveries.
pub fn partner_deliveries_partition(partner_id: &str) -> String {
    partner_collection(partner_id, "WEBHOOKDELIVERIES")
}

/// The gsi2 partition of pending deliveries by next attempt time.
pub const RETRIES_PARTITION: &str = "WEBHOOKRETRIES";
