//! Recording one partner event: an activity for each partner it concerns,
//! one more unread on each partner's counter, and the event itself as the
//! fan-out message on the `webhook-deliveries` queue, all in one
//! transaction. The activities are written only if none exists yet, so
//! they are the event's guard: a redelivered source finds them and
//! changes nothing, and the event is sent once.

use chrono::{DateTime, Utc};

use pc_http::partner_events::{EVENT_TYPES, PartnerEvent};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{StoreError, Transaction, Update, Write};

use crate::activities_store::{Activity, activity_item, counter_key};
use crate::unread_counter::{day_attribute, expires_at};

/// Most partners one event concerns (two writes each, in one transaction).
pub const MAX_PARTNERS: usize = 40;

/// What recording an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The activities were written and the event queued.
    New,
    /// The event was recorded before; nothing changed.
    Duplicate,
    /// The event expired before it arrived (its activities would be gone
    /// already); nothing is kept.
    Expired,
}

fn check(event: &PartnerEvent) -> Result<Vec<String>, StoreError> {
    if !EVENT_TYPES.contains(&event.event_type.as_str()) {
        return Err(StoreError::Invalid(format!(
            "{} is not a partner event type",
            event.event_type
        )));
    }
    let mut partners = Vec::new();
    for id in &event.partner_ids {
        if !id.is_empty() && !partners.contains(id) {
            partners.push(id.clone());
        }
    }
    if partners.is_empty() || partners.len() > MAX_PARTNERS {
        return Err(StoreError::Invalid(format!(
            "a partner event concerns 1 to {MAX_PARTNERS} partners, not {}",
            partners.len()
        )));
    }
    Ok(partners)
}

/// The writes that record `event` at `now` (activities first, then the
/// counters), with its fan-out message added to `outbox`; none when the
/// event has expired already. The caller commits them, with `outbox`, in
/// its own transaction.
pub fn event_writes(
    event: &PartnerEvent,
    outbox: &mut Outbox,
    now: DateTime<Utc>,
) -> Result<Vec<Write>, StoreError> {
    let partners = check(event)?;
    if expires_at(event.occurred_at) <= now {
        return Ok(Vec::new());
    }
    let mut activities = Vec::new();
    let mut counters = Vec::new();
    for partner_id in &partners {
        let activity = Activity {
            id: event.id.clone(),
            partner_id: partner_id.clone(),
            event_type: event.event_type.clone(),
            occurred_at: event.occurred_at,
            read: false,
            read_at: None,
            data: event.data.clone(),
        };
        activities.push(Write::put_new(activity_item(&activity)?));
        counters.push(Write::Update(
            Update::new(counter_key(partner_id))
                .set("entity", "activity_unread")
                .set("partnerId", partner_id.as_str())
                .add(&day_attribute(event.occurred_at), 1),
        ));
    }
    let message = PartnerEvent {
        partner_ids: partners,
        ..event.clone()
    };
    outbox.push_message(&event.id, &message)?;
    activities.extend(counters);
    Ok(activities)
}

/// Records `event` in a transaction of its own (a source with no change
/// of its own to commit it with, such as a bus event).
pub async fn record_event(ctx: &AppContext, event: &PartnerEvent) -> Result<Recorded, StoreError> {
    let now = ctx.clock.now();
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    let mut writes = event_writes(event, &mut outbox, now)?;
    if writes.is_empty() {
        return Ok(Recorded::Expired);
    }
    outbox.add_to(&mut writes)?;
    // Another event of the same partner may move its counter at once.
    match Transaction::from(writes).commit_retrying(&*ctx.store).await {
        Ok(()) => Ok(Recorded::New),
        Err(e) if e.is_condition_failure() => Ok(Recorded::Duplicate),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use pc_platform::EmbeddedParts;
    use pc_platform::queue::QueueName;
    use serde_json::json;

    use crate::activities_store::{feed, unread_count_of};

    fn event(id: &str, partners: &[&str], at: DateTime<Utc>) -> PartnerEvent {
        PartnerEvent {
            id: id.into(),
            event_type: "marketplace.lead_reserved".into(),
            partner_ids: partners.iter().map(|p| p.to_string()).collect(),
            occurred_at: at,
            data: json!({"leadId": "L"}),
        }
    }

    #[tokio::test]
    async fn an_event_is_recorded_once_for_each_partner_and_sent_once() {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let now = ctx.clock.now();
        let reserved = event("lead-reserved:R1", &["S", "B", "S"], now);
        assert_eq!(record_event(ctx, &reserved).await.unwrap(), Recorded::New);
        assert_eq!(
            record_event(ctx, &reserved).await.unwrap(),
            Recorded::Duplicate
        );
        for partner in ["S", "B"] {
            let (list, _) = feed(&*ctx.store, partner, false, now).await.unwrap();
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].id, "lead-reserved:R1");
            assert_eq!(unread_count_of(&*ctx.store, partner, now).await.unwrap(), 1);
        }
        let sent = parts
            .queue
            .receive(QueueName::WebhookDeliveries, 10)
            .await
            .unwrap();
        assert_eq!(sent.len(), 1, "one fan-out message");
        let body: PartnerEvent = serde_json::from_str(&sent[0].body).unwrap();
        assert_eq!(
            (body.id.as_str(), body.partner_ids),
            ("lead-reserved:R1", vec!["S".to_owned(), "B".to_owned()])
        );
        assert_eq!(body.event_type, "marketplace.lead_reserved");
    }

    #[tokio::test]
    async fn bad_events_are_refused_and_expired_ones_kept_nowhere() {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let now = ctx.clock.now();
        let mut unknown = event("x", &["P"], now);
        unknown.event_type = "lead.deleted".into();
        assert!(record_event(ctx, &unknown).await.is_err());
        assert!(record_event(ctx, &event("y", &[], now)).await.is_err());
        let old = event("z", &["P"], now - Duration::days(200));
        assert_eq!(record_event(ctx, &old).await.unwrap(), Recorded::Expired);
        assert!(
            feed(&*ctx.store, "P", false, now)
                .await
                .unwrap()
                .0
                .is_empty()
        );
    }
}
