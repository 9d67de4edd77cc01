//! The embedded queue: messages kept in the store, so they survive a
//! restart of the dev server, with SQS's semantics: a received message is
//! hidden for a visibility timeout, deleted once its worker succeeds, and
//! moved to the dead-letter partition after [`MAX_RECEIVES`](super::MAX_RECEIVES) failed tries.
//!
//! Its items and their keys: [`crate::keys`].

mod delivery;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::{DeadLetter, Queue, QueueError, QueueName};
use crate::keys::{dead_pk, pending_pk};
use crate::store::{Condition, Index, Item, Key, Query, Store, StoreError, Write};

/// How long a received message stays hidden from other receivers.
const VISIBILITY: Duration = Duration::from_secs(30);

pub struct EmbeddedQueue {
    store: Arc<dyn Store>,
    /// Wakes the runner when something is sent, so local work starts at once.
    pub sent: Arc<Notify>,
    /// Delay before a failed message is visible again (small in tests).
    retry_delay: Duration,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn backend(e: StoreError) -> QueueError {
    QueueError::Backend(e.to_string())
}

fn text(item: &Item, attr: &str) -> String {
    item.get(attr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A dead letter of `queue`, kept under the id it had on the queue.
fn dead_item(queue: QueueName, id: &str, body: &str, receive_count: u32, error: &str) -> Item {
    let dead = json!({
        "pk": dead_pk(queue), "sk": id, "entity": "dead_letter",
        "body": body, "receiveCount": receive_count, "lastError": error,
    });
    dead.as_object().cloned().unwrap_or_default()
}

fn count(item: &Item) -> u32 {
    item.get("receiveCount")
        .and_then(Value::as_u64)
        .unwrap_or(0) as u32
}

impl EmbeddedQueue {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            sent: Arc::new(Notify::new()),
            retry_delay: Duration::from_secs(1),
        }
    }

    /// Sets how long a failed message waits before its next try.
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send_delayed(
        &self,
        queue: QueueName,
        body: &str,
        delay: Duration,
    ) -> Result<(), QueueError> {
        let id = ulid::Ulid::new().to_string();
        let visible_at = if delay.is_zero() {
            0
        } else {
            now_ms() + delay.min(super::MAX_DELAY).as_millis() as i64
        };
        let item = json!({
            "pk": pending_pk(queue), "sk": id, "entity": "queue_message",
            "body": body, "receiveCount": 0, "visibleAt": visible_at,
        });
        self.store
            .put(
                item.as_object().cloned().unwrap_or_default(),
                Some(Condition::NotExists),
            )
            .await
            .map_err(backend)?;
        self.sent.notify_waiters();
        Ok(())
    }

    async fn dead_letters(
        &self,
        queue: QueueName,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let page = self
            .store
            .query(&Query::partition(Index::Table, dead_pk(queue)).limit(limit))
            .await
            .map_err(backend)?;
        Ok(page
            .items
            .iter()
            .map(|i| DeadLetter {
                id: text(i, "sk"),
                queue: queue.as_str().to_owned(),
                body: text(i, "body"),
                receive_count: count(i),
                last_error: i
                    .get("lastError")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
            .collect())
    }

    /// Never received from its queue: kept with a receive count of 0.
    async fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        let id = ulid::Ulid::new().to_string();
        self.store
            .put(
                dead_item(queue, &id, body, 0, reason),
                Some(Condition::NotExists),
            )
            .await
            .map_err(backend)
    }

    /// Moves the dead letters there are when it starts: a poison message
    /// that fails again at once and comes back meanwhile stays (moving it
    /// again would loop for as long as its cause is not fixed).
    async fn redrive(&self, queue: QueueName) -> Result<usize, QueueError> {
        let mut found = Vec::new();
        let mut query = Query::partition(Index::Table, dead_pk(queue)).limit(100);
        loop {
            let page = self.store.query(&query).await.map_err(backend)?;
            found.extend(page.items);
            if page.cursor.is_none() {
                break;
            }
            query = query.after(page.cursor);
        }
        let mut moved = 0;
        for dead in found {
            let Some(key) = Key::of(&dead) else { continue };
            let fresh = json!({
                "pk": pending_pk(queue), "sk": key.sk, "entity": "queue_message",
                "body": text(&dead, "body"), "receiveCount": 0, "visibleAt": 0,
            });
            let result = self
                .store
                .transact(vec![
                    Write::Delete {
                        key,
                        condition: Some(Condition::Exists),
                    },
                    Write::put(fresh.as_object().cloned().unwrap_or_default()),
                ])
                .await;
            match result {
                Ok(()) => moved += 1,
                // Another redrive moved it first.
                Err(e) if e.is_condition_failure() => {}
                Err(e) => return Err(backend(e)),
            }
        }
        self.sent.notify_waiters();
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::MAX_RECEIVES;
    use crate::store::embedded::EmbeddedStore;

    pub(super) fn queue() -> EmbeddedQueue {
        EmbeddedQueue::new(Arc::new(EmbeddedStore::in_memory())).with_retry_delay(Duration::ZERO)
    }

    #[tokio::test]
    async fn a_message_failing_five_times_is_dead_lettered_and_can_be_redriven() {
        let q = queue();
        q.send(QueueName::Events, "poison").await.unwrap();
        q.send(QueueName::Events, "fine").await.unwrap();
        let mut handled = Vec::new();
        for _ in 0..10 {
            for m in q.receive(QueueName::Events, 10).await.unwrap() {
                if m.body == "poison" {
                    q.nack(QueueName::Events, &m, "always fails").await.unwrap();
                } else {
                    handled.push(m.body.clone());
                    q.ack(QueueName::Events, &m).await.unwrap();
                }
            }
        }
        assert_eq!(handled, ["fine"]);
        let dead = q.dead_letters(QueueName::Events, 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].receive_count, MAX_RECEIVES);
        assert_eq!(dead[0].last_error.as_deref(), Some("always fails"));
        assert_eq!(q.redrive(QueueName::Events).await.unwrap(), 1);
        assert!(
            q.dead_letters(QueueName::Events, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let back = q.receive(QueueName::Events, 10).await.unwrap();
        assert_eq!(back[0].body, "poison");
        assert_eq!(back[0].receive_count, 1);
    }

    #[tokio::test]
    async fn a_poison_message_is_dead_lettered_after_one_try_and_can_be_redriven() {
        let q = queue();
        q.send(QueueName::Emails, "not a job").await.unwrap();
        let got = q.receive(QueueName::Emails, 10).await.unwrap();
        q.reject(QueueName::Emails, &got[0], "the body is not a job")
            .await
            .unwrap();
        assert_eq!(q.pending(QueueName::Emails).await.unwrap(), 0);
        let dead = q.dead_letters(QueueName::Emails, 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].id, got[0].id);
        assert_eq!(dead[0].receive_count, 1);
        assert_eq!(dead[0].last_error.as_deref(), Some("the body is not a job"));
        assert_eq!(q.redrive(QueueName::Emails).await.unwrap(), 1);
        let back = q.receive(QueueName::Emails, 10).await.unwrap();
        assert_eq!(back[0].body, "not a job");
    }

    #[tokio::test]
    async fn a_body_sent_straight_to_the_dead_letter_queue_is_listed_and_redriven() {
        let q = queue();
        q.dead_letter(QueueName::Billing, "bad", "unreadable")
            .await
            .unwrap();
        assert_eq!(q.pending(QueueName::Billing).await.unwrap(), 0);
        let dead = q.dead_letters(QueueName::Billing, 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].body, "bad");
        assert_eq!(dead[0].queue, "billing");
        assert_eq!(dead[0].last_error.as_deref(), Some("unreadable"));
        assert!(
            q.dead_letters(QueueName::Emails, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(q.redrive(QueueName::Billing).await.unwrap(), 1);
        assert!(
            q.dead_letters(QueueName::Billing, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let back = q.receive(QueueName::Billing, 10).await.unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].body, "bad");
        assert_eq!(back[0].receive_count, 1);
    }
}
