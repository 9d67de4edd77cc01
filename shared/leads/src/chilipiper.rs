//! ChiliPiper: the webhook (shared-secret check, enqueue, 202) and the
//! worker that routes each event to a partner, finds or creates the lead
//! and upserts the meeting.
//!
//! The worker is safe against redelivery, out-of-order delivery and
//! concurrent deliveries: every write is one transaction conditional on
//! what was read (lead and meeting versions, the email guard, the partner's
//! `lastAppointmentDate`), retried from a fresh read when another delivery
//! got there first. Which of two events wins is decided by
//! [`MeetingStatus::rank`] and, between equal ranks, by the time the webhook
//! received each (stamped before enqueueing), never by the queue's delivery
//! order. A meeting whose guest (or meeting type) changed moves from its old
//! lead to the new one in the same transaction: the old lead's
//! `scheduledDate` is recomputed from its remaining meetings and the
//! partners' `totalAppointments` move with it. The audit events and the
//! new-lead notices are outbox messages of that same transaction.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use pc_accounts::partners_store::PartnerRecord;
use pc_api::audit::{self, AuditEvent};
use pc_api::functions::WorkerError;
use pc_api::identity::{meeting_type_key, partner_key};
use pc_api::json::parse_json;
use pc_api::{ApiError, ApiResult, AppState, QueueMessage};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::queue::{QueueName, send_json};
use pc_platform::store::{Condition, StoreError, Update, Write, from_item};
use pc_platform::time::{serde_millis, timestamp};

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::{LeadEmail, LeadRecord, parse_text};
use crate::lead_notices::{lead_event, new_lead_notices};
use crate::leads_store::{self, create_lead_writes, email_guard_key, lead_key, update_lead_writes};
use crate::meetings_store::{
    Guest, MeetingRecord, MeetingStatus, Person, UnroutedEvent, keep_unrouted, meeting_item,
    meeting_key,
};

/// What ChiliPiper says happened to a meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChiliEventType {
    Created,
    Updated,
    Rescheduled,
    Canceled,
}

impl ChiliEventType {
    pub fn status(self) -> MeetingStatus {
        match self {
            ChiliEventType::Created => MeetingStatus::Created,
            ChiliEventType::Updated => MeetingStatus::Updated,
            ChiliEventType::Rescheduled => MeetingStatus::Rescheduled,
            ChiliEventType::Canceled => MeetingStatus::Canceled,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChiliEventType::Created => "created",
            ChiliEventType::Updated => "updated",
            ChiliEventType::Rescheduled => "rescheduled",
            ChiliEventType::Canceled => "canceled",
        }
    }
}

/// The webhook payload (extra fields are ignored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChiliPiperEvent {
    pub meeting_id_chili: String,
    pub event_type: ChiliEventType,
    pub meeting_type_name: String,
    pub title: Option<String>,
    #[schema(value_type = String)]
    pub start_time: DateTime<Utc>,
    #[schema(value_type = Option<String>)]
    pub end_time: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub assignee: Option<Person>,
    pub host: Option<Person>,
    #[serde(default)]
    pub guests: Vec<Guest>,
}

impl ChiliPiperEvent {
    /// Checks what serde cannot: ids and names present, sane lengths.
    fn check(&self) -> Result<(), ApiError> {
        let id = self.meeting_id_chili.trim();
        if id.is_empty() || id.len() > 200 || id.contains(['#', '/', '\0']) {
            return Err(ApiError::invalid_field(
                "meetingIdChili",
                "must be 1 to 200 characters without #, / or NUL",
            ));
        }
        if self.meeting_type_name.trim().is_empty() || self.meeting_type_name.len() > 300 {
            return Err(ApiError::invalid_field(
                "meetingTypeName",
                "must be 1 to 300 characters",
            ));
        }
        Ok(())
    }
}

/// An event as it travels on `chilipiper-webhook`: stamped with the time
/// the webhook received it, which orders updates of equal rank.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedEvent {
    #[serde(flatten)]
    pub event: ChiliPiperEvent,
    /// Absent on messages enqueued before stamping existed: they count as
    /// received when the worker applies them.
    #[serde(default, with = "serde_millis::option")]
    pub received_at: Option<DateTime<Utc>>,
}

/// `202 {status: "accepted"}`.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    status: &'static str,
}

fn secret_of(headers: &HeaderMap, raw_query: Option<&str>) -> Option<String> {
    headers
        .get("x-webhook-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| url_param(raw_query.unwrap_or_default(), "secret"))
}

fn url_param(raw: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Receives a ChiliPiper event: checks the shared secret (header
/// `X-Webhook-Secret` or `?secret=`, in constant time), checks the payload
/// and enqueues it on `chilipiper-webhook`, stamped with the time it was
/// received. Nothing else happens inline.
#[utoipa::path(post, path = "/v1/meetings/webhooks/chilipiper", tag = "meetings",
    request_body = ChiliPiperEvent,
    params(("secret" = Option<String>, Query, description = "shared secret, when not in X-Webhook-Secret")),
    responses((status = 202, body = Accepted), (status = 400), (status = 401)))]
pub async fn chilipiper_webhook(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let expected = ctx.config.chilipiper_webhook_secret.expose()?.as_bytes();
    let given = secret_of(&headers, raw.as_deref()).unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected)) {
        return Err(ApiError::unauthorized("invalid webhook secret"));
    }
    let event: ChiliPiperEvent = parse_json(&body)?;
    event.check()?;
    let received = ReceivedEvent {
        event,
        received_at: Some(ctx.clock.now()),
    };
    send_json(&*ctx.queue, QueueName::ChilipiperWebhook, &received).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { status: "accepted" })))
}

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

/// How many times a delivery re-reads and retries after losing a race.
const ATTEMPTS: usize = 12;

/// The queue worker of `chilipiper-webhook`.
pub async fn chilipiper_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let received: ReceivedEvent = serde_json::from_str(&message.body)
        .map_err(|e| WorkerError::new(format!("not a ChiliPiper event: {e}")))?;
    let event = &received.event;
    let received_at = received.received_at.unwrap_or_else(|| ctx.clock.now());
    let outcome = apply_event(ctx, event, received_at)
        .await
        .map_err(WorkerError::new)?;
    tracing::info!(meeting = %event.meeting_id_chili, event_type = event.event_type.as_str(), ?outcome, "chilipiper event");
    Ok(())
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

/// The meeting after `event` (the caller checked that the event takes).
fn merged_meeting(
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
fn fill_from_guest(lead: &mut LeadRecord, guest: &Guest) {
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
fn without_meeting(before: &LeadRecord, meeting_id: &str, now: DateTime<Utc>) -> LeadRecord {
    let mut after = before.clone();
    after.meeting_starts.remove(meeting_id);
    after.scheduled_date = after.latest_meeting_start();
    after.version = before.version + 1;
    after.updated_at = now;
    after
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
    for _ in 0..ATTEMPTS {
        let now = ctx.clock.now();
        let items = store
            .batch_get(&[
                email_guard_key(&partner_id, email.as_str()),
                meeting_key(&event.meeting_id_chili),
                partner_key(&partner_id),
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
            return unrouted(ctx, event, "the routed partner does not exist").await;
        };
        if meeting
            .as_ref()
            .is_some_and(|m| !m.takes(event.event_type.status(), received_at))
        {
            return Ok(Outcome::Unchanged);
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
                    partner_id.clone(),
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
            &partner_id,
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
        let meeting_changed = meeting.as_ref().is_none_or(|m| {
            !merged.same_content(m) || m.last_received_at < merged.last_received_at
        });
        if !lead_changed && !meeting_changed {
            return Ok(Outcome::Unchanged);
        }
        let mut outbox = Outbox::new(ctx.ids.new_id(), now);
        let mut writes = Vec::new();
        let mut partner_update = Update::new(partner_key(&partner_id));
        let mut partner_condition = Condition::Exists;
        let mut touches_partner = false;
        match &existing_lead {
            None => {
                let mut create = create_lead_writes(&lead)?;
                // The partner counter of the creation joins the one below.
                create.retain(|w| w.key() != Some(partner_key(&partner_id)));
                writes.extend(create);
                partner_update = partner_update.add("totalLeads", 1);
                touches_partner = true;
            }
            Some(before) if lead_changed => {
                lead.version = before.version + 1;
                lead.updated_at = now;
                writes.extend(update_lead_writes(before, &lead)?);
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
            writes.extend(update_lead_writes(before, after)?);
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
                Some(v) if !v.is_null() => {
                    Condition::Equals("lastAppointmentDate".into(), v.clone())
                }
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
            Ok(()) => return Ok(Outcome::Applied { lead_created }),
            Err(e) if e.is_condition_failure() || e == StoreError::TransactionConflict => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::TransactionConflict)
}

/// Adds the audit event of a lead change made by a ChiliPiper event to the
/// change's outbox; its id derives from the event and the lead version, so
/// a retried delivery stores it once.
fn announce(
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
fn announce_meeting(
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

#[cfg(test)]
mod tests {
    use super::*;
    use pc_accounts::partners_store::{get_partner, partner_item};
    use pc_platform::context::EmbeddedParts;
    use pc_platform::store::{Index, Item, Query};

    const T0: &str = "2030-03-01T15:00:00.000Z";

    async fn system() -> (EmbeddedParts, String) {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let now = ctx.clock.now();
        let partner = PartnerRecord {
            chili_meeting_types: vec!["Demo".into()],
            ..PartnerRecord::new_active("P1", "Acme", "acme", now)
        };
        ctx.store
            .put(partner_item(&partner).unwrap(), None)
            .await
            .unwrap();
        let key = meeting_type_key("Demo");
        let mut guard = Item::new();
        guard.insert("pk".into(), key.pk.into());
        guard.insert("sk".into(), key.sk.into());
        guard.insert("entity".into(), "meeting_type_guard".into());
        guard.insert("partnerId".into(), "P1".into());
        ctx.store.put(guard, None).await.unwrap();
        (parts, "P1".into())
    }

    /// A webhook receipt time, `seconds` after a fixed instant.
    fn received(seconds: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-02-01T00:00:00Z")
            .unwrap()
            .to_utc()
            + chrono::Duration::seconds(seconds)
    }

    fn event(id: &str, kind: &str, minutes: i64) -> ChiliPiperEvent {
        let start =
            DateTime::parse_from_rfc3339(T0).unwrap().to_utc() + chrono::Duration::minutes(minutes);
        serde_json::from_value(json!({
            "meetingIdChili": id, "eventType": kind, "meetingTypeName": "demo",
            "startTime": start, "guests": [{"email": "Gina@Guest.example", "firstName": "Gina"}]
        }))
        .unwrap()
    }

    async fn leads(ctx: &AppContext) -> Vec<LeadRecord> {
        ctx.store
            .query(&Query::partition(Index::Gsi1, "PARTNER#P1#LEADS"))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| from_item(i).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn every_delivery_order_ends_in_the_same_state() {
        let create = event("m1", "created", 0);
        let moved = event("m1", "rescheduled", 60);
        let cancel = event("m1", "canceled", 60);
        let orders = [
            vec![&create, &moved, &cancel],
            vec![&create, &cancel, &moved],
            vec![&moved, &create, &cancel],
            vec![&moved, &cancel, &create],
            vec![&cancel, &create, &moved],
            vec![&cancel, &moved, &create, &cancel, &moved, &create],
        ];
        for order in orders {
            let (parts, pid) = system().await;
            let ctx = &parts.context;
            for e in &order {
                apply_event(ctx, e, received(0)).await.unwrap();
            }
            let meeting = crate::meetings_store::get_meeting(&*ctx.store, "m1")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(meeting.status, MeetingStatus::Canceled);
            assert_eq!(
                timestamp(meeting.scheduled_time),
                "2030-03-01T16:00:00.000Z"
            );
            let leads = leads(ctx).await;
            assert_eq!(leads.len(), 1);
            assert_eq!(leads[0].email, "gina@guest.example");
            assert_eq!(leads[0].deal_status, DealStatus::Scheduled);
            assert_eq!(
                leads[0].scheduled_date.map(timestamp).as_deref(),
                Some("2030-03-01T16:00:00.000Z")
            );
            let partner = get_partner(&*ctx.store, &pid).await.unwrap().unwrap();
            assert_eq!((partner.total_leads, partner.total_appointments), (1, 1));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_deliveries_make_one_lead_and_count_once() {
        let (parts, pid) = system().await;
        let ctx = parts.context.clone();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let ctx = ctx.clone();
            let e = if i % 2 == 0 {
                event("m1", "created", 0)
            } else {
                event("m2", "created", 120)
            };
            tasks.push(tokio::spawn(async move {
                apply_event(&ctx, &e, received(0)).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let leads = leads(&ctx).await;
        assert_eq!(leads.len(), 1);
        assert_eq!(leads[0].meeting_starts.len(), 2);
        let partner = get_partner(&*ctx.store, &pid).await.unwrap().unwrap();
        assert_eq!((partner.total_leads, partner.total_appointments), (1, 2));
        assert_eq!(
            partner.last_appointment_date.map(timestamp).as_deref(),
            Some("2030-03-01T17:00:00.000Z")
        );
    }

    #[tokio::test]
    async fn unknown_meeting_types_are_kept_unrouted_once() {
        let (parts, _) = system().await;
        let ctx = &parts.context;
        let mut e = event("m9", "created", 0);
        e.meeting_type_name = "Nobody".into();
        assert_eq!(
            apply_event(ctx, &e, received(0)).await.unwrap(),
            Outcome::Unrouted
        );
        assert_eq!(
            apply_event(ctx, &e, received(0)).await.unwrap(),
            Outcome::Unrouted
        );
        let kept = crate::meetings_store::unrouted_events(&*ctx.store)
            .await
            .unwrap();
        assert_eq!(kept.len(), 1);
        assert!(leads(ctx).await.is_empty());
    }

    #[tokio::test]
    async fn of_two_reschedules_the_one_received_later_wins_whatever_the_delivery_order() {
        let (parts, _) = system().await;
        let ctx = &parts.context;
        apply_event(ctx, &event("m1", "created", 0), received(0))
            .await
            .unwrap();
        let first = event("m1", "rescheduled", 60);
        let second = event("m1", "rescheduled", 120);
        // The second reschedule is delivered before the first.
        apply_event(ctx, &second, received(20)).await.unwrap();
        assert_eq!(
            apply_event(ctx, &first, received(10)).await.unwrap(),
            Outcome::Unchanged
        );
        let meeting = crate::meetings_store::get_meeting(&*ctx.store, "m1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            timestamp(meeting.scheduled_time),
            "2030-03-01T17:00:00.000Z"
        );
        assert_eq!(meeting.last_received_at, Some(received(20)));
        let leads = leads(ctx).await;
        assert_eq!(
            leads[0].scheduled_date.map(timestamp).as_deref(),
            Some("2030-03-01T17:00:00.000Z")
        );
    }

    #[tokio::test]
    async fn a_meeting_whose_guest_changed_moves_to_the_new_lead_with_its_counters() {
        let (parts, pid) = system().await;
        let ctx = &parts.context;
        // A second partner routes "Sales"; the meeting moves there too.
        let now = ctx.clock.now();
        let other = PartnerRecord {
            chili_meeting_types: vec!["Sales".into()],
            ..PartnerRecord::new_active("P2", "Other", "other", now)
        };
        ctx.store
            .put(partner_item(&other).unwrap(), None)
            .await
            .unwrap();
        let key = meeting_type_key("Sales");
        let mut guard = Item::new();
        guard.insert("pk".into(), key.pk.into());
        guard.insert("sk".into(), key.sk.into());
        guard.insert("entity".into(), "meeting_type_guard".into());
        guard.insert("partnerId".into(), "P2".into());
        ctx.store.put(guard, None).await.unwrap();

        apply_event(ctx, &event("m1", "created", 0), received(0))
            .await
            .unwrap();
        let mut moved = event("m1", "updated", 30);
        moved.guests[0].email = Some("yves@other.example".into());
        apply_event(ctx, &moved, received(10)).await.unwrap();
        let p1_leads = leads(ctx).await;
        assert_eq!(p1_leads.len(), 2);
        let x = p1_leads
            .iter()
            .find(|l| l.email == "gina@guest.example")
            .unwrap();
        assert_eq!(x.scheduled_date, None, "no meeting left on the old lead");
        assert!(x.meeting_starts.is_empty());
        let y = p1_leads
            .iter()
            .find(|l| l.email == "yves@other.example")
            .unwrap();
        assert_eq!(
            y.scheduled_date.map(timestamp).as_deref(),
            Some("2030-03-01T15:30:00.000Z")
        );

        let mut rerouted = event("m1", "updated", 45);
        rerouted.guests[0].email = Some("zoe@else.example".into());
        rerouted.meeting_type_name = "Sales".into();
        apply_event(ctx, &rerouted, received(20)).await.unwrap();
        let meeting = crate::meetings_store::get_meeting(&*ctx.store, "m1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meeting.partner_id, "P2");
        let p1 = get_partner(&*ctx.store, &pid).await.unwrap().unwrap();
        let p2 = get_partner(&*ctx.store, "P2").await.unwrap().unwrap();
        assert_eq!((p1.total_leads, p1.total_appointments), (2, 0));
        assert_eq!((p2.total_leads, p2.total_appointments), (1, 1));
        let p1_leads = leads(ctx).await;
        assert!(p1_leads.iter().all(|l| l.scheduled_date.is_none()));
    }
}
