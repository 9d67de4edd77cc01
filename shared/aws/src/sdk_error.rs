//! What every adapter needs to know about a failed AWS SDK call: the
//! service's error code (when the service answered at all) and a message
//! carrying the whole error chain, for logs and `Backend` errors.

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// A failed call, reduced to what adapters decide on.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The service's error code (`ConditionalCheckFailedException`), if the
    /// service answered; `None` for timeouts, connection or build errors.
    pub code: Option<String>,
    /// The service's own message, or the error chain when there is none.
    pub message: String,
}

impl Failure {
    pub fn code_is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Reduces any SDK error (of any AWS service client) to a [`Failure`].
pub(crate) fn failure<E, R>(err: &SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug,
{
    let code = err.code().map(str::to_owned);
    let message = match err.message() {
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => DisplayErrorContext(err).to_string(),
    };
    Failure { code, message }
}

/// Error codes AWS services use to say "slow down".
pub(crate) const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "LimitExceededException",
];
