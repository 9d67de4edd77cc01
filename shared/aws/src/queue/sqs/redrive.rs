//! Redrive: moving every dead letter of a queue back to it, without chasing
//! a poison message that fails again and comes back while the move runs.

use std::collections::HashSet;

use aws_sdk_sqs::types::Message;
use pc_platform::queue::{QueueError, QueueName};

use super::dead_letters::{DRAIN_WAIT_SECONDS, HOLD_SECONDS};
use super::{MAX_RECEIVE_BATCH, SqsQueue, backend};

impl SqsQueue {
    /// Moves every dead letter back: receive from the dead-letter queue,
    /// send to the source queue, delete from the dead-letter queue, until
    /// it is empty. A poison message whose cause is not fixed fails again at
    /// once and comes back while this runs: one with the body of a message
    /// already moved is left there (made visible again at the end), or the
    /// two would chase each other for ever.
    pub(super) async fn redrive_dead_letters(&self, queue: QueueName) -> Result<usize, QueueError> {
        let source = self.url(queue)?.to_owned();
        let dead = self.dead_letter_url(queue).await?;
        let mut moved_bodies = HashSet::new();
        let mut came_back = Vec::new();
        let outcome = loop {
            let batch = match self
                .receive_from(
                    &dead,
                    MAX_RECEIVE_BATCH,
                    Some(HOLD_SECONDS),
                    DRAIN_WAIT_SECONDS,
                )
                .await
            {
                Ok(batch) if batch.is_empty() => break Ok(moved_bodies.len()),
                Ok(batch) => batch,
                Err(e) => break Err(e),
            };
            if let Err(e) = self
                .move_back(&source, &dead, &batch, &mut moved_bodies, &mut came_back)
                .await
            {
                break Err(e);
            }
        };
        self.release(&dead, &came_back).await;
        outcome
    }

    /// Moves one received batch of dead letters to `source`, holding back
    /// those that came back during this redrive.
    async fn move_back(
        &self,
        source: &str,
        dead: &str,
        batch: &[Message],
        moved_bodies: &mut HashSet<u64>,
        came_back: &mut Vec<String>,
    ) -> Result<(), QueueError> {
        for message in batch {
            let (Some(body), Some(handle)) = (message.body(), message.receipt_handle()) else {
                continue;
            };
            let fingerprint = body_fingerprint(body);
            if moved_bodies.contains(&fingerprint) {
                came_back.push(handle.to_owned());
                continue;
            }
            self.client
                .send_message()
                .queue_url(source)
                .message_body(body)
                .send()
                .await
                .map_err(backend)?;
            self.client
                .delete_message()
                .queue_url(dead)
                .receipt_handle(handle)
                .send()
                .await
                .map_err(backend)?;
            moved_bodies.insert(fingerprint);
        }
        Ok(())
    }
}

/// Tells bodies apart within one redrive (a collision only leaves a
/// message for the next redrive).
fn body_fingerprint(body: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}
