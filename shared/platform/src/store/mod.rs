//! The store port: one single table of items addressed by `pk`/`sk`, with
//! five generic global secondary indexes, conditional writes and
//! all-or-nothing transactions.
//!
//! Items are JSON objects. The DynamoDB adapter maps them to attribute values
//! with serde_dynamo; the embedded adapter keeps them in redb. Both evaluate
//! the same [`Condition`]s and answer the same [`StoreError`]s, so code above
//! this port cannot tell them apart (the contract suite in [`contract`]
//! checks that).

pub mod condition;
#[cfg(feature = "contract")]
pub mod contract;
pub mod counting;
pub mod embedded;
mod keys;
pub mod pages;
mod query;
mod retry;
mod transaction;
mod writes;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Map, Value};

pub use condition::Condition;
pub use keys::{
    Index, Key, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES, partner_collection, partner_key,
    partner_partition, validate_index_keys, validate_key,
};
pub use query::{Cursor, Page, Query, SortKey};
pub use retry::{CONFLICT_ATTEMPTS, retry_on_conflict, retry_until_won};
pub use transaction::{Guard, Transaction};
pub use writes::{MAX_TRANSACTION_WRITES, Update, Write, apply_update, validate_transaction};

/// One stored item: a JSON object holding at least `pk`, `sk` and `entity`.
pub type Item = Map<String, Value>;

/// Most keys one batch get may hold (DynamoDB's limit).
pub const MAX_BATCH_GET: usize = 100;

/// Largest item DynamoDB stores; the embedded store refuses larger ones
/// too (measured as JSON, a close stand-in for DynamoDB's own measure), so
/// an item too large for AWS fails locally first.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// What can go wrong in the store, in the same words for every adapter.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A single write's condition did not hold.
    #[error("the write's condition did not hold")]
    ConditionFailed,
    /// A transaction was cancelled; `failed` lists the positions of the
    /// writes whose conditions did not hold.
    #[error("transaction cancelled: conditions failed at {failed:?}")]
    TransactionCancelled { failed: Vec<usize> },
    /// A [`Transaction`] was cancelled; `guards` names the guards whose
    /// conditions did not hold (empty when only unnamed writes failed).
    #[error("transaction cancelled: guards failed: {guards:?}")]
    GuardsFailed { guards: Vec<Guard> },
    /// Another transaction touched the same items at the same time; retry.
    #[error("transaction conflict, retry")]
    TransactionConflict,
    #[error("request throttled, retry")]
    Throttled,
    #[error("invalid pagination cursor")]
    InvalidCursor,
    #[error("invalid request to the store: {0}")]
    Invalid(String),
    #[error("store backend error: {0}")]
    Backend(String),
}

impl StoreError {
    /// True when a condition (single write or any in a transaction) failed.
    pub fn is_condition_failure(&self) -> bool {
        matches!(
            self,
            StoreError::ConditionFailed
                | StoreError::TransactionCancelled { .. }
                | StoreError::GuardsFailed { .. }
        )
    }

    /// The named guards of a [`Transaction`] that did not hold, in the
    /// order they were added (empty for any other error).
    pub fn failed_guards(&self) -> &[Guard] {
        match self {
            StoreError::GuardsFailed { guards } => guards,
            _ => &[],
        }
    }

    /// True when the guard named `guard` of a [`Transaction`] did not hold.
    pub fn failed(&self, guard: Guard) -> bool {
        matches!(self, StoreError::GuardsFailed { guards } if guards.contains(&guard))
    }
}

/// The store port.
#[async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Items for the keys that exist, in the order of `keys`.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError>;
    /// Applies an update and returns the item as it is afterwards.
    async fn update(&self, update: Update) -> Result<Item, StoreError>;
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError>;
    /// All writes or none; at most [`MAX_TRANSACTION_WRITES`], each key once.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// Several independent transactions, each all or nothing as in
    /// [`Store::transact`], in order (a later one sees the earlier ones);
    /// one outcome per transaction. For bulk imports: the embedded store
    /// commits them all in one commit of its file, which is what makes
    /// filling it fast; elsewhere they are sent one after another.
    /// An `Err` of the whole call means none is known to have committed.
    async fn transact_each(
        &self,
        transactions: Vec<Vec<Write>>,
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut outcomes = Vec::with_capacity(transactions.len());
        for writes in transactions {
            outcomes.push(self.transact(writes).await);
        }
        Ok(outcomes)
    }
}

impl dyn Store + '_ {
    /// The item at `key` read as a `T` (get, then [`from_item`]).
    pub async fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        key: &Key,
    ) -> Result<Option<T>, StoreError> {
        self.get(key).await?.map(from_item).transpose()
    }
}

/// Turns a typed record into an item, adding its key attributes.
pub fn to_item<T: Serialize>(record: &T) -> Result<Item, StoreError> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(StoreError::Invalid(
            "a record must serialize to an object".into(),
        )),
        Err(e) => Err(StoreError::Invalid(e.to_string())),
    }
}

/// Reads a typed record back from an item.
pub fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_json::from_value(Value::Object(item))
        .map_err(|e| StoreError::Backend(format!("stored item does not match its type: {e}")))
}
