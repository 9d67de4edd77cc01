//! What each kind of handler looks like: the signatures of HTTP routes,
//! queue workers, stream handlers and schedule jobs, and the failures and
//! reports they return.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::router::UtoipaMethodRouter;

use pc_platform::AppState;
use pc_platform::queue::QueueMessage;
use pc_platform::store::Key;

/// A worker's failure: the message is retried, then dead-lettered.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WorkerError(pub String);

impl WorkerError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self(message.to_string())
    }
}

/// A schedule run's failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

impl JobError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self(message.to_string())
    }
}

/// What a schedule run did: counts by name and a note for the log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobReport {
    pub counts: Map<String, Value>,
    pub note: Option<String>,
}

impl JobReport {
    pub fn count(mut self, name: &str, value: u64) -> Self {
        self.counts.insert(name.to_owned(), value.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

pub type HttpRouteFn = fn() -> UtoipaMethodRouter<AppState>;
pub type WorkerFn =
    for<'a> fn(&'a AppState, &'a QueueMessage) -> BoxFuture<'a, Result<(), WorkerError>>;
pub type StreamFn = for<'a> fn(&'a AppState, &'a Key) -> BoxFuture<'a, Result<(), WorkerError>>;
pub type JobFn =
    for<'a> fn(&'a AppState, DateTime<Utc>) -> BoxFuture<'a, Result<JobReport, JobError>>;
