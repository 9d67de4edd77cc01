//! Every key the fake HubSpot writes (local only), and the items under
//! them; its modules build these keys only through the functions here.
//!
//! ## Portals (`portal`)
//!
//! | item | pk | sk |
//! |---|---|---|
//! | portal (counters, rate limit) | `HUBSPOT#<portalId>` | `PORTAL` |
//! | requests of one rate window | `HUBSPOT#<portalId>` | `RATE#<window>` |
//! | searches of one second | `HUBSPOT#<portalId>` | `SEARCHRATE#<second>` |
//!
//! ## Records (`records`)
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | contact / deal | `HUBSPOT#<portalId>` | `OBJECT#<type>#<id>` | `HUBSPOTCHANGES#<portalId>#<type>` / `<modified ms>#<id>` |
//! | contact email | `HUBSPOT#<portalId>` | `EMAIL#<email>` | |
//! | pipeline | `HUBSPOT#<portalId>` | `PIPELINE#<id>` | |
//! | association | `HUBSPOT#<portalId>` | `ASSOC#<dealId>#<contactId>` | |
//!
//! ## Webhook batches (`webhooks`)
//!
//! | item | pk | sk |
//! |---|---|---|
//! | sent batch | `HUBSPOT#<portalId>` | `WEBHOOK#<first eventId, 15 digits>` |
//!
//! ## OAuth (`oauth`)
//!
//! | item | pk | sk |
//! |---|---|---|
//! | access or refresh token (digest) | `HUBSPOTTOKEN#<sha256>` | `TOKEN` |
//! | authorization code (digest) | `HUBSPOTCODE#<sha256>` | `CODE` |

use crate::crm::ObjectType;
use crate::store::Key;

/// A portal's partition: the portal item and everything in the portal.
pub(super) fn portal_pk(portal_id: &str) -> String {
    format!("HUBSPOT#{portal_id}")
}

pub(super) fn portal_key(portal_id: &str) -> Key {
    Key::new(portal_pk(portal_id), "PORTAL")
}

/// The requests counted in one burst window.
pub(super) fn rate_window_key(portal_id: &str, window: i64) -> Key {
    Key::new(portal_pk(portal_id), format!("RATE#{window}"))
}

/// The searches counted in one second.
pub(super) fn search_rate_key(portal_id: &str, second: i64) -> Key {
    Key::new(portal_pk(portal_id), format!("SEARCHRATE#{second}"))
}

/// The sort keys of a portal's objects of one type begin with it.
pub(super) fn objects_prefix(object_type: ObjectType) -> String {
    format!("OBJECT#{}#", object_type.as_str())
}

pub(super) fn object_key(portal_id: &str, object_type: ObjectType, id: &str) -> Key {
    Key::new(
        portal_pk(portal_id),
        format!("{}{id}", objects_prefix(object_type)),
    )
}

/// The claim of a contact's email (trimmed, lowercased).
pub(super) fn email_key(portal_id: &str, email: &str) -> Key {
    Key::new(
        portal_pk(portal_id),
        format!("EMAIL#{}", email.trim().to_lowercase()),
    )
}

/// The gsi1 partition of a portal's changes of one type.
pub(super) fn changes_partition(portal_id: &str, object_type: ObjectType) -> String {
    format!("HUBSPOTCHANGES#{portal_id}#{}", object_type.as_str())
}

/// The sort keys of a portal's associations (of one deal, when given)
/// begin with it.
pub(super) fn associations_prefix(deal_id: Option<&str>) -> String {
    match deal_id {
        Some(deal) => format!("ASSOC#{deal}#"),
        None => "ASSOC#".into(),
    }
}

/// The sort key of one deal↔contact association.
pub(super) fn association_sk(deal_id: &str, contact_id: &str) -> String {
    format!("{}{contact_id}", associations_prefix(Some(deal_id)))
}

/// The sort keys of a portal's pipelines begin with it.
pub(super) const PIPELINE_PREFIX: &str = "PIPELINE#";

pub(super) fn pipeline_sk(pipeline_id: &str) -> String {
    format!("{PIPELINE_PREFIX}{pipeline_id}")
}

/// The sort keys of a portal's sent webhook batches begin with it.
pub(super) const WEBHOOK_PREFIX: &str = "WEBHOOK#";

pub(super) fn batch_key(portal_id: &str, batch_id: &str) -> Key {
    Key::new(portal_pk(portal_id), format!("{WEBHOOK_PREFIX}{batch_id}"))
}

/// An access or refresh token, by its SHA-256 digest (hex).
pub(super) fn token_key(digest: &str) -> Key {
    Key::new(format!("HUBSPOTTOKEN#{digest}"), "TOKEN")
}

/// An authorization code, by its SHA-256 digest (hex).
pub(super) fn code_key(digest: &str) -> Key {
    Key::new(format!("HUBSPOTCODE#{digest}"), "CODE")
}
