//! The transactional outbox: a change and the messages it causes are
//! written in ONE store transaction, as the change's items plus one outbox
//! item holding the messages; a relay then sends the messages to their
//! queues and deletes the item. A change is therefore never stored without
//! its messages, and a failed send is retried later instead of lost.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Attributes: `entity` = `outbox`, `id`, `createdAt`, `messages` (each
//! `{queue, id, body}`). A message's `id` is the key its consumer applies
//! once (the audit event id, the email job id), so a message relayed twice
//! (a relay that stopped between the send and the delete, or two relays at
//! once) still has one effect.
//!
//! Relays, all through [`relay_key`] / [`relay_item`]:
//! - in AWS, the table's stream invokes the `outbox-relay` function for each
//!   new outbox item;
//! - locally, [`RelayingStore`] relays right after the transaction commits;
//! - everywhere, the `outbox-sweep` schedule relays what is older than
//!   [`SWEEP_AGE`] (a failed send, a stream outage), one query on gsi1.

mod relaying;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::queue::{MAX_MESSAGE_BYTES, Message, Queue, QueueError, QueueName};
use crate::store::{
    Condition, Index, Item, Key, Query, SortKey, Store, StoreError, Write, from_item, to_item,
};
use crate::time::{serde_millis, timestamp};

pub use crate::keys::outbox_key;
pub use relaying::RelayingStore;

/// The queues outbox messages go to (the relays may send to these only).
pub const QUEUES: &[QueueName] = &[
    QueueName::Events,
    QueueName::Emails,
    QueueName::PartnerApiLead,
    QueueName::Billing,
    QueueName::SyncLeads,
    QueueName::Marketplace,
    QueueName::BrowseIndex,
    QueueName::WebhookDeliveries,
];

/// The `entity` attribute of outbox items (the stream filter matches it).
pub const ENTITY: &str = "outbox";
/// The gsi1 partition listing outbox items by creation time.
pub const PARTITION: &str = crate::keys::OUTBOX_PARTITION;
/// How old an outbox item must be before the sweep relays it: younger ones
/// are the in-process relay's or the stream's to send.
pub const SWEEP_AGE: Duration = Duration::seconds(5);
/// Most bytes of message bodies one outbox item holds, well inside
/// DynamoDB's 400 KB item limit.
pub const MAX_ITEM_BYTES: usize = 300 * 1024;

/// One message waiting in an outbox item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub queue: QueueName,
    /// The id its consumer applies once.
    pub id: String,
    pub body: String,
}

/// The messages of one change, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    pub id: String,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    pub messages: Vec<OutboxMessage>,
}

/// Collects the messages of one change, to be written with it.
#[derive(Clone, Debug)]
pub struct Outbox {
    item: OutboxItem,
    bytes: usize,
}

impl Outbox {
    /// An empty outbox for a change made at `now`; `id` must be unique
    /// (a fresh id from the id port).
    pub fn new(id: String, now: DateTime<Utc>) -> Self {
        Self {
            item: OutboxItem {
                id,
                created_at: now,
                messages: Vec::new(),
            },
            bytes: 0,
        }
    }

    /// Adds `message` for its queue, applied once per `id` by its consumer.
    pub fn push_message<M: Message>(&mut self, id: &str, message: &M) -> Result<(), StoreError> {
        self.push(M::QUEUE, id, message)
    }

    /// Adds any JSON body for `queue` (the typed [`Outbox::push_message`]
    /// is how producers add theirs).
    pub(crate) fn push<T: Serialize + ?Sized>(
        &mut self,
        queue: QueueName,
        id: &str,
        message: &T,
    ) -> Result<(), StoreError> {
        if !QUEUES.contains(&queue) {
            return Err(StoreError::Invalid(format!(
                "the outbox does not relay to {queue}"
            )));
        }
        let body =
            serde_json::to_string(message).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if body.len() > MAX_MESSAGE_BYTES || self.bytes + body.len() > MAX_ITEM_BYTES {
            return Err(StoreError::Invalid(format!(
                "an outbox message of {} bytes does not fit",
                body.len()
            )));
        }
        self.bytes += body.len();
        self.item.messages.push(OutboxMessage {
            queue,
            id: id.to_owned(),
            body,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.item.messages.is_empty()
    }

    pub fn messages(&self) -> &[OutboxMessage] {
        &self.item.messages
    }

    /// The write that stores these messages, for the change's transaction
    /// (`None` when there is nothing to send).
    pub fn write(&self) -> Result<Option<Write>, StoreError> {
        if self.is_empty() {
            return Ok(None);
        }
        Ok(Some(Write::put_new(outbox_item(&self.item)?)))
    }

    /// Appends [`Outbox::write`] to `writes`.
    pub fn add_to(&self, writes: &mut Vec<Write>) -> Result<(), StoreError> {
        writes.extend(self.write()?);
        Ok(())
    }
}

/// The stored item of an outbox item, with its key and index attributes.
pub fn outbox_item(outbox: &OutboxItem) -> Result<Item, StoreError> {
    let mut item = to_item(outbox)?;
    let key = outbox_key(&outbox.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), ENTITY.into());
    item.insert("gsi1pk".into(), PARTITION.into());
    item.insert(
        "gsi1sk".into(),
        format!("{}#{}", timestamp(outbox.created_at), outbox.id).into(),
    );
    Ok(item)
}

/// Whether a stored item is an outbox item.
pub fn is_outbox_item(item: &Item) -> bool {
    item.get("entity").and_then(Value::as_str) == Some(ENTITY)
}

/// Why a relay did not finish; the item stays for the next try.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox send failed: {0}")]
    Queue(#[from] QueueError),
    #[error("outbox store error: {0}")]
    Store(#[from] StoreError),
}

/// Sends every message of `outbox`, then deletes it. A failed send leaves
/// the item in place (messages already sent go again on the next try; their
/// consumers apply each id once).
pub async fn relay_item(
    store: &dyn Store,
    queue: &dyn Queue,
    outbox: &OutboxItem,
) -> Result<(), RelayError> {
    for message in &outbox.messages {
        queue.send(message.queue, &message.body).await?;
    }
    store
        .delete(&outbox_key(&outbox.id), Some(Condition::Exists))
        .await
        .or_else(|e| {
            // Another relay deleted it first: the messages went out.
            if e.is_condition_failure() {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    Ok(())
}

/// Relays the outbox item at `key` if it is still there; answers whether it
/// was (an item another relay finished is not sent again).
pub async fn relay_key(
    store: &dyn Store,
    queue: &dyn Queue,
    key: &Key,
) -> Result<bool, RelayError> {
    let Some(item) = store.get(key).await? else {
        return Ok(false);
    };
    if !is_outbox_item(&item) {
        return Ok(false);
    }
    relay_item(store, queue, &from_item(item)?).await?;
    Ok(true)
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub relayed: u64,
    pub failed: u64,
}

/// Most outbox items one sweep reads.
const SWEEP_LIMIT: usize = 500;

/// Relays every outbox item created before `now - SWEEP_AGE`, oldest first;
/// one item's failure does not stop the others.
pub async fn sweep(
    store: &dyn Store,
    queue: &dyn Queue,
    now: DateTime<Utc>,
) -> Result<SweepReport, StoreError> {
    let before = timestamp(now - SWEEP_AGE);
    let page = store
        .query(
            &Query::partition(Index::Gsi1, PARTITION)
                .sk(SortKey::Lt(before))
                .limit(SWEEP_LIMIT),
        )
        .await?;
    let mut report = SweepReport::default();
    for item in page.items {
        let outbox: OutboxItem = match from_item(item) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "an unreadable outbox item");
                report.failed += 1;
                continue;
            }
        };
        match relay_item(store, queue, &outbox).await {
            Ok(()) => report.relayed += 1,
            Err(e) => {
                tracing::warn!(outbox = %outbox.id, error = %e, "outbox relay failed; kept for the next sweep");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
