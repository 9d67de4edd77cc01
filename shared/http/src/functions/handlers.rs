//! What each kind of handler looks like: the signatures of HTTP routes,
//! queue workers, stream handlers and schedule jobs, and the failures and
//! reports they return.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::router::UtoipaMethodRouter;

use pc_platform::AppState;
use pc_platform::queue::{BadMessage, QueueMessage};
use pc_platform::store::Key;

/// A worker's failure, and whether another try of the message can help.
///
/// - [`WorkerError::retry`] (alias [`WorkerError::new`]): something outside
///   the message failed — the store, a queue, email, a third party, a lost
///   race. The message is tried again with backoff, and after
///   [`MAX_RECEIVES`](pc_platform::queue::MAX_RECEIVES) receives the queue's
///   redrive policy moves it to the dead-letter queue.
/// - [`WorkerError::poison`]: the message itself is bad — its body does not
///   parse, names an unknown kind, or fails validation. No try can succeed,
///   so the runner puts it on the queue's dead-letter queue at once (listed
///   and redriven like any dead letter, once the cause is fixed) instead of
///   burning its tries. [`QueueMessage::parse`] answers this kind.
///
/// Stream handlers and bus rules have no dead-letter queue of their own:
/// there every error is retried.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct WorkerError {
    message: String,
    poison: bool,
}

impl WorkerError {
    /// A transient failure: the message is retried, then dead-lettered.
    pub fn retry(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            poison: false,
        }
    }

    /// Same as [`WorkerError::retry`]: a transient failure.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self::retry(message)
    }

    /// The message can never succeed (unreadable or invalid): it goes to
    /// the dead-letter queue at once, without retries.
    pub fn poison(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            poison: true,
        }
    }

    /// Whether the message itself is bad, so retrying it is pointless.
    pub fn is_poison(&self) -> bool {
        self.poison
    }
}

/// An unreadable message body is poison.
impl From<BadMessage> for WorkerError {
    fn from(e: BadMessage) -> Self {
        Self::poison(e)
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
