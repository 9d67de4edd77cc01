//! What can stop a webhook step, and what each failure means: a [`Failure`]
//! (which the HTTP layer answers), or for a queue message or a scheduled
//! run.

use pc_http::functions::{JobError, WorkerError};
use pc_platform::cipher::CipherError;
use pc_platform::failure::Failure;
use pc_platform::queue::QueueError;
use pc_platform::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("partner not found")]
    PartnerNotFound,
    #[error("webhook delivery not found")]
    DeliveryNotFound,
    #[error("not a webhook-deliveries message: {0}")]
    BadMessage(String),
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<WebhookError> for Failure {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::PartnerNotFound => Failure::NotFound("partner"),
            WebhookError::DeliveryNotFound => Failure::NotFound("webhook delivery"),
            WebhookError::Store(s) => s.into(),
            WebhookError::Queue(q) => q.into(),
            other => Failure::internal(other),
        }
    }
}

impl From<WebhookError> for WorkerError {
    fn from(e: WebhookError) -> Self {
        WorkerError::new(e)
    }
}

impl From<WebhookError> for JobError {
    fn from(e: WebhookError) -> Self {
        JobError::new(e)
    }
}
