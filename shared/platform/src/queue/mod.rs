//! The queue port: the system's SQS standard queues, each with a
//! dead-letter queue after five receives.

pub mod embedded;
pub mod faults;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How many receives a message gets before it moves to its dead-letter queue.
pub const MAX_RECEIVES: u32 = 5;

/// The queues of the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueueName {
    HubspotWebhook,
    ChilipiperWebhook,
    StripeWebhook,
    Events,
    SyncLeads,
    PartnerApiLead,
    Emails,
    WebhookDeliveries,
    /// One message per partner and month to invoice.
    Billing,
    /// One message per page of partners told about a new listing.
    Marketplace,
    /// One message per page of a marketplace browse index rewrite (a
    /// listing changed, or a buyer's ICP).
    BrowseIndex,
}

impl QueueName {
    pub const ALL: [QueueName; 11] = [
        QueueName::HubspotWebhook,
        QueueName::ChilipiperWebhook,
        QueueName::StripeWebhook,
        QueueName::Events,
        QueueName::SyncLeads,
        QueueName::PartnerApiLead,
        QueueName::Emails,
        QueueName::WebhookDeliveries,
        QueueName::Billing,
        QueueName::Marketplace,
        QueueName::BrowseIndex,
    ];

    /// The queue's name (`chilipiper-webhook`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::HubspotWebhook => "hubspot-webhook",
            QueueName::ChilipiperWebhook => "chilipiper-webhook",
            QueueName::StripeWebhook => "stripe-webhook",
            QueueName::Events => "events",
            QueueName::SyncLeads => "sync-leads",
            QueueName::PartnerApiLead => "partner-api-lead",
            QueueName::Emails => "emails",
            QueueName::WebhookDeliveries => "webhook-deliveries",
            QueueName::Billing => "billing",
            QueueName::Marketplace => "marketplace",
            QueueName::BrowseIndex => "browse-index",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == name)
    }

    /// The environment variable holding this queue's URL (`EMAILS_QUEUE_URL`).
    pub fn url_env(self) -> String {
        format!(
            "{}_QUEUE_URL",
            self.as_str().replace('-', "_").to_uppercase()
        )
    }
}

impl std::fmt::Display for QueueName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message handed to a worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueMessage {
    pub id: String,
    pub body: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
}

impl QueueMessage {
    /// Reads the body as a `T`. A body that does not parse can never be
    /// handled, whatever the number of tries: the error says so (a worker's
    /// `?` turns it into a poison failure, dead-lettered at once). It names
    /// the expected type and serde's reason, never the body, which may hold
    /// personal data.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, BadMessage> {
        serde_json::from_str(&self.body).map_err(|e| BadMessage {
            expected: std::any::type_name::<T>(),
            reason: e.to_string(),
        })
    }
}

/// A message body that is not what its queue carries.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("the body is not a {expected}: {reason}")]
pub struct BadMessage {
    /// The Rust type the body should have been.
    pub expected: &'static str,
    pub reason: String,
}

/// A message that failed every try and waits in a dead-letter queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub id: String,
    pub queue: String,
    pub body: String,
    pub receive_count: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum QueueError {
    #[error("queue backend error: {0}")]
    Backend(String),
    #[error("message too large: {0} bytes")]
    TooLarge(usize),
}

/// Longest delay SQS allows on a message (15 minutes).
pub const MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(900);

/// Largest message body SQS accepts.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The queue port.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends a message receivers see at once: [`Queue::send_delayed`] with
    /// no delay, the one way every adapter sends.
    async fn send(&self, queue: QueueName, body: &str) -> Result<(), QueueError> {
        self.send_delayed(queue, body, std::time::Duration::ZERO)
            .await
    }
    /// Sends a message that no receiver sees before `delay` has passed (at
    /// most [`MAX_DELAY`], as SQS): work told to wait by a rate limit goes
    /// back on its queue instead of being dropped.
    async fn send_delayed(
        &self,
        queue: QueueName,
        body: &str,
        delay: std::time::Duration,
    ) -> Result<(), QueueError>;
    /// Up to `limit` dead letters of `queue`, oldest first.
    async fn dead_letters(
        &self,
        queue: QueueName,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError>;
    /// Puts `body` straight on the dead-letter queue of `queue`, where it is
    /// listed and redriven like a message that used up its tries: what a
    /// runner does with a poison message. `reason` is kept where the backend
    /// can keep it (SQS cannot).
    async fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError>;
    /// Moves every dead letter of `queue` back onto it; answers how many
    /// moved. A poison message whose cause is not fixed fails again at once
    /// and may come back while this runs: it is not moved a second time, so
    /// a redrive always ends.
    async fn redrive(&self, queue: QueueName) -> Result<usize, QueueError>;
}

/// The body of one queue's messages, as producer and worker share it: the
/// type names its queue, so a sender cannot put it on another one and the
/// worker reads the type it was sent as ([`QueueMessage::parse`]). Bodies
/// are the type's JSON, the wire format every queue has always carried.
pub trait Message: Serialize + serde::de::DeserializeOwned + Send + Sync {
    /// The queue that carries this message.
    const QUEUE: QueueName;
}

/// The JSON body of `message`, refused when larger than SQS accepts.
fn message_body<T: Serialize + ?Sized>(message: &T) -> Result<String, QueueError> {
    let body = serde_json::to_string(message).map_err(|e| QueueError::Backend(e.to_string()))?;
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(QueueError::TooLarge(body.len()));
    }
    Ok(body)
}

impl dyn Queue + '_ {
    /// Sends `message` to its queue.
    pub async fn send_message<M: Message>(&self, message: &M) -> Result<(), QueueError> {
        self.send_message_delayed(message, std::time::Duration::ZERO)
            .await
    }

    /// Sends `message` to its queue, seen by no receiver before `delay`
    /// (see [`Queue::send_delayed`]).
    pub async fn send_message_delayed<M: Message>(
        &self,
        message: &M,
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        let body = message_body(message)?;
        self.send_delayed(M::QUEUE, &body, delay).await
    }
}
