//! The in-process relay: a store that, right after a write carrying an
//! outbox item commits, sends its messages and deletes it. The dev server
//! and the embedded test contexts use it; in AWS the table's stream does
//! the same job. A failed send is logged and left to the sweep: the change
//! is committed, so the caller's answer does not depend on the queue.

use std::sync::Arc;

use async_trait::async_trait;

use super::{OutboxItem, is_outbox_item, relay_item};
use crate::queue::Queue;
use crate::store::{
    Condition, Item, Key, Page, Query, Store, StoreError, Update, Write, from_item,
};

pub struct RelayingStore {
    inner: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
}

impl RelayingStore {
    pub fn new(inner: Arc<dyn Store>, queue: Arc<dyn Queue>) -> Self {
        Self { inner, queue }
    }

    async fn relay(&self, items: Vec<OutboxItem>) {
        for outbox in items {
            if let Err(e) = relay_item(&*self.inner, &*self.queue, &outbox).await {
                tracing::warn!(outbox = %outbox.id, error = %e, "outbox relay failed; the sweep retries it");
            }
        }
    }
}

fn outbox_of(item: &Item) -> Option<OutboxItem> {
    is_outbox_item(item)
        .then(|| from_item(item.clone()).ok())
        .flatten()
}

#[async_trait]
impl Store for RelayingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let outbox = outbox_of(&item);
        self.inner.put(item, condition).await?;
        self.relay(outbox.into_iter().collect()).await;
        Ok(())
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.inner.update(update).await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.delete(key, condition).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let outboxes: Vec<OutboxItem> = writes
            .iter()
            .filter_map(|w| match w {
                Write::Put { item, .. } => outbox_of(item),
                _ => None,
            })
            .collect();
        self.inner.transact(writes).await?;
        self.relay(outboxes).await;
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
}
