//! What can stop a HubSpot step, and what each failure means: a [`Failure`]
//! (which the HTTP layer answers), or for a queue message or a schedule
//! run. No message carries a token.

use pc_http::functions::{JobError, WorkerError};
use pc_platform::crm::CrmError;
use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;
use pc_platform::store::StoreError;

use crate::token_cipher::CipherError;

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("the partner has not connected HubSpot")]
    NotConnected,
    /// HubSpot refused the connection's refresh token: the partner must
    /// connect again.
    #[error("the HubSpot connection is unhealthy; the partner must connect again")]
    Unhealthy,
    #[error(transparent)]
    Crm(#[from] CrmError),
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConnectionError {
    /// Whether the same step may succeed later (a worker retries it).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Crm(e) => e.is_retryable(),
            Self::Store(_) => true,
            _ => false,
        }
    }
}

impl From<ConnectionError> for Failure {
    fn from(e: ConnectionError) -> Self {
        match e {
            ConnectionError::NotConnected => Failure::conflict(
                ErrorCode::HubspotNotConnected,
                "the partner has not connected HubSpot",
            ),
            ConnectionError::Unhealthy | ConnectionError::Crm(CrmError::Unauthorized) => {
                Failure::conflict(
                    ErrorCode::HubspotUnhealthy,
                    "HubSpot refused the connection's token: connect HubSpot again (GET /v1/integrations/hubspot/authorize?partnerId=…)",
                )
            }
            ConnectionError::Crm(CrmError::RateLimited { retry_after }) => {
                Failure::RateLimited(retry_after.as_secs().max(1))
            }
            ConnectionError::Crm(CrmError::Unavailable(m)) => Failure::unavailable(m),
            ConnectionError::Crm(CrmError::Refused(m)) => {
                Failure::conflict(ErrorCode::HubspotRefused, m)
            }
            ConnectionError::Cipher(c) => Failure::internal(c),
            ConnectionError::Store(s) => s.into(),
        }
    }
}

impl From<ConnectionError> for WorkerError {
    fn from(e: ConnectionError) -> Self {
        WorkerError::new(e)
    }
}

impl From<ConnectionError> for JobError {
    fn from(e: ConnectionError) -> Self {
        JobError::new(e)
    }
}
