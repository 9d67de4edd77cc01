//! The audit events of a ChiliPiper event: lead changes and meetings
//! booked, moved or cancelled, added to the outbox of the change's
//! transaction with ids a retried delivery cannot store twice.

use serde_json::{Value, json};

use pc_http::audit::{self, AuditEvent};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::StoreError;
use pc_platform::time::timestamp;

use crate::lead::LeadRecord;
use crate::lead_notices::lead_event;
use crate::meetings_store::MeetingRecord;

use super::event::{ChiliEventType, ChiliPiperEvent};

/// Adds the audit event of a lead change made by a ChiliPiper event to the
/// change's outbox; its id derives from the event and the lead version, so
/// a retried delivery stores it once.
pub(super) fn announce(
    ctx: &AppContext,
    outbox: &mut Outbox,
    event: &ChiliPiperEvent,
    before: Option<&LeadRecord>,
    after: &LeadRecord,
) -> Result<(), StoreError> {
    let action = match before {
        None => "created",
        Some(b) if b.deal_status != after.deal_status => "status_changed",
        Some(_) => "updated",
    };
    let mut audit_event: AuditEvent = lead_event(ctx, None, action, before, after);
    audit_event.id = format!(
        "chili:{}:{}:{}:v{}",
        event.meeting_id_chili,
        event.event_type.as_str(),
        after.id,
        after.version
    );
    audit_event.after = json!({"lead": after.summary(), "meetingIdChili": event.meeting_id_chili});
    audit::add_to_outbox(outbox, &audit_event)
}

/// The audit event of a meeting booked, moved or cancelled (a partner
/// event for its partner); other updates of a meeting are not announced.
/// Its id derives from the event and the meeting version, so a retried
/// delivery stores it once.
pub(super) fn announce_meeting(
    ctx: &AppContext,
    outbox: &mut Outbox,
    event: &ChiliPiperEvent,
    before: Option<&MeetingRecord>,
    after: &MeetingRecord,
) -> Result<(), StoreError> {
    let summary = |m: &MeetingRecord| {
        json!({"leadId": m.lead_id, "status": m.status, "title": m.title,
            "meetingTypeName": m.meeting_type_name, "scheduledTime": timestamp(m.scheduled_time)})
    };
    let news = match (event.event_type, before) {
        (ChiliEventType::Created, None) => true,
        (ChiliEventType::Rescheduled, Some(b)) => b.scheduled_time != after.scheduled_time,
        (ChiliEventType::Canceled, b) => b.is_none_or(|b| b.status != after.status),
        _ => false,
    };
    if !news {
        return Ok(());
    }
    let mut audit_event = AuditEvent::new(
        ctx,
        None,
        event.event_type.as_str(),
        "meeting",
        &after.id,
        Some(&after.partner_id),
        before.map(summary).unwrap_or(Value::Null),
        summary(after),
    );
    audit_event.id = format!(
        "chili:{}:{}:meeting:v{}",
        event.meeting_id_chili,
        event.event_type.as_str(),
        after.version
    );
    audit::add_to_outbox(outbox, &audit_event)
}
