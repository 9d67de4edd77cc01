//! Sync conflicts: a field changed on both sides since the last sync. A
//! conflict stays open, and the field is left alone on both sides, until
//! someone resolves it.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! A partner's conflicts are one gsi1 partition, every partner's (staff)
//! one gsi2 partition, both newest first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_platform::store::{Condition, Store, StoreError, Write, to_item};
use pc_platform::time::timestamp;

pub use crate::keys::conflict_key;
use crate::keys::{ALL_CONFLICTS_PARTITION, partner_conflicts_partition};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictStatus {
    Open,
    Resolved,
}

/// One field changed on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConflictRecord {
    pub id: String,
    pub partner_id: String,
    pub lead_id: String,
    /// The lead field (`dealStatus`, `firstName`...).
    pub field: String,
    /// The lead's value, in the lead's terms (`""`: empty).
    pub pc_value: String,
    /// HubSpot's value, in the lead's terms.
    pub hubspot_value: String,
    /// What both sides held at the last sync.
    pub base_value: String,
    pub status: ConflictStatus,
    /// `pc`, `hubspot` or `merge`, once resolved.
    pub resolution: Option<String>,
    /// The value both sides hold after the resolution.
    pub resolved_value: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl ConflictRecord {
    /// A new open conflict on `field` of the lead `record` syncs: `pc` is
    /// the lead's value, `hubspot` HubSpot's, `base` what both held last.
    pub fn open(
        id: String,
        record: &crate::links_store::SyncRecord,
        field: &str,
        pc: String,
        hubspot: String,
        base: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            partner_id: record.partner_id.clone(),
            lead_id: record.lead_id.clone(),
            field: field.to_owned(),
            pc_value: pc,
            hubspot_value: hubspot,
            base_value: base,
            status: ConflictStatus::Open,
            resolution: None,
            resolved_value: None,
            created_at: now,
            resolved_at: None,
        }
    }
}

/// The write storing `conflict`: new (`create`) or replacing the open one.
pub fn conflict_write(conflict: &ConflictRecord, create: bool) -> Result<Write, StoreError> {
    let key = conflict_key(&conflict.id);
    let sort = format!("{}#{}", timestamp(conflict.created_at), conflict.id);
    let mut item = to_item(conflict)?;
    for (name, value) in [
        ("pk", key.pk),
        ("sk", key.sk),
        ("entity", "sync_conflict".to_owned()),
        ("gsi1pk", partner_conflicts_partition(&conflict.partner_id)),
        ("gsi1sk", sort.clone()),
        ("gsi2pk", ALL_CONFLICTS_PARTITION.to_owned()),
        ("gsi2sk", sort),
    ] {
        item.insert(name.into(), value.into());
    }
    let condition = if create {
        Condition::NotExists
    } else {
        Condition::equals("status", "open")
    };
    Ok(Write::Put {
        item,
        condition: Some(condition),
    })
}

pub async fn get_conflict(
    store: &dyn Store,
    id: &str,
) -> Result<Option<ConflictRecord>, StoreError> {
    store.get_as(&conflict_key(id)).await
}
