//! What can stop a billing step, and what each failure means: a
//! [`Failure`] (which the HTTP layer answers), or for a queue message.

use pc_http::functions::{JobError, WorkerError};
use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;
use pc_platform::payments::PaymentError;
use pc_platform::queue::QueueError;
use pc_platform::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("the partner has no billing configuration")]
    NotConfigured,
    #[error("partner not found")]
    PartnerNotFound,
    #[error("invoice {0} not found")]
    InvoiceNotFound(String),
    /// A try to draft the invoice began over a day ago and did not finish:
    /// whether Stripe made the draft can no longer be told by the
    /// idempotency key, so a person checks Stripe before it goes on.
    #[error("invoice {0} needs review: its Stripe draft was begun over a day ago")]
    NeedsReview(String),
    /// An idempotency key sent again with a different request.
    #[error("this idempotency key was used for a different request")]
    KeyReused,
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<BillingError> for Failure {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::NotConfigured => Failure::conflict(
                ErrorCode::BillingNotConfigured,
                "the partner has no billing configuration; set it first",
            ),
            BillingError::PartnerNotFound => Failure::NotFound("partner"),
            BillingError::InvoiceNotFound(_) => Failure::NotFound("invoice"),
            BillingError::NeedsReview(id) => Failure::conflict(
                ErrorCode::InvoiceNeedsReview,
                format!("invoice {id} needs review: its Stripe draft was begun over a day ago"),
            ),
            BillingError::KeyReused => Failure::conflict(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            ),
            BillingError::Payment(PaymentError::Unavailable(m)) => Failure::unavailable(m),
            BillingError::Payment(p) => Failure::conflict(ErrorCode::PaymentRefused, p.to_string()),
            BillingError::Store(s) => s.into(),
            BillingError::Queue(q) => q.into(),
        }
    }
}

impl From<BillingError> for WorkerError {
    fn from(e: BillingError) -> Self {
        WorkerError::new(e)
    }
}

impl From<BillingError> for JobError {
    fn from(e: BillingError) -> Self {
        JobError::new(e)
    }
}
