//! Every key the HubSpot capability writes, and the items under them.
//! Store modules build these keys only through the functions here.
//!
//! ## The HubSpot connection ([`crate::connection`])
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | HubSpot connection | `PARTNER#<id>` | `HUBSPOT` | `HUBSPOT` / `<expiresAt>#<partnerId>` (the token refresh scan) |
//! | portal guard (one partner per portal) | `HUBSPOTPORTAL#<portalId>` | `PARTNER` | |
//!
//! ## Inventory settings ([`crate::inventory_settings`])
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | inventory settings | `PARTNER#<id>` | `HUBSPOTINVENTORY` | `HUBSPOTINVENTORY` / `<partnerId>` (while enabled) |
//!
//! ## Inventory deals ([`crate::inventory_import`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | inventory deal guard | `HUBSPOTINV#<portalId>#<dealId>` | `LEAD` |
//!
//! ## Links between leads and HubSpot objects ([`crate::links_store`]; a lead's sync record is in the lead's partition, `pc_leads::keys::lead_partition`)
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a lead's sync record | `LEAD#<leadId>` | `HUBSPOT` |
//! | an object's lead | `HUBSPOTOBJ#<portalId>#<contact\|deal>#<objectId>` | `LEAD` |
//!
//! ## Applied webhook events ([`crate::webhook_events`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | applied event (once per `eventId`) | `HUBSPOTEVENT#<portalId>#<eventId>` | `EVENT` |
//!
//! ## Stage mappings ([`crate::stage_mapping`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a partner's stage mapping | `HUBSPOTSYNC#<partnerId>` | `STAGEMAPPING` |
//!
//! ## Sync tasks ([`crate::sync_tasks`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | sync task | `SYNCTASK#<taskId>` | `TASK` |
//! | a page counted | `SYNCTASK#<taskId>` | `PAGE#<page, 5 digits>` |
//!
//! ## Sync conflicts ([`crate::conflicts_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | conflict | `SYNCCONFLICT#<id>` | `CONFLICT` | `PARTNER#<pid>#SYNCCONFLICTS` / `<createdAt>#<id>` | `SYNCCONFLICTS` / `<createdAt>#<id>` |
//!
//! ## OAuth state ([`crate::oauth_state`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | OAuth state nonce | `OAUTHSTATE#<nonce>` | `STATE` |

use pc_platform::store::{Key, partner_collection, partner_key};

use crate::hubspot_fields::ObjectKind;

/// A partner's HubSpot connection.
pub fn connection_key(partner_id: &str) -> Key {
    partner_key(partner_id, "HUBSPOT")
}

/// The gsi1 partition of every connection, sorted by expiry.
pub const EXPIRY_PARTITION: &str = "HUBSPOT";

/// The guard that keeps a portal to one partner.
pub fn portal_guard_key(portal_id: &str) -> Key {
    Key::new(format!("HUBSPOTPORTAL#{portal_id}"), "PARTNER")
}

/// A partner's inventory settings.
pub fn settings_key(partner_id: &str) -> Key {
    partner_key(partner_id, "HUBSPOTINVENTORY")
}

/// The gsi1 partition of the partners whose inventory import is enabled.
pub const ENABLED_PARTITION: &str = "HUBSPOTINVENTORY";

/// The guard saying an inventory deal's lead exists.
pub fn inventory_guard_key(portal_id: &str, deal_id: &str) -> Key {
    Key::new(format!("HUBSPOTINV#{portal_id}#{deal_id}"), "LEAD")
}

/// A lead's sync record, in the lead's partition.
pub fn record_key(lead_id: &str) -> Key {
    Key::new(pc_leads::keys::lead_partition(lead_id), "HUBSPOT")
}

/// The link from a HubSpot object to its lead.
pub fn object_key(portal_id: &str, kind: ObjectKind, object_id: &str) -> Key {
    Key::new(
        format!("HUBSPOTOBJ#{portal_id}#{}#{object_id}", kind.as_str()),
        "LEAD",
    )
}

/// The claim of an applied webhook event.
pub fn event_claim_key(portal_id: &str, event_id: &str) -> Key {
    Key::new(format!("HUBSPOTEVENT#{portal_id}#{event_id}"), "EVENT")
}

/// A partner's stage mapping.
pub fn mapping_key(partner_id: &str) -> Key {
    Key::new(format!("HUBSPOTSYNC#{partner_id}"), "STAGEMAPPING")
}

pub fn sync_task_key(id: &str) -> Key {
    Key::new(format!("SYNCTASK#{id}"), "TASK")
}

/// The marker of a sync task's page counted.
pub fn sync_page_key(task_id: &str, page: u64) -> Key {
    Key::new(format!("SYNCTASK#{task_id}"), format!("PAGE#{page:05}"))
}

pub fn conflict_key(id: &str) -> Key {
    Key::new(format!("SYNCCONFLICT#{id}"), "CONFLICT")
}

/// The gsi1 partition of a partner's sync conflicts.
pub fn partner_conflicts_partition(partner_id: &str) -> String {
    partner_collection(partner_id, "SYNCCONFLICTS")
}

/// The gsi2 partition of every sync conflict.
pub const ALL_CONFLICTS_PARTITION: &str = "SYNCCONFLICTS";

/// An OAuth state nonce, used once.
pub fn nonce_key(nonce: &str) -> Key {
    Key::new(format!("OAUTHSTATE#{nonce}"), "STATE")
}
