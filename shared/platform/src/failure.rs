//! Why a use case refused or could not finish, in the domain's words: no
//! HTTP status here. The HTTP layer maps each kind to its answer in one
//! place (`pc_api`'s `From<Failure> for ApiError`); workers and schedules
//! log or retry it.

use crate::error_code::ErrorCode;
use crate::queue::QueueError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// No such record, or one the caller may not see (tenancy answers
    /// "not found", never "forbidden").
    #[error("{0} not found")]
    NotFound(&'static str),
    /// One input field is wrong.
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// The request cannot be carried out as asked.
    #[error("{1}")]
    Refused(ErrorCode, String),
    /// The records' current state does not allow it.
    #[error("{1}")]
    Conflict(ErrorCode, String),
    /// The caller's role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The caller may not do this, for the reason the code names.
    #[error("{1}")]
    Denied(ErrorCode, String),
    /// A third party asks to slow down.
    #[error("rate limited for {0} s")]
    RateLimited(u64),
    /// A dependency is down; retrying later may work.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A broken invariant or a deployment mistake: logged, never shown.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl Failure {
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure::Conflict(code, message.into())
    }

    pub fn refused(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure::Refused(code, message.into())
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        Failure::Unavailable(cause.to_string())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Failure::Internal(cause.to_string())
    }
}
