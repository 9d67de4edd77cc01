//! A queue that fails on demand: wraps another queue and refuses every send
//! while switched to failing, so tests (and the dev server, when asked) can
//! show that a change survives an unavailable queue and its messages arrive
//! once the queue is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use super::{DeadLetter, Queue, QueueError, QueueName};

/// The switch shared by a test and the queue it controls.
#[derive(Debug, Default)]
pub struct QueueFaults {
    failing: AtomicBool,
}

impl QueueFaults {
    /// Every send fails from now on.
    pub fn fail(&self) {
        self.failing.store(true, Ordering::SeqCst);
    }

    /// Sends go through again.
    pub fn restore(&self) {
        self.failing.store(false, Ordering::SeqCst);
    }

    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::SeqCst)
    }
}

pub struct FaultyQueue {
    inner: Arc<dyn Queue>,
    faults: Arc<QueueFaults>,
}

impl FaultyQueue {
    pub fn new(inner: Arc<dyn Queue>, faults: Arc<QueueFaults>) -> Self {
        Self { inner, faults }
    }
}

#[async_trait]
impl Queue for FaultyQueue {
    async fn send(&self, queue: QueueName, body: &str) -> Result<(), QueueError> {
        if self.faults.is_failing() {
            return Err(QueueError::Backend(format!(
                "queue {queue} is unavailable (failing on demand)"
            )));
        }
        self.inner.send(queue, body).await
    }

    async fn send_delayed(
        &self,
        queue: QueueName,
        body: &str,
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        if self.faults.is_failing() {
            return Err(QueueError::Backend(format!(
                "queue {queue} is unavailable (failing on demand)"
            )));
        }
        self.inner.send_delayed(queue, body, delay).await
    }

    async fn dead_letters(
        &self,
        queue: QueueName,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        self.inner.dead_letters(queue, limit).await
    }

    async fn redrive(&self, queue: QueueName) -> Result<usize, QueueError> {
        self.inner.redrive(queue).await
    }
}
