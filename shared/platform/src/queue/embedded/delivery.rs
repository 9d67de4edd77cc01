//! What a worker does with the embedded queue: receive visible messages
//! under a lease, then ack, nack (retry with backoff) or reject each one,
//! and how much is still waiting. Kept apart from sending and the
//! dead-letter listing, which the `Queue` port itself covers.

use serde_json::Value;

use super::{EmbeddedQueue, VISIBILITY, backend, count, dead_item, now_ms, pending_pk, text};
use crate::queue::{MAX_RECEIVES, QueueError, QueueMessage, QueueName};
use crate::store::{Condition, Index, Key, Query, StoreError, Update, Write};

impl EmbeddedQueue {
    /// Receives up to `max` visible messages, hiding each for the visibility
    /// timeout. A conditional write on the receive count makes two receivers
    /// never take the same delivery.
    pub async fn receive(
        &self,
        queue: QueueName,
        max: usize,
    ) -> Result<Vec<QueueMessage>, QueueError> {
        let now = now_ms();
        let page = self
            .store
            .query(&Query::partition(Index::Table, pending_pk(queue)).limit(max.max(1) * 4))
            .await
            .map_err(backend)?;
        let mut taken = Vec::new();
        for item in page.items {
            if taken.len() == max {
                break;
            }
            let visible_at = item.get("visibleAt").and_then(Value::as_i64).unwrap_or(0);
            if visible_at > now {
                continue;
            }
            let Some(key) = Key::of(&item) else { continue };
            let seen = count(&item);
            let leased = self
                .store
                .update(
                    Update::new(key)
                        .add("receiveCount", 1)
                        .set("visibleAt", now + VISIBILITY.as_millis() as i64)
                        .when(Condition::equals("receiveCount", seen)),
                )
                .await;
            match leased {
                Ok(after) => taken.push(QueueMessage {
                    id: text(&after, "sk"),
                    body: text(&after, "body"),
                    receive_count: count(&after),
                }),
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(backend(e)),
            }
        }
        Ok(taken)
    }

    /// The message's effect is stored: delete it.
    pub async fn ack(&self, queue: QueueName, message: &QueueMessage) -> Result<(), QueueError> {
        self.store
            .delete(&Key::new(pending_pk(queue), &message.id), None)
            .await
            .map_err(backend)
    }

    /// The message failed: make it visible again later, or dead-letter it
    /// after its last try.
    pub async fn nack(
        &self,
        queue: QueueName,
        message: &QueueMessage,
        error: &str,
    ) -> Result<(), QueueError> {
        if message.receive_count >= MAX_RECEIVES {
            return self.reject(queue, message, error).await;
        }
        let key = Key::new(pending_pk(queue), &message.id);
        let backoff = self.retry_delay * 2u32.pow(message.receive_count.saturating_sub(1));
        let result = self
            .store
            .update(
                Update::new(key)
                    .set("visibleAt", now_ms() + backoff.as_millis() as i64)
                    .set("lastError", error)
                    .when(Condition::Exists),
            )
            .await;
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    /// Moves a received message to the dead-letter partition now, in one
    /// transaction: after its last try, or at once when it is poison.
    pub async fn reject(
        &self,
        queue: QueueName,
        message: &QueueMessage,
        error: &str,
    ) -> Result<(), QueueError> {
        let dead = dead_item(
            queue,
            &message.id,
            &message.body,
            message.receive_count,
            error,
        );
        self.store
            .transact(vec![
                Write::Delete {
                    key: Key::new(pending_pk(queue), &message.id),
                    condition: None,
                },
                Write::put(dead),
            ])
            .await
            .map_err(backend)
    }

    /// Messages of `queue` not yet deleted: waiting, being handled, or
    /// hidden for a retry (dead letters are not counted).
    pub async fn pending(&self, queue: QueueName) -> Result<u64, QueueError> {
        let mut query = Query::partition(Index::Table, pending_pk(queue)).limit(1000);
        let mut total = 0;
        loop {
            let page = self.store.query(&query).await.map_err(backend)?;
            total += page.items.len() as u64;
            if page.cursor.is_none() {
                return Ok(total);
            }
            query = query.after(page.cursor);
        }
    }

    /// Milliseconds until the next pending message becomes visible, if any.
    pub async fn next_visible_in(&self, queue: QueueName) -> Result<Option<u64>, QueueError> {
        let page = self
            .store
            .query(&Query::partition(Index::Table, pending_pk(queue)).limit(50))
            .await
            .map_err(backend)?;
        let now = now_ms();
        Ok(page
            .items
            .iter()
            .map(|i| i.get("visibleAt").and_then(Value::as_i64).unwrap_or(0))
            .min()
            .map(|at| (at - now).max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::queue;
    use crate::queue::{Queue, QueueName};

    #[tokio::test]
    async fn a_received_message_is_hidden_until_acked_or_nacked() {
        let q = queue();
        q.send(QueueName::Emails, "one").await.unwrap();
        let got = q.receive(QueueName::Emails, 10).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].receive_count, 1);
        assert!(q.receive(QueueName::Emails, 10).await.unwrap().is_empty());
        q.nack(QueueName::Emails, &got[0], "boom").await.unwrap();
        let again = q.receive(QueueName::Emails, 10).await.unwrap();
        assert_eq!(again[0].receive_count, 2);
        q.ack(QueueName::Emails, &again[0]).await.unwrap();
        assert!(q.receive(QueueName::Emails, 10).await.unwrap().is_empty());
    }
}
