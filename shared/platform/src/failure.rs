//! Why a use case refused or could not finish, in the domain's words: no
//! HTTP status here. The HTTP layer maps each kind to its answer in one
//! place (`pc_http`'s `From<Failure> for ApiError`); workers and schedules
//! log or retry it.

use crate::error_code::ErrorCode;
use crate::queue::QueueError;
use crate::store::StoreError;

/// One problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// No such record, or one the caller may not see (tenancy answers
    /// "not found", never "forbidden").
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input fields are wrong, each named with its problem.
    #[error("invalid input: {}", fields(.0))]
    Invalid(Vec<FieldError>),
    /// The request cannot be carried out as asked.
    #[error("{1}")]
    Refused(ErrorCode, String),
    /// The records' current state does not allow it.
    #[error("{1}")]
    Conflict(ErrorCode, String),
    /// The caller's role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The caller may not do this, for the reason the code names (and
    /// the fields it may not set, if any).
    #[error("{message}")]
    Denied {
        code: ErrorCode,
        message: String,
        details: Vec<FieldError>,
    },
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

fn fields(details: &[FieldError]) -> String {
    let names: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
    names.join(", ")
}

impl Failure {
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn denied(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure::Denied {
            code,
            message: message.into(),
            details: Vec::new(),
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
