//! What an event makes of the stored records: the meeting merged with the
//! event, the lead's empty contact fields filled from the guest, and the
//! lead a meeting leaves when its guest changed.

use chrono::{DateTime, Utc};

use crate::lead::{LeadRecord, parse_text};
use crate::meetings_store::{Guest, MeetingRecord};

use super::event::ChiliPiperEvent;

/// The meeting after `event` (the caller checked that the event takes).
pub(super) fn merged_meeting(
    existing: Option<&MeetingRecord>,
    event: &ChiliPiperEvent,
    partner_id: &str,
    lead_id: &str,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> MeetingRecord {
    let last_received_at = existing
        .and_then(|m| m.last_received_at)
        .map_or(received_at, |t| t.max(received_at));
    MeetingRecord {
        id: event.meeting_id_chili.clone(),
        meeting_id_chili: event.meeting_id_chili.clone(),
        partner_id: partner_id.to_owned(),
        lead_id: lead_id.to_owned(),
        status: event.event_type.status(),
        meeting_type_name: event.meeting_type_name.clone(),
        title: event.title.clone(),
        scheduled_time: event.start_time,
        end_time: event.end_time,
        location: event.location.clone(),
        assignee: event.assignee.clone(),
        host: event.host.clone(),
        guests: event.guests.clone(),
        last_received_at: Some(last_received_at),
        version: existing.map_or(0, |m| m.version + 1),
        created_at: existing.map_or(now, |m| m.created_at),
        updated_at: now,
    }
}

/// Fills the lead's empty contact fields from the guest.
pub(super) fn fill_from_guest(lead: &mut LeadRecord, guest: &Guest) {
    let pairs = [
        (&mut lead.contact.first_name, &guest.first_name),
        (&mut lead.contact.last_name, &guest.last_name),
        (&mut lead.contact.company, &guest.company),
        (&mut lead.contact.phone, &guest.phone),
    ];
    for (slot, value) in pairs {
        if slot.is_none() {
            *slot = value.as_deref().and_then(|v| parse_text(v).ok().flatten());
        }
    }
}

/// The lead a meeting leaves when its guest changed: without the meeting,
/// its `scheduledDate` recomputed from the meetings it keeps (none: null,
/// which also takes it off the open-leads index, so it is no longer overdue).
pub(super) fn without_meeting(
    before: &LeadRecord,
    meeting_id: &str,
    now: DateTime<Utc>,
) -> LeadRecord {
    let mut after = before.clone();
    after.meeting_starts.remove(meeting_id);
    after.scheduled_date = after.latest_meeting_start();
    after.version = before.version + 1;
    after.updated_at = now;
    after
}
