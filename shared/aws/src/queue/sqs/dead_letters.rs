//! Dead letters: finding a queue's dead-letter queue from its
//! `RedrivePolicy`, listing what it holds without deleting it, and sending a
//! message there by hand. Listing holds messages and releases them, which
//! redrive does too.

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
    QueueAttributeName,
};
use pc_platform::queue::{DeadLetter, MAX_MESSAGE_BYTES, QueueError, QueueName};

use super::worker::to_queue_message;
use super::{MAX_RECEIVE_BATCH, SqsQueue, backend};
use crate::sdk_error::failure;

/// How long dead letters are hidden while they are listed or moved.
pub(super) const HOLD_SECONDS: i32 = 30;
/// How long a dead-letter queue is polled before it is taken as empty.
pub(super) const DRAIN_WAIT_SECONDS: i32 = 1;

fn sent_at(message: &Message) -> u64 {
    message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// The account and queue name of an SQS queue ARN
/// (`arn:aws:sqs:us-east-1:123456789012:emails-dlq`).
fn parse_queue_arn(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sqs", _, account, name] if !name.is_empty() => Some((account, name)),
        _ => None,
    }
}

/// The dead-letter target ARN of a `RedrivePolicy` attribute.
fn dead_letter_arn(redrive_policy: &str) -> Option<String> {
    let policy: serde_json::Value = serde_json::from_str(redrive_policy).ok()?;
    Some(policy.get("deadLetterTargetArn")?.as_str()?.to_owned())
}

fn handles(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| m.receipt_handle().map(str::to_owned))
        .collect()
}

impl SqsQueue {
    /// The URL of the dead-letter queue of `queue`, from its `RedrivePolicy`.
    pub async fn dead_letter_url(&self, queue: QueueName) -> Result<String, QueueError> {
        if let Some(url) = self.cached_dead_letter_url(queue) {
            return Ok(url);
        }
        let source = self.url(queue)?;
        let attributes = self
            .client
            .get_queue_attributes()
            .queue_url(source)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(backend)?;
        let policy = attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
            .ok_or_else(|| QueueError::Backend(format!("queue {queue} has no RedrivePolicy")))?;
        let arn = dead_letter_arn(policy).ok_or_else(|| {
            QueueError::Backend(format!(
                "queue {queue} has an unreadable RedrivePolicy: {policy}"
            ))
        })?;
        let (account, name) = parse_queue_arn(&arn)
            .ok_or_else(|| QueueError::Backend(format!("not an SQS queue ARN: {arn}")))?;
        let url = self
            .client
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .map_err(backend)?
            .queue_url
            .ok_or_else(|| QueueError::Backend(format!("no URL for queue {arn}")))?;
        if let Ok(mut cache) = self.dead_letter_urls.lock() {
            cache.insert(queue, url.clone());
        }
        Ok(url)
    }

    fn cached_dead_letter_url(&self, queue: QueueName) -> Option<String> {
        self.dead_letter_urls.lock().ok()?.get(&queue).cloned()
    }

    /// Makes held messages visible again at once.
    pub(super) async fn release(&self, url: &str, receipt_handles: &[String]) {
        for chunk in receipt_handles.chunks(MAX_RECEIVE_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, handle)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .visibility_timeout(0)
                        .build()
                        .ok()
                })
                .collect();
            let result = self
                .client
                .change_message_visibility_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await;
            // They become visible at the end of the hold anyway.
            if let Err(e) = result {
                tracing::warn!(error = %failure(&e), "could not release dead letters");
            }
        }
    }

    /// Lists dead letters without deleting them. A receive with a visibility
    /// timeout of 0 would answer the same ten messages again and again, so
    /// they are held while the list is read and then made visible again at
    /// once. Every listing counts as a receive in their receive count.
    pub(super) async fn list_dead_letters(
        &self,
        queue: QueueName,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let url = self.dead_letter_url(queue).await?;
        let mut held: Vec<Message> = Vec::new();
        while held.len() < limit {
            let batch = self
                .receive_from(
                    &url,
                    limit - held.len(),
                    Some(HOLD_SECONDS),
                    DRAIN_WAIT_SECONDS,
                )
                .await;
            match batch {
                Ok(batch) if batch.is_empty() => break,
                Ok(batch) => held.extend(batch),
                Err(e) => {
                    self.release(&url, &handles(&held)).await;
                    return Err(e);
                }
            }
        }
        self.release(&url, &handles(&held)).await;
        held.sort_by_key(sent_at);
        Ok(held
            .iter()
            .map(|m| {
                let message = to_queue_message(m);
                DeadLetter {
                    id: message.id,
                    queue: queue.as_str().to_owned(),
                    body: message.body,
                    receive_count: message.receive_count,
                    last_error: None,
                }
            })
            .collect())
    }

    /// Sends `body` to the dead-letter queue the source queue's
    /// `RedrivePolicy` names. SQS keeps no error text with a message, so
    /// `reason` is left to the caller's log.
    pub(super) async fn send_dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        _reason: &str,
    ) -> Result<(), QueueError> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(QueueError::TooLarge(body.len()));
        }
        let url = self.dead_letter_url(queue).await?;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redrive_policies_and_arns() {
        let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:emails-dlq","maxReceiveCount":"5"}"#;
        let arn = dead_letter_arn(policy).unwrap();
        assert_eq!(parse_queue_arn(&arn), Some(("123456789012", "emails-dlq")));
        assert_eq!(dead_letter_arn("{}"), None);
        assert_eq!(dead_letter_arn("not json"), None);
        assert_eq!(parse_queue_arn("arn:aws:sns:us-east-1:1:t"), None);
        assert_eq!(parse_queue_arn("nonsense"), None);
    }
}
