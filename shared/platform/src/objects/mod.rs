//! The object storage port: uploads too large for a request body (Lambda
//! takes at most 6 MB) go straight from the client to storage through a
//! presigned PUT URL, and the import reads them from there by key.

pub mod embedded;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ObjectError {
    #[error("the object is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the upload URL is invalid or expired")]
    BadSignature,
    #[error("this object store does not take uploads itself")]
    Unsupported,
    #[error("object store error: {0}")]
    Backend(String),
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A URL a client may `PUT` the object `key` to until `expires_at`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<String, ObjectError>;

    /// The object's bytes, `None` when absent; refused over `max_bytes`
    /// (checked before the body is read when the store knows the size).
    async fn get(&self, key: &str, max_bytes: usize) -> Result<Option<Vec<u8>>, ObjectError>;

    /// Removes the object (absent is fine).
    async fn delete(&self, key: &str) -> Result<(), ObjectError>;

    /// Takes an upload sent to a URL of [`ObjectStore::presign_put`], for
    /// stores whose URLs point at this system (the embedded one); others
    /// are uploaded to directly.
    async fn accept_upload(
        &self,
        _key: &str,
        _expires: i64,
        _signature: &str,
        _now: DateTime<Utc>,
        _bytes: Vec<u8>,
    ) -> Result<(), ObjectError> {
        Err(ObjectError::Unsupported)
    }
}
