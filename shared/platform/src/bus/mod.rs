//! The event bus port: domain events for real-time fan-out.
//! EventBridge in production; in-process fan-out locally.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event: its type (`lead-listed`, `lead-sold`, ...) and its detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusEvent {
    pub detail_type: String,
    pub detail: Value,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("event bus error: {0}")]
pub struct BusError(pub String);

#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, events: &[BusEvent]) -> Result<(), BusError>;
}

type Subscriber = Arc<dyn Fn(&BusEvent) + Send + Sync>;

/// Hands every event to each subscriber, in process.
#[derive(Default)]
pub struct InProcessBus {
    subscribers: RwLock<Vec<Subscriber>>,
}

impl InProcessBus {
    pub fn subscribe(&self, subscriber: impl Fn(&BusEvent) + Send + Sync + 'static) {
        if let Ok(mut subs) = self.subscribers.write() {
            subs.push(Arc::new(subscriber));
        }
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[BusEvent]) -> Result<(), BusError> {
        let subs = self
            .subscribers
            .read()
            .map_err(|_| BusError("subscriber list poisoned".into()))?
            .clone();
        for event in events {
            tracing::debug!(detail_type = %event.detail_type, "bus event");
            for sub in &subs {
                sub(event);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn every_subscriber_sees_every_event() {
        let bus = InProcessBus::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..2 {
            let seen = seen.clone();
            bus.subscribe(move |e| seen.lock().unwrap().push(e.detail_type.clone()));
        }
        let e = BusEvent {
            detail_type: "lead-listed".into(),
            detail: Value::Null,
        };
        bus.publish(&[e.clone(), e]).await.unwrap();
        assert_eq!(seen.lock().unwrap().len(), 4);
    }
}
