//! A queue that fails on demand: wraps another queue and refuses every send
//! while switched to failing, so tests (and the dev server, when asked) can
//! show that a change survives an unavailable queue and its messages arrive
//! once the queue is back. It also remembers each message it sent, so a
//! test sees what went to a queue whether or not a worker took it since.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{DeadLetter, Queue, QueueError, QueueName};

/// The switch shared by a test and the queue it controls.
#[derive(Debug, Default)]
pub struct QueueFaults {
    failing: AtomicBool,
    sent: Mutex<Vec<(QueueName, String)>>,
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

    /// The bodies of the messages sent to `queue` so far, oldest first.
    pub fn sent_to(&self, queue: QueueName) -> Vec<String> {
        self.sent
            .lock()
            .map(|sent| {
                sent.iter()
                    .filter(|(q, _)| *q == queue)
                    .map(|(_, body)| body.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn remember(&self, queue: QueueName, body: &str) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push((queue, body.to_owned()));
        }
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
        self.inner.send_delayed(queue, body, delay).await?;
        self.faults.remember(queue, body);
        Ok(())
    }

    async fn dead_letters(
        &self,
        queue: QueueName,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        self.inner.dead_letters(queue, limit).await
    }

    /// Fails with the sends: a poison message whose dead-lettering fails is
    /// retried by its runner, which tests can show this way.
    async fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        if self.faults.is_failing() {
            return Err(QueueError::Backend(format!(
                "queue {queue} is unavailable (failing on demand)"
            )));
        }
        self.inner.dead_letter(queue, body, reason).await
    }

    async fn redrive(&self, queue: QueueName) -> Result<usize, QueueError> {
        self.inner.redrive(queue).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::embedded::EmbeddedQueue;
    use crate::store::embedded::EmbeddedStore;

    #[tokio::test]
    async fn dead_lettering_reaches_the_inner_queue_unless_failing() {
        let inner = Arc::new(EmbeddedQueue::new(Arc::new(EmbeddedStore::in_memory())));
        let faults = Arc::new(QueueFaults::default());
        let queue = FaultyQueue::new(inner.clone(), faults.clone());
        faults.fail();
        assert!(
            queue
                .dead_letter(QueueName::Emails, "bad", "unreadable")
                .await
                .is_err()
        );
        assert!(
            inner
                .dead_letters(QueueName::Emails, 10)
                .await
                .unwrap()
                .is_empty()
        );
        faults.restore();
        queue
            .dead_letter(QueueName::Emails, "bad", "unreadable")
            .await
            .unwrap();
        let dead = queue.dead_letters(QueueName::Emails, 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].body, "bad");
    }
}
