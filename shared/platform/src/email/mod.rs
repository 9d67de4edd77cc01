//! The email port: sends one rendered message. SES in production; a mailbox
//! kept in the store locally, readable at `GET /dev/mailbox`.

pub mod data;
pub mod mailbox;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A rendered email, ready to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingEmail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EmailError {
    /// The provider asked us to slow down: try again later.
    #[error("email provider throttled the send")]
    Throttled,
    /// The provider refused this message; retrying will not help.
    #[error("email rejected: {0}")]
    Rejected(String),
    #[error("email backend error: {0}")]
    Backend(String),
}

/// The email port.
#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends the message and answers the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, EmailError>;
}

/// The kinds of email the system sends, one template each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    Invitation,
    RegistrationVerification,
    PasswordReset,
    LeadReminder,
    LostLeadAlert,
    NewLeadNotice,
    PaymentFailed,
    ReservationExpiring,
    ReservationExpired,
    LeadSold,
    PurchaseConfirmed,
    /// A marketplace payment was refunded in full: it came after the
    /// purchase could no longer complete, or staff settled a complaint.
    PurchaseRefunded,
    /// A lead matching the partner's ICP was listed on the marketplace.
    MarketplaceMatch,
    HubspotDisconnected,
    /// A webhook delivery failed for 24 hours and was given up.
    WebhookFailed,
}

impl EmailKind {
    pub const ALL: [EmailKind; 15] = [
        EmailKind::Invitation,
        EmailKind::RegistrationVerification,
        EmailKind::PasswordReset,
        EmailKind::LeadReminder,
        EmailKind::LostLeadAlert,
        EmailKind::NewLeadNotice,
        EmailKind::PaymentFailed,
        EmailKind::ReservationExpiring,
        EmailKind::ReservationExpired,
        EmailKind::LeadSold,
        EmailKind::PurchaseConfirmed,
        EmailKind::PurchaseRefunded,
        EmailKind::MarketplaceMatch,
        EmailKind::HubspotDisconnected,
        EmailKind::WebhookFailed,
    ];

    /// The template file stem (`password_reset`).
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Invitation => "invitation",
            EmailKind::RegistrationVerification => "registration_verification",
            EmailKind::PasswordReset => "password_reset",
            EmailKind::LeadReminder => "lead_reminder",
            EmailKind::LostLeadAlert => "lost_lead_alert",
            EmailKind::NewLeadNotice => "new_lead_notice",
            EmailKind::PaymentFailed => "payment_failed",
            EmailKind::ReservationExpiring => "reservation_expiring",
            EmailKind::ReservationExpired => "reservation_expired",
            EmailKind::LeadSold => "lead_sold",
            EmailKind::PurchaseConfirmed => "purchase_confirmed",
            EmailKind::PurchaseRefunded => "purchase_refunded",
            EmailKind::MarketplaceMatch => "marketplace_match",
            EmailKind::HubspotDisconnected => "hubspot_disconnected",
            EmailKind::WebhookFailed => "webhook_failed",
        }
    }
}

/// A request to send one email, as it travels on the `emails` queue. The
/// worker renders `kind` with `data` and sends it once per `id`, however
/// often the message is delivered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailJob {
    /// Idempotency key: one email per id, ever.
    pub id: String,
    pub kind: EmailKind,
    pub to: String,
    pub data: serde_json::Value,
}

impl EmailJob {
    /// The job that sends `data`'s kind of email to `to`, once per `id`.
    pub fn new<D: data::EmailData>(id: String, to: String, data: &D) -> Self {
        Self {
            id,
            kind: D::KIND,
            to,
            // The data types are structs of strings, numbers and JSON
            // values, which always serialize.
            data: serde_json::to_value(data).expect("email data serializes"),
        }
    }
}

impl crate::queue::Message for EmailJob {
    const QUEUE: crate::queue::QueueName = crate::queue::QueueName::Emails;
}

/// Puts an email on the `emails` queue (never sent inline: a slow or failing
/// provider must not hold up an API answer).
pub async fn enqueue(
    queue: &dyn crate::queue::Queue,
    job: &EmailJob,
) -> Result<(), crate::queue::QueueError> {
    queue.send_message(job).await
}

/// Puts an email in `outbox`, so it is sent once the change that causes it
/// commits (and only then); the worker sends each job id once.
pub fn add_to_outbox(
    outbox: &mut crate::outbox::Outbox,
    job: &EmailJob,
) -> Result<(), crate::store::StoreError> {
    outbox.push_message(&job.id, job)
}
