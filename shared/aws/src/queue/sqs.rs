//! The queue port on SQS standard queues. Each queue's URL comes from
//! `Config::queue_urls` (`*_QUEUE_URL`); its dead-letter queue is the one its
//! `RedrivePolicy` names, found once and cached.
//!
//! In Lambda the event source mapping receives and deletes messages; the
//! [`SqsQueue::receive`], [`SqsQueue::ack`] and [`SqsQueue::nack`] helpers
//! let a process outside Lambda (the dev server in AWS mode) run the same
//! workers against SQS. SQS keeps no error text with a message, so dead
//! letters carry no `last_error` (the worker logs it when it nacks).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
    QueueAttributeName,
};
use pc_platform::config::Config;
use pc_platform::queue::{
    DeadLetter, MAX_DELAY, MAX_MESSAGE_BYTES, Queue, QueueError, QueueMessage, QueueName,
};

use crate::sdk_error::failure;

/// Most messages one SQS receive answers.
const MAX_RECEIVE_BATCH: usize = 10;
/// Longest visibility timeout SQS accepts (12 hours).
const MAX_VISIBILITY_SECONDS: u64 = 43_200;
/// How long dead letters are hidden while they are listed or moved.
const HOLD_SECONDS: i32 = 30;
/// How long a dead-letter queue is polled before it is taken as empty.
const DRAIN_WAIT_SECONDS: i32 = 1;

fn backend<E, R>(err: SdkError<E, R>) -> QueueError
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    QueueError::Backend(failure(&err).to_string())
}

/// The queues of `Config::queue_urls` on SQS.
#[derive(Debug)]
pub struct SqsQueue {
    client: Client,
    urls: HashMap<String, String>,
    dead_letter_urls: Mutex<HashMap<QueueName, String>>,
    retry_delay: Duration,
}

/// A received message: the SQS view, for workers running outside Lambda.
fn to_queue_message(message: &Message) -> QueueMessage {
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

impl SqsQueue {
    /// Queues by name (`emails`) → URL.
    pub fn new(client: Client, urls: HashMap<String, String>) -> Self {
        Self {
            client,
            urls,
            dead_letter_urls: Mutex::new(HashMap::new()),
            retry_delay: Duration::from_secs(1),
        }
    }

    /// The queues of `config.queue_urls`.
    pub fn from_config(client: Client, config: &Config) -> Self {
        Self::new(client, config.queue_urls.clone()).with_retry_delay(config.queue_retry_delay)
    }

    /// Sets the first backoff of [`SqsQueue::nack`] (doubled on every try).
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The URL of `queue`, or an error naming the variable that should hold it.
    pub fn url(&self, queue: QueueName) -> Result<&str, QueueError> {
        self.urls
            .get(queue.as_str())
            .map(String::as_str)
            .ok_or_else(|| {
                QueueError::Backend(format!("no URL for queue {queue}: set {}", queue.url_env()))
            })
    }

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

    /// One SQS receive with the receive count and send time of each message.
    async fn receive_from(
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

    /// Makes held messages visible again at once.
    async fn release(&self, url: &str, receipt_handles: &[String]) {
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
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, queue: QueueName, body: &str) -> Result<(), QueueError> {
        self.send_delayed(queue, body, Duration::ZERO).await
    }

    async fn send_delayed(
        &self,
        queue: QueueName,
        body: &str,
        delay: Duration,
    ) -> Result<(), QueueError> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(QueueError::TooLarge(body.len()));
        }
        // SQS counts the delay in whole seconds; round up so the wait is never shorter.
        let seconds = delay.min(MAX_DELAY).as_millis().div_ceil(1000) as i32;
        self.client
            .send_message()
            .queue_url(self.url(queue)?)
            .message_body(body)
            .delay_seconds(seconds)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Lists dead letters without deleting them. A receive with a visibility
    /// timeout of 0 would answer the same ten messages again and again, so
    /// they are held while the list is read and then made visible again at
    /// once. Every listing counts as a receive in their receive count.
    async fn dead_letters(
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
    async fn dead_letter(
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

    /// Moves every dead letter back: receive from the dead-letter queue,
    /// send to the source queue, delete from the dead-letter queue, until
    /// it is empty. A poison message whose cause is not fixed fails again at
    /// once and comes back while this runs: one with the body of a message
    /// already moved is left there (made visible again at the end), or the
    /// two would chase each other for ever.
    async fn redrive(&self, queue: QueueName) -> Result<usize, QueueError> {
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
}

impl SqsQueue {
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

fn handles(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| m.receipt_handle().map(str::to_owned))
        .collect()
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

    fn offline_queue() -> SqsQueue {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .build();
        SqsQueue::new(Client::from_conf(config), HashMap::new())
    }

    #[tokio::test]
    async fn a_missing_url_names_its_variable() {
        let queue = offline_queue();
        let err = queue.send(QueueName::Emails, "x").await.unwrap_err();
        assert_eq!(
            err,
            QueueError::Backend("no URL for queue emails: set EMAILS_QUEUE_URL".into())
        );
        let err = queue
            .dead_letters(QueueName::SyncLeads, 5)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("SYNC_LEADS_QUEUE_URL"), "{err}");
        let big = "x".repeat(MAX_MESSAGE_BYTES + 1);
        assert_eq!(
            queue.send(QueueName::Emails, &big).await.unwrap_err(),
            QueueError::TooLarge(MAX_MESSAGE_BYTES + 1)
        );
    }

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
