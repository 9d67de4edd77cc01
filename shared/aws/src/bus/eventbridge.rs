//! The event bus port on EventBridge: `PutEvents` on the configured bus,
//! source [`SOURCE`], in requests of at most [`MAX_ENTRIES`] events. Entries
//! EventBridge refuses make the publish fail, naming their error codes.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use pc_platform::bus::{BusError, BusEvent, EventBus};

use crate::lazy_client::LazyClient;
use crate::sdk_error::failure;

/// The `source` of every event the system publishes.
pub const SOURCE: &str = "partner-connector";
/// Most entries one `PutEvents` request holds.
pub const MAX_ENTRIES: usize = 10;

/// Publishes to one EventBridge bus.
#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: LazyClient<Client>,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: impl Into<LazyClient<Client>>, bus_name: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            bus_name: bus_name.into(),
        }
    }

    fn entry(&self, event: &BusEvent) -> Result<PutEventsRequestEntry, BusError> {
        let detail = serde_json::to_string(&event.detail).map_err(|e| BusError(e.to_string()))?;
        Ok(PutEventsRequestEntry::builder()
            .source(SOURCE)
            .detail_type(&event.detail_type)
            .detail(detail)
            .event_bus_name(&self.bus_name)
            .build())
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[BusEvent]) -> Result<(), BusError> {
        for chunk in events.chunks(MAX_ENTRIES) {
            let entries = chunk
                .iter()
                .map(|e| self.entry(e))
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| BusError(failure(&e).to_string()))?;
            if output.failed_entry_count > 0 {
                let reasons: Vec<String> = output
                    .entries()
                    .iter()
                    .zip(chunk)
                    .filter_map(|(result, event)| {
                        let code = result.error_code()?;
                        Some(format!(
                            "{} ({code}: {})",
                            event.detail_type,
                            result.error_message().unwrap_or_default()
                        ))
                    })
                    .collect();
                return Err(BusError(format!(
                    "{} of {} events refused: {}",
                    output.failed_entry_count,
                    chunk.len(),
                    reasons.join(", ")
                )));
            }
        }
        Ok(())
    }
}
