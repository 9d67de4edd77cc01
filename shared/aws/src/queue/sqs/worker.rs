//! The worker side of a queue for a process outside Lambda (the dev server
//! in AWS mode), which must do what the event source mapping does in Lambda:
//! receive, delete a handled message, hide a failed one for a backoff.

use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use pc_platform::queue::{QueueError, QueueMessage, QueueName};

use super::{MAX_RECEIVE_BATCH, SqsQueue, backend};
use crate::sdk_error::failure;

/// Longest visibility timeout SQS accepts (12 hours).
const MAX_VISIBILITY_SECONDS: u64 = 43_200;

/// A received message: the SQS view, for workers running outside Lambda.
pub(super) fn to_queue_message(message: &Message) -> QueueMessage {
    let receive_count = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    QueueMessage {
        id: message.message_id().unwrap_or_default().to_owned(),
        body: message.body().unwrap_or_default().to_owned(),
        receive_count,
    }
}

impl SqsQueue {
    /// One SQS receive with the receive count and send time of each message.
    pub(super) async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility: Option<i32>,
        wait_seconds: i32,
    ) -> Result<Vec<Message>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, MAX_RECEIVE_BATCH) as i32)
            .set_visibility_timeout(visibility)
            .wait_time_seconds(wait_seconds.clamp(0, 20))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(backend)?;
        Ok(output.messages.unwrap_or_default())
    }

    /// Receives up to `max` (at most 10) messages of `queue`, waiting up to
    /// `wait_seconds` (at most 20) for the first. Each comes with its
    /// receipt handle, for [`SqsQueue::ack`] or [`SqsQueue::nack`].
    pub async fn receive(
        &self,
        queue: QueueName,
        max: usize,
        wait_seconds: u32,
    ) -> Result<Vec<(QueueMessage, String)>, QueueError> {
        let url = self.url(queue)?;
        if max == 0 {
            return Ok(Vec::new());
        }
        let wait = i32::try_from(wait_seconds).unwrap_or(i32::MAX);
        let messages = self.receive_from(url, max, None, wait).await?;
        Ok(messages
            .iter()
            .filter_map(|m| Some((to_queue_message(m), m.receipt_handle()?.to_owned())))
            .collect())
    }

    /// Messages of `queue` not yet deleted: waiting, being handled, or
    /// hidden for a retry. Zero once every message was handled or moved
    /// to the dead-letter queue.
    pub async fn pending(&self, queue: QueueName) -> Result<u64, QueueError> {
        let counts = [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            QueueAttributeName::ApproximateNumberOfMessagesDelayed,
        ];
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(self.url(queue)?)
            .set_attribute_names(Some(counts.to_vec()))
            .send()
            .await
            .map_err(backend)?;
        let attributes = output.attributes.unwrap_or_default();
        Ok(counts
            .iter()
            .filter_map(|name| attributes.get(name)?.parse::<u64>().ok())
            .sum())
    }

    /// The message's effect is stored: delete it.
    pub async fn ack(&self, queue: QueueName, receipt_handle: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(self.url(queue)?)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// The message failed: make it visible again after an exponential
    /// backoff. SQS moves it to the dead-letter queue once it has been
    /// received `MAX_RECEIVES` times.
    pub async fn nack(
        &self,
        queue: QueueName,
        message: &QueueMessage,
        receipt_handle: &str,
        error: &str,
    ) -> Result<(), QueueError> {
        tracing::warn!(%queue, id = %message.id, receive_count = message.receive_count, error, "message failed");
        let visibility = self.backoff(message.receive_count).as_secs_f64().ceil() as i32;
        let result = self
            .client
            .change_message_visibility()
            .queue_url(self.url(queue)?)
            .receipt_handle(receipt_handle)
            .visibility_timeout(visibility)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already visible again (its timeout ran out): nothing to do.
            Err(e)
                if failure(&e)
                    .code
                    .is_some_and(|c| c.contains("MessageNotInflight")) =>
            {
                Ok(())
            }
            Err(e) => Err(backend(e)),
        }
    }

    /// How long a message that failed on its `receive_count`th delivery
    /// stays hidden: the retry delay doubled per earlier try, at most 12 hours.
    pub fn backoff(&self, receive_count: u32) -> Duration {
        let doublings = receive_count.saturating_sub(1).min(20);
        self.retry_delay
            .saturating_mul(1 << doublings)
            .min(Duration::from_secs(MAX_VISIBILITY_SECONDS))
    }
}

#[cfg(test)]
mod tests {
    use super::super::offline_queue;
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let queue = offline_queue();
        assert_eq!(queue.backoff(1), Duration::from_secs(1));
        assert_eq!(queue.backoff(3), Duration::from_secs(4));
        assert_eq!(
            queue.backoff(100),
            Duration::from_secs(MAX_VISIBILITY_SECONDS)
        );
        let fast = offline_queue().with_retry_delay(Duration::ZERO);
        assert_eq!(fast.backoff(4), Duration::ZERO);
    }
}
