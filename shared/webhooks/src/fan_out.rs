//! The fan-out: a partner event on the `webhook-deliveries` queue becomes
//! one delivery for each partner it concerns whose webhook subscribes to
//! its type, each created with its first attempt message in one
//! transaction. The delivery's id derives from the event and the partner
//! and is created only if absent, so an event that arrives twice makes
//! each delivery once.
//!
//! The body every attempt of a delivery sends (and signs) is fixed here:
//! `{"id", "type", "occurredAt", "data"}` of the event.

use serde_json::json;

use pc_accounts::partners_store::{PartnerStatus, get_partner};
use pc_http::AppState;
use pc_http::partner_events::{PartnerEvent, subscribes_to};
use pc_platform::outbox::Outbox;
use pc_platform::store::{Guard, Transaction};
use pc_platform::time::timestamp;

use crate::WebhookError;
use crate::attempt::AttemptMessage;
use crate::deliveries_store::{self, DeliveryRecord};

/// The delivery of this event to this partner exists already.
const DELIVERY: Guard = Guard::new("delivery");

/// What one fan-out did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FanOut {
    pub created: u64,
    /// Deliveries made by an earlier copy of the same event.
    pub existing: u64,
    /// Partners without a webhook subscribed to the type (or inactive).
    pub not_subscribed: u64,
}

/// The body of every delivery of `event`.
pub fn delivery_body(event: &PartnerEvent) -> String {
    json!({
        "id": event.id,
        "type": event.event_type,
        "occurredAt": timestamp(event.occurred_at),
        "data": event.data,
    })
    .to_string()
}

pub async fn fan_out(ctx: &AppState, event: &PartnerEvent) -> Result<FanOut, WebhookError> {
    let mut done = FanOut::default();
    let body = delivery_body(event);
    let mut partners = event.partner_ids.clone();
    partners.sort();
    partners.dedup();
    for partner_id in &partners {
        let subscribed = get_partner(&*ctx.store, partner_id)
            .await?
            .filter(|p| p.status != PartnerStatus::Inactive)
            .and_then(|p| p.notification_preferences.webhook)
            .is_some_and(|hook| subscribes_to(&hook.events, &event.event_type));
        if !subscribed {
            done.not_subscribed += 1;
            continue;
        }
        let now = ctx.clock.now();
        let record = DeliveryRecord::new(partner_id, event, body.clone(), now);
        let message = AttemptMessage::first(&record);
        let mut outbox = Outbox::new(ctx.ids.new_id(), now);
        outbox.push_message(&message.id(), &message)?;
        let mut writes = Vec::new();
        outbox.add_to(&mut writes)?;
        let mut transaction = Transaction::new();
        transaction.guarded(DELIVERY, deliveries_store::create(&record)?);
        transaction.extend(writes);
        match transaction.commit(&*ctx.store).await {
            Ok(()) => done.created += 1,
            Err(e) if e.failed(DELIVERY) => done.existing += 1,
            // A conflict (another copy creating it right now) fails the
            // message too: its retry finds the delivery made, or makes it.
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}
