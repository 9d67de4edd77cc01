//! The email port: sends one rendered message. SES in production; a mailbox
//! kept in the store locally, readable at `GET /dev/mailbox`.

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
