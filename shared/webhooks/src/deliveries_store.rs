//! Webhook delivery records: one per event and subscribed partner, at
//! `WEBHOOKDELIVERY#<id>` / `DELIVERY`, listed per partner on gsi1
//! (`PARTNER#<pid>#WEBHOOKDELIVERIES` / `<createdAt>#<id>`) and, while
//! pending, due on gsi2 (`WEBHOOKRETRIES` / `<nextAttemptAt>#<id>`) for
//! the `webhook-retries` sweep.
//!
//! The id derives from the event id and the partner id, and the record is
//! created on condition it does not exist, so an event delivered twice to
//! the fan-out makes one delivery. Every later write is conditional on the
//! `revision` read, so two workers never record the same attempt twice.
//!
//! Its items and their keys: [`crate::keys`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use pc_platform::store::{Condition, Item, Store, StoreError, Write, to_item};
use pc_platform::time::{serde_millis, timestamp};

use crate::keys::partner_deliveries_partition;
pub use crate::keys::{RETRIES_PARTITION, delivery_key};

/// Attempts kept on a record (the oldest go first); the count stays exact.
pub const KEPT_ATTEMPTS: usize = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: an attempt is due or under way.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt of 24 hours failed (or the webhook was removed).
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

/// One try of a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    /// 1 for the first attempt of the delivery, counting across redeliveries.
    pub number: u32,
    #[serde(with = "serde_millis")]
    pub at: DateTime<Utc>,
    pub url: String,
    /// The receiver's status code, when it answered.
    pub status_code: Option<u16>,
    /// Why no 2xx: refused address, timeout, connection error, status.
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    pub id: String,
    pub partner_id: String,
    pub event_id: String,
    pub event_type: String,
    #[serde(with = "serde_millis")]
    pub occurred_at: DateTime<Utc>,
    /// The exact JSON sent (and signed) on every attempt.
    pub body: String,
    pub state: DeliveryState,
    pub attempts: Vec<AttemptRecord>,
    pub attempt_count: u32,
    /// The attempt a worker took on (`attempt_count + 1` while it runs).
    pub claimed_attempt: u32,
    #[serde(default, with = "serde_millis::option")]
    pub claimed_at: Option<DateTime<Utc>>,
    /// 1, then one more per redelivery of a delivered or failed delivery.
    pub round: u32,
    /// The first attempt of this round: the 24 hours count from it.
    #[serde(default, with = "serde_millis::option")]
    pub window_started_at: Option<DateTime<Utc>>,
    #[serde(default, with = "serde_millis::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, with = "serde_millis::option")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default, with = "serde_millis::option")]
    pub failed_at: Option<DateTime<Utc>>,
    pub revision: u64,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

/// The delivery of `event_id` to `partner_id`: `whd_` and 32 hex digits of
/// their SHA-256 (a path identifier, the same however often it is made).
pub fn delivery_id(event_id: &str, partner_id: &str) -> String {
    let digest = Sha256::digest(format!("{event_id}\n{partner_id}"));
    format!("whd_{}", &hex::encode(digest)[..32])
}

impl DeliveryRecord {
    /// A pending delivery whose first attempt is due now.
    pub fn new(
        partner_id: &str,
        event: &pc_http::partner_events::PartnerEvent,
        body: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: delivery_id(&event.id, partner_id),
            partner_id: partner_id.to_owned(),
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            occurred_at: event.occurred_at,
            body,
            state: DeliveryState::Pending,
            attempts: Vec::new(),
            attempt_count: 0,
            claimed_attempt: 0,
            claimed_at: None,
            round: 1,
            window_started_at: None,
            next_attempt_at: Some(now),
            delivered_at: None,
            failed_at: None,
            revision: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// The number the next attempt takes.
    pub fn next_attempt(&self) -> u32 {
        self.attempt_count + 1
    }

    /// Appends an attempt, keeping the latest [`KEPT_ATTEMPTS`].
    pub fn push_attempt(&mut self, attempt: AttemptRecord) {
        self.attempts.push(attempt);
        self.attempt_count += 1;
        if self.attempts.len() > KEPT_ATTEMPTS {
            let extra = self.attempts.len() - KEPT_ATTEMPTS;
            self.attempts.drain(..extra);
        }
    }

    /// The failures of the current round.
    pub fn failures_this_round(&self) -> u32 {
        let start = self.window_started_at;
        self.attempts
            .iter()
            .filter(|a| start.is_some_and(|s| a.at >= s) && a.error.is_some())
            .count() as u32
    }
}

/// The stored item, with its key and index attributes.
pub fn delivery_item(record: &DeliveryRecord) -> Result<Item, StoreError> {
    let mut item = to_item(record)?;
    let key = delivery_key(&record.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "webhook_delivery".into());
    item.insert(
        "gsi1pk".into(),
        partner_deliveries_partition(&record.partner_id).into(),
    );
    item.insert(
        "gsi1sk".into(),
        format!("{}#{}", timestamp(record.created_at), record.id).into(),
    );
    if let (DeliveryState::Pending, Some(at)) = (record.state, record.next_attempt_at) {
        item.insert("gsi2pk".into(), RETRIES_PARTITION.into());
        item.insert(
            "gsi2sk".into(),
            format!("{}#{}", timestamp(at), record.id).into(),
        );
    }
    Ok(item)
}

/// Creates `record` unless a delivery with its id exists.
pub fn create(record: &DeliveryRecord) -> Result<Write, StoreError> {
    Ok(Write::put_new(delivery_item(record)?))
}

/// Replaces the record read at `revision` with `next` (whose revision is
/// one more).
pub fn replace(next: &DeliveryRecord, revision: u64) -> Result<Write, StoreError> {
    Ok(Write::Put {
        item: delivery_item(next)?,
        condition: Some(Condition::equals("revision", revision)),
    })
}

pub async fn get(store: &dyn Store, id: &str) -> Result<Option<DeliveryRecord>, StoreError> {
    store.get_as(&delivery_key(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_derive_from_the_event_and_the_partner() {
        let a = delivery_id("evt-1", "p1");
        assert_eq!(a, delivery_id("evt-1", "p1"));
        assert_ne!(a, delivery_id("evt-1", "p2"));
        assert_ne!(a, delivery_id("evt-2", "p1"));
        assert!(pc_http::path_params::is_identifier(&a));
        assert_eq!(a.len(), 36);
    }
}
