//! Stored audit events, one item per event id.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Access patterns: one record's history (`entity` + `entityId`, gsi1); a
//! partner's events (gsi2); every event for staff (gsi3). Other filters
//! apply to the rows of that one query, at most `LIST_SCAN_LIMIT` newest.

use pc_http::audit::AuditEvent;
use pc_platform::store::{
    Condition, Index, Item, Query, Store, StoreError, Write, from_item, to_item,
};
use pc_platform::time::timestamp;

pub use crate::keys::event_key;
use crate::keys::{ALL_EVENTS, partner_events_partition, record_events_partition};
use crate::leads_store::LIST_SCAN_LIMIT;
use pc_platform::store::pages::query_all;

pub fn event_item(event: &AuditEvent) -> Result<Item, StoreError> {
    let mut item = to_item(event)?;
    let key = event_key(&event.id);
    let order = format!("{}#{}", timestamp(event.at), event.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "audit_event".into());
    // The event's own `entity` field names the changed record's kind; the
    // item's `entity` attribute is the item type, so keep the former apart.
    item.insert("recordEntity".into(), event.entity.clone().into());
    item.insert(
        "gsi1pk".into(),
        record_events_partition(&event.entity, &event.entity_id).into(),
    );
    item.insert("gsi1sk".into(), order.clone().into());
    if let Some(pid) = &event.partner_id {
        item.insert("gsi2pk".into(), partner_events_partition(pid).into());
        item.insert("gsi2sk".into(), order.clone().into());
    }
    item.insert("gsi3pk".into(), ALL_EVENTS.into());
    item.insert("gsi3sk".into(), order.into());
    Ok(item)
}

fn event_of(mut item: Item) -> Result<AuditEvent, StoreError> {
    if let Some(kind) = item.remove("recordEntity") {
        item.insert("entity".into(), kind);
    }
    from_item(item)
}

/// Stores the event, and `also` in the same transaction, unless its id is
/// stored already (then nothing is written); answers whether it was new.
pub async fn store_event_with(
    store: &dyn Store,
    event: &AuditEvent,
    also: Vec<Write>,
) -> Result<bool, StoreError> {
    let stored = if also.is_empty() {
        store
            .put(event_item(event)?, Some(Condition::NotExists))
            .await
    } else {
        let mut writes = vec![Write::put_new(event_item(event)?)];
        writes.extend(also);
        store.transact(writes).await
    };
    match stored {
        Ok(()) => Ok(true),
        Err(e) if e.is_condition_failure() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Where an event list reads from.
pub enum EventPartition<'a> {
    Record { entity: &'a str, entity_id: &'a str },
    Partner(&'a str),
    All,
}

/// Events of one partition, newest first.
pub async fn events_of(
    store: &dyn Store,
    partition: EventPartition<'_>,
) -> Result<Vec<AuditEvent>, StoreError> {
    let query = match partition {
        EventPartition::Record { entity, entity_id } => {
            Query::partition(Index::Gsi1, record_events_partition(entity, entity_id))
        }
        EventPartition::Partner(pid) => {
            Query::partition(Index::Gsi2, partner_events_partition(pid))
        }
        EventPartition::All => Query::partition(Index::Gsi3, ALL_EVENTS),
    };
    query_all(store, query.descending(), LIST_SCAN_LIMIT)
        .await?
        .into_iter()
        .map(event_of)
        .collect()
}
