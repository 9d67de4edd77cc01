//! The queue port on SQS standard queues. Each queue's URL comes from
//! `Config::queue_urls` (`*_QUEUE_URL`); its dead-letter queue is the one its
//! `RedrivePolicy` names, found once and cached.
//!
//! In Lambda the event source mapping receives and deletes messages; the
//! [`SqsQueue::receive`], [`SqsQueue::ack`] and [`SqsQueue::nack`] helpers
//! let a process outside Lambda (the dev server in AWS mode) run the same
//! workers against SQS. SQS keeps no error text with a message, so dead
//! letters carry no `last_error` (the worker logs it when it nacks).
//!
//! This module holds the adapter and sending; the worker side lives in
//! `worker`, dead letters in `dead_letters` and moving them back in
//! `redrive`.

mod dead_letters;
mod redrive;
mod worker;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::SdkError;
use pc_platform::config::Config;
use pc_platform::queue::{DeadLetter, MAX_DELAY, MAX_MESSAGE_BYTES, Queue, QueueError, QueueName};

use crate::lazy_client::LazyClient;
use crate::sdk_error::failure;

/// Most messages one SQS receive answers.
const MAX_RECEIVE_BATCH: usize = 10;

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
    client: LazyClient<Client>,
    urls: HashMap<String, String>,
    dead_letter_urls: Mutex<HashMap<QueueName, String>>,
    retry_delay: Duration,
}

impl SqsQueue {
    /// Queues by name (`emails`) → URL.
    pub fn new(client: impl Into<LazyClient<Client>>, urls: HashMap<String, String>) -> Self {
        Self {
            client: client.into(),
            urls,
            dead_letter_urls: Mutex::new(HashMap::new()),
            retry_delay: Duration::from_secs(1),
        }
    }

    /// The queues of `config.queue_urls`.
    pub fn from_config(client: impl Into<LazyClient<Client>>, config: &Config) -> Self {
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
}

#[async_trait]
impl Queue for SqsQueue {
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

    /// Lists dead letters without deleting them (they are held, then
    /// released: see `dead_letters`).
    async fn dead_letters(
        &self,
        queue: QueueName,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        self.list_dead_letters(queue, limit).await
    }

    /// Sends `body` to the queue's dead-letter queue (the reason is left to
    /// the caller's log).
    async fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        self.send_dead_letter(queue, body, reason).await
    }

    /// Moves every dead letter back to the queue (see `redrive`).
    async fn redrive(&self, queue: QueueName) -> Result<usize, QueueError> {
        self.redrive_dead_letters(queue).await
    }
}

/// A queue with no URLs and a client that is never reached, for tests of
/// what is decided before any call.
#[cfg(test)]
fn offline_queue() -> SqsQueue {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .build();
    SqsQueue::new(Client::from_conf(config), HashMap::new())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
