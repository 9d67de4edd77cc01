//! What can stop a marketplace step, and what each failure means: a
//! [`Failure`] (which the HTTP layer answers), or for a queue message or a
//! scheduled run.

use pc_http::functions::{JobError, WorkerError};
use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;
use pc_platform::queue::QueueError;
use pc_platform::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error("lead not found")]
    LeadNotFound,
    #[error("reservation not found")]
    ReservationNotFound,
    /// The seller cannot take payments yet, so its leads cannot be sold.
    #[error("the seller's Stripe Connect account cannot accept charges yet")]
    ConnectNotEnabled,
    /// The lead is reserved or sold (listing) or not listed (reserving).
    #[error("the lead is {0}")]
    WrongLeadState(String),
    #[error("the reservation is {0}")]
    WrongReservationState(String),
    #[error("{0}")]
    Refused(ErrorCode, String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<MarketError> for Failure {
    fn from(e: MarketError) -> Self {
        match e {
            MarketError::LeadNotFound => Failure::NotFound("lead"),
            MarketError::ReservationNotFound => Failure::NotFound("reservation"),
            MarketError::ConnectNotEnabled => Failure::conflict(
                ErrorCode::StripeConnectNotEnabled,
                "connect a Stripe account that can accept charges and payouts before listing leads",
            ),
            MarketError::WrongLeadState(state) => {
                Failure::conflict(ErrorCode::LeadNotAvailable, format!("the lead is {state}"))
            }
            MarketError::WrongReservationState(state) => Failure::conflict(
                ErrorCode::ReservationNotActive,
                format!("the reservation is {state}"),
            ),
            MarketError::Refused(code, message) => Failure::conflict(code, message),
            MarketError::Store(s) => s.into(),
            MarketError::Queue(q) => q.into(),
        }
    }
}

impl From<MarketError> for WorkerError {
    fn from(e: MarketError) -> Self {
        WorkerError::new(e)
    }
}

impl From<MarketError> for JobError {
    fn from(e: MarketError) -> Self {
        JobError::new(e)
    }
}
