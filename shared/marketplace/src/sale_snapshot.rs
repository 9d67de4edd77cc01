//! What a buyer pays for, fixed when it reserves: the lead's email and
//! contact and firmographic fields (never its notes) as they were then. The
//! buyer's copy is made from this snapshot, so a seller (or an
//! asynchronous writer: HubSpot sync, the public API, an import) changing
//! the lead during the sale cannot swap what is delivered.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! It carries no index attributes: browsing, which queries the listed
//! partitions, never reads it, and only the buyer's copy shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use pc_leads::lead::{Contact, LeadRecord};
use pc_platform::store::{Item, Store, StoreError, Write, to_item};
use pc_platform::time::serde_millis;

pub use crate::keys::snapshot_key;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleSnapshot {
    pub lead_id: String,
    pub reservation_id: String,
    pub email: String,
    pub contact: Contact,
    #[serde(with = "serde_millis")]
    pub taken_at: DateTime<Utc>,
}

impl SaleSnapshot {
    pub fn of(lead: &LeadRecord, reservation_id: &str, now: DateTime<Utc>) -> Self {
        Self {
            lead_id: lead.id.clone(),
            reservation_id: reservation_id.to_owned(),
            email: lead.email.clone(),
            contact: lead.contact.clone(),
            taken_at: now,
        }
    }

    /// Its item, new (a reservation id is never reused).
    pub fn write(&self) -> Result<Write, StoreError> {
        let mut item: Item = to_item(self)?;
        let key = snapshot_key(&self.lead_id, &self.reservation_id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "marketplace_sale_snapshot".into());
        Ok(Write::put_new(item))
    }
}

pub async fn get_snapshot(
    store: &dyn Store,
    lead_id: &str,
    reservation_id: &str,
) -> Result<Option<SaleSnapshot>, StoreError> {
    store.get_as(&snapshot_key(lead_id, reservation_id)).await
}
