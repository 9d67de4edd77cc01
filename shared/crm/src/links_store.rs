//! The link between a lead and its HubSpot contact and deal, kept both
//! ways: the lead's sync record (which objects, what both sides agreed on
//! at the last sync, the latest HubSpot change applied per property) and
//! one item per HubSpot object naming its lead, so a webhook event finds
//! its lead in one read and a redelivered sync page finds the deal it
//! already created.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The sync record is written conditionally on its `rev`, so a sync page
//! and a webhook event changing one lead never lose each other's record.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_platform::store::{
    Condition, Item, Key, MAX_BATCH_GET, Store, StoreError, Write, from_item, to_item,
};

use crate::hubspot_fields::{FieldValues, ObjectKind};
pub use crate::keys::{object_key, record_key};

/// A lead's sync record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRecord {
    pub lead_id: String,
    pub partner_id: String,
    pub portal_id: String,
    pub contact_id: Option<String>,
    pub deal_id: Option<String>,
    /// When a sync first asked HubSpot to create the deal (millis): a
    /// retried page looks for a deal carrying the lead's id before
    /// creating one.
    pub deal_requested_at: Option<i64>,
    /// The field values both sides held after the last sync (the base a
    /// conflict is judged against).
    #[serde(default)]
    pub synced: FieldValues,
    /// Millis of the last sync that brought both sides level.
    pub last_synced_at: Option<i64>,
    /// `occurredAt` of the latest HubSpot change applied, by
    /// `<contact|deal>.<property>`: an older event never overwrites it.
    #[serde(default)]
    pub applied_at: BTreeMap<String, i64>,
    /// The open conflict of each field, by field: the field is left alone
    /// on both sides until it is resolved.
    #[serde(default)]
    pub open_conflicts: BTreeMap<String, String>,
    /// The deal is associated with the contact in HubSpot.
    #[serde(default)]
    pub associated: bool,
    /// The lead came from the partner's HubSpot inventory (a deal in a
    /// listed stage): HubSpot is its source, so `hubspot-sync` never sends
    /// it back (that would move the deal out of its stage).
    #[serde(default)]
    pub inventory: bool,
    /// Bumped on every write; writes are conditional on the one read.
    pub rev: i64,
}

impl SyncRecord {
    pub fn new(lead_id: &str, partner_id: &str, portal_id: &str) -> Self {
        Self {
            lead_id: lead_id.to_owned(),
            partner_id: partner_id.to_owned(),
            portal_id: portal_id.to_owned(),
            ..Self::default()
        }
    }

    pub fn object_id(&self, kind: ObjectKind) -> Option<&str> {
        match kind {
            ObjectKind::Contact => self.contact_id.as_deref(),
            ObjectKind::Deal => self.deal_id.as_deref(),
        }
    }
}

/// The write replacing `before` (`None`: there was no record) with
/// `after`, whose `rev` it sets.
pub fn record_write(before: Option<&SyncRecord>, after: &SyncRecord) -> Result<Write, StoreError> {
    let after = as_written(before, after);
    let key = record_key(&after.lead_id);
    let mut item = to_item(&after)?;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_sync_record".into());
    let condition = match before {
        Some(b) => Condition::equals("rev", b.rev),
        None => Condition::NotExists,
    };
    Ok(Write::Put {
        item,
        condition: Some(condition),
    })
}

/// `after` as [`record_write`] stores it: with the next `rev`.
pub fn as_written(before: Option<&SyncRecord>, after: &SyncRecord) -> SyncRecord {
    let mut after = after.clone();
    after.rev = before.map_or(1, |b| b.rev + 1);
    after
}

/// The writes that store `after` over `before`: the record and, in the
/// same transaction, the object → lead link of every object id it names
/// that `before` did not, so no save of the record can leave a link out.
pub fn record_and_link_writes(
    before: Option<&SyncRecord>,
    after: &SyncRecord,
) -> Result<Vec<Write>, StoreError> {
    let mut writes = vec![record_write(before, after)?];
    for kind in [ObjectKind::Contact, ObjectKind::Deal] {
        let known = before.and_then(|b| b.object_id(kind));
        if let Some(id) = after.object_id(kind)
            && known != Some(id)
        {
            writes.push(object_write(after, kind, id));
        }
    }
    Ok(writes)
}

/// The write naming `lead_id` as the lead of a HubSpot object.
pub fn object_write(record: &SyncRecord, kind: ObjectKind, object_id: &str) -> Write {
    let key = object_key(&record.portal_id, kind, object_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_object_link".into());
    item.insert("leadId".into(), record.lead_id.clone().into());
    item.insert("partnerId".into(), record.partner_id.clone().into());
    Write::put(item)
}

pub async fn get_record(
    store: &dyn Store,
    lead_id: &str,
) -> Result<Option<SyncRecord>, StoreError> {
    store.get_as(&record_key(lead_id)).await
}

/// The sync records of `lead_ids` (those that have one), by lead id.
pub async fn get_records(
    store: &dyn Store,
    lead_ids: &[String],
) -> Result<BTreeMap<String, SyncRecord>, StoreError> {
    let mut records = BTreeMap::new();
    for chunk in lead_ids.chunks(MAX_BATCH_GET) {
        let keys: Vec<Key> = chunk.iter().map(|id| record_key(id)).collect();
        for item in store.batch_get(&keys).await? {
            let record: SyncRecord = from_item(item)?;
            records.insert(record.lead_id.clone(), record);
        }
    }
    Ok(records)
}

/// The lead (id, partner id) linked to a HubSpot object.
pub async fn lead_of_object(
    store: &dyn Store,
    portal_id: &str,
    kind: ObjectKind,
    object_id: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let Some(item) = store.get(&object_key(portal_id, kind, object_id)).await? else {
        return Ok(None);
    };
    let text = |attr: &str| item.get(attr).and_then(Value::as_str).map(str::to_owned);
    Ok(text("leadId").zip(text("partnerId")))
}
