//! Partner events from audit events (the `events` queue): changes to a
//! lead, a meeting or an invoice of a partner. The `events` worker stores
//! each audit event once; the activities and fan-out of its partner event
//! join that same transaction ([`activity_writes`]), so they are written
//! exactly when the audit event is.
//!
//! | audit event (`entity` / `action`) | partner event |
//! |---|---|
//! | `lead` / `created`, `updated`, `status_changed`, `note_added` | `lead.<action>` |
//! | `meeting` / `created`, `rescheduled`, `canceled` | `meeting.booked`, `meeting.rescheduled`, `meeting.cancelled` |
//! | `invoice` / `created`, `paid`, `payment_failed` | `invoice.<action>` |
//!
//! The partner event keeps the audit event's id. Other audit events (users,
//! a meeting's other updates) concern no partner's feed.

use serde_json::{Map, Value, json};

use pc_http::audit::AuditEvent;
use pc_http::partner_events::PartnerEvent;
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{StoreError, Write};

use crate::recording::event_writes;

fn event_type(entity: &str, action: &str) -> Option<&'static str> {
    Some(match (entity, action) {
        ("lead", "created") => "lead.created",
        ("lead", "updated") => "lead.updated",
        ("lead", "status_changed") => "lead.status_changed",
        ("lead", "note_added") => "lead.note_added",
        ("meeting", "created") => "meeting.booked",
        ("meeting", "rescheduled") => "meeting.rescheduled",
        ("meeting", "canceled") => "meeting.cancelled",
        ("invoice", "created") => "invoice.created",
        ("invoice", "paid") => "invoice.paid",
        ("invoice", "payment_failed") => "invoice.payment_failed",
        _ => return None,
    })
}

/// What partners see of a change: the record's id and its summary after
/// the change, who made it, and for a status change the status before.
fn data_of(event: &AuditEvent) -> Value {
    let id_field = format!("{}Id", event.entity);
    let mut data = Map::new();
    data.insert(id_field, event.entity_id.clone().into());
    match event.entity.as_str() {
        "lead" if event.action == "note_added" => {
            data.insert("note".into(), event.after.clone());
        }
        "lead" => {
            // A ChiliPiper change wraps the lead's summary with its meeting.
            let lead = event.after.get("lead").unwrap_or(&event.after);
            data.insert("lead".into(), lead.clone());
            if event.action == "status_changed" {
                let before = event.before.get("lead").unwrap_or(&event.before);
                data.insert("previousStatus".into(), before["dealStatus"].clone());
                data.insert("dealStatus".into(), lead["dealStatus"].clone());
            }
        }
        _ => {
            if let Value::Object(after) = &event.after {
                for (field, value) in after {
                    data.entry(field.clone()).or_insert_with(|| value.clone());
                }
            }
        }
    }
    if let Some(name) = &event.user_name {
        data.insert("changedBy".into(), json!(name));
    }
    Value::Object(data)
}

/// The partner event of an audit event, if it concerns a partner's feed.
pub fn partner_event_of(event: &AuditEvent) -> Option<PartnerEvent> {
    let partner_id = event.partner_id.clone().filter(|p| !p.is_empty())?;
    let event_type = event_type(&event.entity, &event.action)?;
    Some(PartnerEvent {
        id: event.id.clone(),
        event_type: event_type.to_owned(),
        partner_ids: vec![partner_id],
        occurred_at: event.at,
        data: data_of(event),
    })
}

/// The writes (activities, counters and the outbox with the fan-out
/// message) to commit with the stored audit event; none when it concerns
/// no partner's feed.
pub fn activity_writes(ctx: &AppContext, event: &AuditEvent) -> Result<Vec<Write>, StoreError> {
    let Some(partner_event) = partner_event_of(event) else {
        return Ok(Vec::new());
    };
    let now = ctx.clock.now();
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    let mut writes = event_writes(&partner_event, &mut outbox, now)?;
    if !writes.is_empty() {
        outbox.add_to(&mut writes)?;
    }
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn audit(entity: &str, action: &str, partner: Option<&str>) -> AuditEvent {
        AuditEvent {
            id: "a1".into(),
            user_id: Some("u1".into()),
            user_name: Some("Ann".into()),
            action: action.into(),
            entity: entity.into(),
            entity_id: "R1".into(),
            partner_id: partner.map(str::to_owned),
            before: json!({"lead": {"dealStatus": "new"}}),
            after: json!({"lead": {"dealStatus": "scheduled"}, "meetingIdChili": "m1"}),
            at: Utc::now(),
        }
    }

    #[test]
    fn a_status_change_names_both_statuses_and_keeps_the_audit_id() {
        let event = partner_event_of(&audit("lead", "status_changed", Some("P"))).unwrap();
        assert_eq!(event.id, "a1");
        assert_eq!(event.event_type, "lead.status_changed");
        assert_eq!(event.partner_ids, ["P"]);
        assert_eq!(event.data["leadId"], "R1");
        assert_eq!(event.data["previousStatus"], "new");
        assert_eq!(event.data["dealStatus"], "scheduled");
        assert_eq!(event.data["changedBy"], "Ann");
    }

    #[test]
    fn meetings_and_invoices_map_and_the_rest_concern_no_feed() {
        let booked = partner_event_of(&audit("meeting", "created", Some("P"))).unwrap();
        assert_eq!(booked.event_type, "meeting.booked");
        assert_eq!(booked.data["meetingId"], "R1");
        assert_eq!(booked.data["meetingIdChili"], "m1");
        let failed = partner_event_of(&audit("invoice", "payment_failed", Some("P"))).unwrap();
        assert_eq!(failed.event_type, "invoice.payment_failed");
        assert!(partner_event_of(&audit("user", "created", Some("P"))).is_none());
        assert!(partner_event_of(&audit("meeting", "updated", Some("P"))).is_none());
        assert!(partner_event_of(&audit("lead", "created", None)).is_none());
    }
}
