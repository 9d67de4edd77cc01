//! The `webhook-deliveries` queue worker. The queue carries two messages:
//! a partner event (the fan-out message, from the activities capability)
//! and an attempt of one delivery (from the fan-out, a retry or a
//! redelivery). Each is applied once however often it arrives.

use serde::Deserialize;

use pc_http::functions::WorkerError;
use pc_http::partner_events::PartnerEvent;
use pc_http::{AppState, QueueMessage};

use crate::attempt::{AttemptMessage, run_attempt};
use crate::fan_out::fan_out;

#[derive(Deserialize)]
#[serde(untagged)]
enum DeliveriesMessage {
    Attempt(AttemptMessage),
    Event(PartnerEvent),
}

pub async fn webhook_deliveries_worker(
    ctx: &AppState,
    message: &QueueMessage,
) -> Result<(), WorkerError> {
    let parsed: DeliveriesMessage = message.parse()?;
    match parsed {
        DeliveriesMessage::Attempt(attempt) => {
            let result = run_attempt(ctx, &attempt).await?;
            tracing::debug!(delivery_id = %attempt.delivery_id, attempt = attempt.attempt, ?result, "webhook attempt");
        }
        DeliveriesMessage::Event(event) => {
            let done = fan_out(ctx, &event).await?;
            tracing::debug!(event_id = %event.id, ?done, "webhook fan-out");
        }
    }
    Ok(())
}
