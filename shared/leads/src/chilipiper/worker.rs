//! The worker of `chilipiper-webhook`: routes each event to a partner,
//! finds or creates the lead and upserts the meeting in one conditional
//! transaction, retried from a fresh read when another delivery got there
//! first.

use chrono::{DateTime, Utc};
use serde_json::Value;

use pc_accounts::partners_store::PartnerRecord;
use pc_http::functions::WorkerError;
use pc_http::identity::{meeting_type_key, partner_key};
use pc_http::{AppState, QueueMessage};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{Condition, StoreError, Update, Write, from_item, retry_until_won};
use pc_platform::time::timestamp;

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::{LeadEmail, LeadRecord};
use crate::lead_notices::new_lead_notices;
use crate::leads_store::{
    self, LeadWriteError, create_lead_writes, email_guard_key, lead_key, update_lead_writes,
};
use crate::meetings_store::{
    Guest, MeetingRecord, UnroutedEvent, keep_unrouted, meeting_item, meeting_key,
};
use crate::referral_commission::ChangedBy;

use super::audit_events::{announce, announce_meeting};
use super::event::{ChiliPiperEvent, ReceivedEvent};
use super::merge::{fill_from_guest, merged_meeting, without_meeting};

/// What one event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Unrouted,
    /// Nothing to change (a redelivery, or an event older than the stored state).
    Unchanged,
    Applied {
        lead_created: bool,
    },
}

/// The queue worker of `chilipiper-webhook`.
pub async fn chilipiper_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let received: ReceivedEvent = message.parse()?;
    let event = &received.event;
    let received_at = received.received_at.unwrap_or_else(|| ctx.clock.now());
    let outcome = apply_event(ctx, event, received_at)
        .await
        .map_err(WorkerError::new)?;
    tracing::info!(meeting = %event.meeting_id_chili, event_type = event.event_type.as_str(), ?outcome, "chilipiper event");
    Ok(())
}

/// The writes of a meeting's change of its lead. A meeting moves the
/// status to `scheduled` and fills contact fields, never a referred lead's
/// commission fields; were it refused anyway, the message fails (retried,
/// then dead-lettered) rather than being dropped.
fn meeting_lead_writes(before: &LeadRecord, after: &LeadRecord) -> Result<Vec<Write>, StoreError> {
    update_lead_writes(before, after, ChangedBy::Integration).map_err(|e| match e {
        LeadWriteError::Store(s) => s,
        other => StoreError::Invalid(other.to_string()),
    })
}

async fn unrouted(
    ctx: &AppContext,
    event: &ChiliPiperEvent,
    reason: &str,
) -> Result<Outcome, StoreError> {
    let kept = UnroutedEvent {
        meeting_id_chili: event.meeting_id_chili.clone(),
        event_type: event.event_type.as_str().to_owned(),
        meeting_type_name: event.meeting_type_name.clone(),
        reason: reason.to_owned(),
        payload: serde_json::to_value(event).unwrap_or(Value::Null),
        received_at: ctx.clock.now(),
    };
    keep_unrouted(&*ctx.store, &kept, &timestamp(event.start_time)).await?;
    Ok(Outcome::Unrouted)
}

/// Applies one event received at `received_at` (see the module doc for the
/// guarantees).
pub async fn apply_event(
    ctx: &AppContext,
    event: &ChiliPiperEvent,
    received_at: DateTime<Utc>,
) -> Result<Outcome, StoreError> {
    let store = &*ctx.store;
    let route = store
        .get(&meeting_type_key(&event.meeting_type_name))
        .await?;
    let Some(partner_id) = route
        .as_ref()
        .and_then(|r| r.get("partnerId"))
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return unrouted(ctx, event, "no partner has this meeting type").await;
    };
    let Some(guest) = event.guests.first() else {
        return unrouted(ctx, event, "the event has no guest").await;
    };
    let Some(email) = guest
        .email
        .as_deref()
        .and_then(|e| LeadEmail::parse(e).ok())
    else {
        return unrouted(ctx, event, "the first guest has no valid email").await;
    };
    retry_until_won(|_| apply_once(ctx, event, received_at, &partner_id, &email, guest)).await
}

/// One attempt at applying the event, from what is stored now; `None`
/// when it lost a race (read again and retry).
async fn apply_once(
    ctx: &AppContext,
    event: &ChiliPiperEvent,
    received_at: DateTime<Utc>,
    partner_id: &str,
    email: &LeadEmail,
    guest: &Guest,
) -> Result<Option<Outcome>, StoreError> {
    let store = &*ctx.store;
    let now = ctx.clock.now();
    let items = store
        .batch_get(&[
            email_guard_key(partner_id, email.as_str()),
            meeting_key(&event.meeting_id_chili),
            partner_key(partner_id),
        ])
        .await?;
    let mut guard = None;
    let mut meeting = None;
    let mut partner_item = None;
    for item in items {
        match item.get("entity").and_then(Value::as_str) {
            Some("lead_email_guard") => guard = Some(item),
            Some("meeting") => meeting = Some(from_item::<MeetingRecord>(item)?),
            Some("partner") => partner_item = Some(item),
            _ => {}
        }
    }
    let Some(partner_item) = partner_item else {
        return unrouted(ctx, event, "the routed partner does not exist")
            .await
            .map(Some);
    };
    if meeting
        .as_ref()
        .is_some_and(|m| !m.takes(event.event_type.status(), received_at))
    {
        return Ok(Some(Outcome::Unchanged));
    }
    let last_appointment = partner_item.get("lastAppointmentDate").cloned();
    let partner: PartnerRecord = from_item(partner_item)?;
    let existing_lead = match guard
        .as_ref()
        .and_then(|g| g.get("leadId"))
        .and_then(Value::as_str)
    {
        Some(id) => leads_store::get(store, id).await?,
        None => None,
    };
    let mut lead = match &existing_lead {
        Some(l) => l.clone(),
        None => {
            let mut fresh = LeadRecord::new(
                ctx.ids.new_id(),
                partner_id.to_owned(),
                email.clone(),
                LeadSource::Chilipiper,
                now,
            );
            fresh.created_by_meeting = Some(event.meeting_id_chili.clone());
            fresh
        }
    };
    let merged = merged_meeting(
        meeting.as_ref(),
        event,
        partner_id,
        &lead.id,
        received_at,
        now,
    );
    // The meeting leaves the lead it was on when its guest changed.
    let old_lead = match meeting.as_ref().filter(|m| m.lead_id != lead.id) {
        Some(m) => leads_store::get(store, &m.lead_id)
            .await?
            .map(|before| (without_meeting(&before, &merged.id, now), before)),
        None => None,
    };
    let start = timestamp(merged.scheduled_time);
    lead.meeting_starts.insert(merged.id.clone(), start.clone());
    lead.scheduled_date = lead.latest_meeting_start();
    if lead.deal_status == DealStatus::New {
        lead.deal_status = DealStatus::Scheduled;
    }
    fill_from_guest(&mut lead, guest);
    let lead_changed = existing_lead.as_ref().is_none_or(|b| !lead.same_content(b));
    let meeting_changed = meeting
        .as_ref()
        .is_none_or(|m| !merged.same_content(m) || m.last_received_at < merged.last_received_at);
    if !lead_changed && !meeting_changed {
        return Ok(Some(Outcome::Unchanged));
    }
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    let mut writes = Vec::new();
    let mut partner_update = Update::new(partner_key(partner_id));
    let mut partner_condition = Condition::Exists;
    let mut touches_partner = false;
    match &existing_lead {
        None => {
            let mut create = create_lead_writes(&lead)?;
            // The partner counter of the creation joins the one below.
            create.retain(|w| w.key() != Some(partner_key(partner_id)));
            writes.extend(create);
            partner_update = partner_update.add("totalLeads", 1);
            touches_partner = true;
        }
        Some(before) if lead_changed => {
            lead.version = before.version + 1;
            lead.updated_at = now;
            writes.extend(meeting_lead_writes(before, &lead)?);
        }
        Some(before) => {
            // The lead stays as it is, but the meeting write must not
            // race a change of the lead's meeting starts.
            writes.push(Write::Check {
                key: lead_key(&before.id),
                condition: Condition::equals("version", before.version),
            });
        }
    }
    if lead_changed {
        announce(ctx, &mut outbox, event, existing_lead.as_ref(), &lead)?;
    }
    if let Some((after, before)) = &old_lead {
        writes.extend(meeting_lead_writes(before, after)?);
        announce(ctx, &mut outbox, event, Some(before), after)?;
    }
    announce_meeting(ctx, &mut outbox, event, meeting.as_ref(), &merged)?;
    writes.push(Write::Put {
        item: meeting_item(&merged)?,
        condition: Some(match &meeting {
            Some(m) => Condition::equals("version", m.version),
            None => Condition::NotExists,
        }),
    });
    match &meeting {
        None => {
            partner_update = partner_update.add("totalAppointments", 1);
            touches_partner = true;
        }
        // Re-routed to another partner's meeting type: the appointment
        // moves between the two partners' counters.
        Some(m) if m.partner_id != partner_id => {
            partner_update = partner_update.add("totalAppointments", 1);
            touches_partner = true;
            writes.push(Write::Update(
                Update::new(partner_key(&m.partner_id))
                    .add("totalAppointments", -1)
                    .when(Condition::Exists),
            ));
        }
        Some(_) => {}
    }
    let later = last_appointment
        .as_ref()
        .and_then(Value::as_str)
        .is_none_or(|current| start.as_str() > current);
    if later {
        partner_update = partner_update.set("lastAppointmentDate", start.clone());
        partner_condition = partner_condition.and(match &last_appointment {
            Some(v) if !v.is_null() => Condition::Equals("lastAppointmentDate".into(), v.clone()),
            _ => Condition::missing("lastAppointmentDate"),
        });
        touches_partner = true;
    }
    if touches_partner {
        writes.push(Write::Update(partner_update.when(partner_condition)));
    }
    let lead_created = existing_lead.is_none();
    if lead_created {
        new_lead_notices(ctx, &mut outbox, &lead, &partner, Some(&start)).await?;
    }
    outbox.add_to(&mut writes)?;
    match store.transact(writes).await {
        Ok(()) => Ok(Some(Outcome::Applied { lead_created })),
        Err(e) if e.lost_race() => Ok(None),
        Err(e) => Err(e),
    }
}
