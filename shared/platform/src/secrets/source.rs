//! Where a deployed function reads its secrets: the port, whose adapter
//! is Secrets Manager (`pc_aws::secrets`).

use async_trait::async_trait;

use super::Secret;

/// The secret store of a deployed function.
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// The current value (`AWSCURRENT`) of each of `secrets`, in as few
    /// calls as the store allows; every one must exist.
    async fn current(&self, secrets: &[Secret]) -> Result<Vec<(Secret, String)>, SecretsError>;

    /// The value before the last rotation (`AWSPREVIOUS`) of each of
    /// `secrets` that has one.
    async fn previous(&self, secrets: &[Secret]) -> Result<Vec<(Secret, String)>, SecretsError>;
}

/// A secret that could not be read, or whose value is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    /// Missing, not readable by this function's role, or without a string
    /// value: a deployment error, which stops the function at start.
    #[error("cannot read secret {secret} ({id}): {reason}")]
    Unreadable {
        secret: Secret,
        id: String,
        reason: String,
    },
    #[error("invalid secret {secret}: {reason}")]
    Invalid { secret: Secret, reason: String },
    /// The store did not answer (network, throttling): worth a retry.
    #[error("the secret store is unavailable: {0}")]
    Unavailable(String),
}
