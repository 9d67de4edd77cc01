//! The `hubspot-webhook` worker: applies each event of a batch once per
//! `eventId`, oldest first. A property change of a linked contact or deal
//! goes through the same lead change path as the API (transition rules,
//! audit event, lost-lead alert), in one transaction with the event's
//! claim and the lead's sync record; so a redelivered batch finds its
//! applied events claimed and applies the rest. An event older than the
//! last one applied to that object and property changes nothing; a change
//! of a field that also changed on our side since the last sync is stored
//! as a conflict instead. Events of objects no lead is linked to, and
//! creations (our own creations are already linked), are claimed and
//! change nothing — but for inventory ([`crate::inventory_events`]): a
//! deal created in or moved into one of the partner's listed stages
//! becomes its lead, and an inventory deal leaving them is delisted.
//!
//! Its items and their keys: [`crate::keys`].

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use pc_http::functions::WorkerError;
use pc_http::{AppState, QueueMessage};
use pc_leads::lead_changes::{ChangeError, Changed, change_lead};
use pc_leads::leads_api::LeadPatch;
use pc_leads::leads_store::{self, LeadWriteError};
use pc_platform::AppContext;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::{Condition, Guard, Item, StoreError, Transaction, Write};

use crate::conflicts_store::{ConflictRecord, conflict_write};
use crate::hubspot_access::partner_stage_mapping;
use crate::hubspot_fields::{ObjectKind, field_of_property, lead_values};
use crate::inventory_events::{deal_arrived, inventory_deal_moved, is_inventory_lead};
use crate::keys::event_claim_key;
use crate::links_store::{SyncRecord, get_record, lead_of_object, record_write};

/// A batch of HubSpot webhook events as received, on its way to the
/// worker: its text is queued unchanged (what HubSpot signed is what the
/// worker reads), and the worker reads it as a list of [`HubspotEvent`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceivedBatch(Box<RawValue>);

impl ReceivedBatch {
    /// The batch's text, which must be JSON (the webhook parsed it).
    pub fn new(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Self)
    }
}

impl Message for ReceivedBatch {
    const QUEUE: QueueName = QueueName::HubspotWebhook;
}

/// One HubSpot webhook event, as the worker reads it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"eventId": 1001, "portalId": 62515, "objectId": 123,
    "occurredAt": 1765100000000_i64, "subscriptionType": "deal.propertyChange",
    "propertyName": "dealstage", "propertyValue": "closedwon"}))]
pub struct HubspotEvent {
    /// HubSpot's ids are numbers; text is accepted too.
    #[serde(deserialize_with = "id_text")]
    #[schema(value_type = i64)]
    pub event_id: String,
    #[serde(deserialize_with = "id_text")]
    #[schema(value_type = i64)]
    pub portal_id: String,
    #[serde(deserialize_with = "id_text")]
    #[schema(value_type = i64)]
    pub object_id: String,
    /// Milliseconds since the epoch.
    pub occurred_at: i64,
    pub subscription_type: String,
    pub property_name: Option<String>,
    pub property_value: Option<String>,
}

/// HubSpot sends ids as numbers; they are kept as text.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("not an id: {other}"))),
    }
}

/// What an event is about.
enum Happening {
    Created,
    Changed {
        property: String,
        value: String,
    },
    /// A subscription this system does not handle.
    Other,
}

impl HubspotEvent {
    fn object_kind(&self) -> Option<ObjectKind> {
        match self.subscription_type.split('.').next() {
            Some("contact") => Some(ObjectKind::Contact),
            Some("deal") => Some(ObjectKind::Deal),
            _ => None,
        }
    }

    fn happening(&self) -> Happening {
        match self.subscription_type.split_once('.').map(|(_, k)| k) {
            Some("creation") => Happening::Created,
            Some("propertyChange") => match &self.property_name {
                Some(p) => Happening::Changed {
                    property: p.clone(),
                    value: self.property_value.clone().unwrap_or_default(),
                },
                None => Happening::Other,
            },
            _ => Happening::Other,
        }
    }
}

/// The claim of an event: written once, with the event's effect.
fn claim_write(ctx: &AppContext, event: &HubspotEvent, outcome: &str) -> Write {
    let key = event_claim_key(&event.portal_id, &event.event_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_event".into());
    item.insert(
        "subscriptionType".into(),
        event.subscription_type.clone().into(),
    );
    item.insert("objectId".into(), event.object_id.clone().into());
    item.insert("outcome".into(), outcome.into());
    item.insert(
        "appliedAt".into(),
        pc_platform::time::timestamp(ctx.clock.now()).into(),
    );
    Write::Put {
        item,
        condition: Some(Condition::NotExists),
    }
}

/// The event was applied before.
const EVENT_CLAIM: Guard = Guard::new("event_claim");

/// Claims an event whose effect is nothing; a claim already there means
/// it was done before.
async fn claim_only(
    ctx: &AppContext,
    event: &HubspotEvent,
    outcome: &str,
    more: Vec<Write>,
) -> Result<(), StoreError> {
    let mut writes = Transaction::new();
    writes.guarded(EVENT_CLAIM, claim_write(ctx, event, outcome));
    writes.extend(more);
    match writes.commit(&*ctx.store).await {
        Err(e) if e.failed(EVENT_CLAIM) => Ok(()),
        other => other,
    }
}

/// A field's value (in the lead's terms) as the lead API takes it.
pub fn field_patch_value(field: &str, value: &str) -> Result<Value, String> {
    Ok(match (field, value) {
        (_, "") => Value::Null,
        ("dealAmount", cents) => {
            let cents: i64 = cents.parse().map_err(|_| format!("bad amount {cents}"))?;
            let text = crate::hubspot_fields::amount_text(cents);
            Value::Number(text.parse().map_err(|_| format!("bad amount {text}"))?)
        }
        (_, text) => Value::String(text.to_owned()),
    })
}

/// The lead patch setting `field` to `value` (in the lead's terms).
fn patch_of(field: &str, value: &str) -> Result<LeadPatch, String> {
    let mut body = Map::new();
    body.insert(field.to_owned(), field_patch_value(field, value)?);
    LeadPatch::parse(&body).map_err(|e| format!("{field}: {e}"))
}

/// The writes that open a conflict on `field` (ours against HubSpot's
/// `theirs`) and note it on the sync record `after`.
fn open_conflict(
    ctx: &AppContext,
    existing: Option<&SyncRecord>,
    after: &mut SyncRecord,
    field: &str,
    ours: String,
    theirs: &str,
    base: String,
) -> Result<Vec<Write>, StoreError> {
    let conflict = ConflictRecord::open(
        ctx.ids.new_id(),
        after,
        field,
        ours,
        theirs.to_owned(),
        base,
        ctx.clock.now(),
    );
    after
        .open_conflicts
        .insert(field.to_owned(), conflict.id.clone());
    Ok(vec![
        record_write(existing, after)?,
        conflict_write(&conflict, true)?,
    ])
}

/// Applies one event once. Answers what it did, for the log.
pub async fn apply_event(
    ctx: &AppContext,
    event: &HubspotEvent,
) -> Result<&'static str, WorkerError> {
    let store = &*ctx.store;
    if store
        .get(&event_claim_key(&event.portal_id, &event.event_id))
        .await
        .map_err(WorkerError::new)?
        .is_some()
    {
        return Ok("already applied");
    }
    let (Some(kind), happening) = (event.object_kind(), event.happening()) else {
        claim_only(ctx, event, "ignored", vec![])
            .await
            .map_err(WorkerError::new)?;
        return Ok("ignored");
    };
    let (property, value) = match happening {
        Happening::Changed { property, value } => (property, value),
        // A new deal may be inventory (our own creations are linked).
        Happening::Created if kind == ObjectKind::Deal => {
            let linked = lead_of_object(store, &event.portal_id, kind, &event.object_id)
                .await
                .map_err(WorkerError::new)?;
            let outcome = match linked {
                Some(_) => "nothing to apply",
                None => deal_arrived(ctx, &event.portal_id, &event.object_id).await?,
            };
            claim_only(ctx, event, outcome, vec![])
                .await
                .map_err(WorkerError::new)?;
            return Ok(outcome);
        }
        Happening::Created | Happening::Other => {
            claim_only(ctx, event, "nothing to apply", vec![])
                .await
                .map_err(WorkerError::new)?;
            return Ok("nothing to apply");
        }
    };
    let moved_stage = kind == ObjectKind::Deal && property == "dealstage";
    let Some((lead_id, partner_id)) =
        lead_of_object(store, &event.portal_id, kind, &event.object_id)
            .await
            .map_err(WorkerError::new)?
    else {
        // A deal moving into a listed stage may become inventory.
        let outcome = if moved_stage {
            deal_arrived(ctx, &event.portal_id, &event.object_id).await?
        } else {
            "not linked"
        };
        claim_only(ctx, event, outcome, vec![])
            .await
            .map_err(WorkerError::new)?;
        return Ok(outcome);
    };
    // An inventory lead follows its deal's stage onto or off the market;
    // nothing of HubSpot's deal changes the lead otherwise.
    if kind == ObjectKind::Deal
        && is_inventory_lead(ctx, &lead_id)
            .await
            .map_err(WorkerError::new)?
    {
        let outcome = if moved_stage {
            inventory_deal_moved(ctx, &partner_id, &lead_id, &event.object_id).await?
        } else {
            "inventory deal: not synced"
        };
        claim_only(ctx, event, outcome, vec![])
            .await
            .map_err(WorkerError::new)?;
        return Ok(outcome);
    }
    let mapping = if kind == ObjectKind::Deal && property == "dealstage" {
        partner_stage_mapping(ctx, &partner_id).await?
    } else {
        Default::default()
    };
    let Some((field, new_value)) = field_of_property(kind, &property, &value, &mapping) else {
        claim_only(ctx, event, "not a synced property", vec![])
            .await
            .map_err(WorkerError::new)?;
        return Ok("not a synced property");
    };
    let watermark = format!("{}.{property}", kind.as_str());
    for _ in 0..5 {
        let lead = leads_store::get(store, &lead_id)
            .await
            .map_err(WorkerError::new)?
            .ok_or_else(|| WorkerError::new(format!("linked lead {lead_id} is gone")))?;
        let existing = get_record(store, &lead_id)
            .await
            .map_err(WorkerError::new)?;
        let record = existing
            .clone()
            .unwrap_or_else(|| SyncRecord::new(&lead_id, &partner_id, &event.portal_id));
        if record
            .applied_at
            .get(&watermark)
            .is_some_and(|at| *at >= event.occurred_at)
        {
            claim_only(ctx, event, "older than the applied change", vec![])
                .await
                .map_err(WorkerError::new)?;
            return Ok("older than the applied change");
        }
        let mut after = record.clone();
        after
            .applied_at
            .insert(watermark.clone(), event.occurred_at);
        if record.open_conflicts.contains_key(field) {
            let write = record_write(existing.as_ref(), &after).map_err(WorkerError::new)?;
            claim_only(ctx, event, "field in conflict", vec![write])
                .await
                .map_err(WorkerError::new)?;
            return Ok("field in conflict");
        }
        let ours = lead_values(&lead).remove(field).unwrap_or_default();
        let base = record.synced.get(field).cloned().unwrap_or_default();
        if ours != base && ours != new_value && record.last_synced_at.is_some() {
            let writes = open_conflict(
                ctx,
                existing.as_ref(),
                &mut after,
                field,
                ours,
                &new_value,
                base,
            )
            .map_err(WorkerError::new)?;
            match claim_only(ctx, event, "conflict", writes).await {
                Ok(()) => return Ok("conflict"),
                Err(e) if e.is_condition_failure() => continue,
                Err(e) => return Err(WorkerError::new(e)),
            }
        }
        after.synced.insert(field.to_owned(), new_value.clone());
        let patch = patch_of(field, &new_value).map_err(WorkerError::new)?;
        let extra = vec![
            claim_write(ctx, event, "applied"),
            record_write(existing.as_ref(), &after).map_err(WorkerError::new)?,
        ];
        match change_lead(ctx, None, &lead, &patch, extra).await {
            Ok(Changed::Stored(_)) => return Ok("applied"),
            Ok(Changed::Unchanged) => {
                let write = record_write(existing.as_ref(), &after).map_err(WorkerError::new)?;
                match claim_only(ctx, event, "already so", vec![write]).await {
                    Ok(()) => return Ok("already so"),
                    Err(e) if e.is_condition_failure() => continue,
                    Err(e) => return Err(WorkerError::new(e)),
                }
            }
            // Only staff may set this field of this lead: HubSpot's value
            // waits as an open conflict, which staff alone can accept.
            Err(ChangeError::StaffOnly(refusal)) => {
                tracing::warn!(lead_id = %lead_id, %refusal, "hubspot change left to staff");
                let mut after = record.clone();
                after
                    .applied_at
                    .insert(watermark.clone(), event.occurred_at);
                let writes = open_conflict(
                    ctx,
                    existing.as_ref(),
                    &mut after,
                    field,
                    ours,
                    &new_value,
                    base,
                )
                .map_err(WorkerError::new)?;
                match claim_only(ctx, event, "conflict (staff only)", writes).await {
                    Ok(()) => return Ok("conflict (staff only)"),
                    Err(e) if e.is_condition_failure() => continue,
                    Err(e) => return Err(WorkerError::new(e)),
                }
            }
            Err(ChangeError::Refused(refusal)) => {
                tracing::warn!(lead_id = %lead_id, %refusal, "hubspot change refused by the lead rules");
                let write = record_write(existing.as_ref(), &after).map_err(WorkerError::new)?;
                match claim_only(ctx, event, "refused by the lead rules", vec![write]).await {
                    Ok(()) => return Ok("refused by the lead rules"),
                    Err(e) if e.is_condition_failure() => continue,
                    Err(e) => return Err(WorkerError::new(e)),
                }
            }
            // The lead, the record or the claim moved meanwhile: read again.
            Err(ChangeError::Write(LeadWriteError::Stale)) => continue,
            Err(ChangeError::Write(e)) => return Err(WorkerError::new(e)),
        }
    }
    Err(WorkerError::new(format!(
        "event {} kept meeting concurrent changes",
        event.event_id
    )))
}

/// Applies a batch, oldest event first (by `occurredAt`, then `eventId`).
/// Every event is tried; if any failed the message fails, so the queue
/// delivers it again and only the failed events have anything left to do.
pub async fn hubspot_webhook_worker(
    ctx: &AppState,
    message: &QueueMessage,
) -> Result<(), WorkerError> {
    let mut events: Vec<HubspotEvent> = message.parse()?;
    events.sort_by(|a, b| {
        (a.occurred_at, a.event_id.len(), &a.event_id).cmp(&(
            b.occurred_at,
            b.event_id.len(),
            &b.event_id,
        ))
    });
    let mut failures = Vec::new();
    for event in &events {
        match apply_event(ctx, event).await {
            Ok(outcome) => {
                tracing::info!(event_id = %event.event_id, kind = %event.subscription_type, outcome, "hubspot event")
            }
            Err(e) => {
                tracing::warn!(event_id = %event.event_id, error = %e, "hubspot event failed");
                failures.push(format!("{}: {e}", event.event_id));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(WorkerError::new(format!(
            "{} of {} events failed: {}",
            failures.len(),
            events.len(),
            failures.join("; ")
        )))
    }
}
