//! `events`: the original audit trail, stored as this system's audit
//! events (the `events` worker's item) without anything the worker sends
//! on: no activities, no webhooks. Events of a merged duplicate lead move
//! to the lead it was merged into, so its history stays in one place.

use bson::{Bson, Document};
use chrono::{DateTime, Utc};
use serde_json::Value;

use pc_http::audit::AuditEvent;
use pc_leads::events_store::event_item;
use pc_leads::keys::event_key;
use pc_platform::store::Write;

use crate::fields::{created_at, id_of, reference, reference_field, text, time};
use crate::sink::Unit;

fn json(doc: &Document, field: &str) -> Value {
    match doc.get(field) {
        None | Some(Bson::Null) => Value::Null,
        Some(value) => value.clone().into_relaxed_extjson(),
    }
}

/// An audit event; `keeper_of` remaps a lead id to the lead it was merged into.
pub fn event(
    doc: &Document,
    mut keeper_of: impl FnMut(&str) -> Option<String>,
    now: DateTime<Utc>,
) -> Result<AuditEvent, String> {
    let id = id_of(doc).ok_or("no usable `_id`")?;
    let action = text(doc, "action").ok_or("no `action`")?;
    let entity = text(doc, "entity")
        .or_else(|| text(doc, "entityType"))
        .ok_or("no `entity`")?
        .to_lowercase();
    let entity_id = doc
        .get("entityId")
        .and_then(reference)
        .ok_or("no usable `entityId`")?;
    let entity_id = if entity == "lead" {
        keeper_of(&entity_id).unwrap_or(entity_id)
    } else {
        entity_id
    };
    let at = match time(doc, "timestamp")? {
        Some(at) => at,
        None => created_at(doc)?.unwrap_or(now),
    };
    Ok(AuditEvent {
        id,
        user_id: reference_field(doc, "user")?,
        user_name: text(doc, "userName"),
        action,
        entity,
        entity_id,
        partner_id: reference_field(doc, "partner")?,
        before: json(doc, "before"),
        after: match json(doc, "after") {
            Value::Null => json(doc, "changes"),
            other => other,
        },
        at,
    })
}

pub fn event_unit(event: &AuditEvent) -> Result<Unit, String> {
    Ok(Unit {
        collection: "events",
        id: event.id.clone(),
        primary: event_key(&event.id),
        writes: vec![Write::put_new(
            event_item(event).map_err(|e| e.to_string())?,
        )],
        counts: true,
    })
}
