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
pub mod pages;

use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use condition::Condition;

/// One stored item: a JSON object holding at least `pk`, `sk` and `entity`.
pub type Item = Map<String, Value>;

/// Most writes one transaction may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_WRITES: usize = 100;
/// Most keys one batch get may hold (DynamoDB's limit).
pub const MAX_BATCH_GET: usize = 100;
/// Largest item DynamoDB stores; the embedded store refuses larger ones
/// too (measured as JSON, a close stand-in for DynamoDB's own measure), so
/// an item too large for AWS fails locally first.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of a stored item, if it carries string `pk` and `sk` attributes.
    pub fn of(item: &Item) -> Option<Self> {
        Some(Self::new(
            item.get("pk")?.as_str()?,
            item.get("sk")?.as_str()?,
        ))
    }
}

/// Where a query looks: the table itself or one of the generic indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
    Gsi3,
    Gsi4,
    Gsi5,
}

impl Index {
    pub const GSIS: [Index; 5] = [
        Index::Gsi1,
        Index::Gsi2,
        Index::Gsi3,
        Index::Gsi4,
        Index::Gsi5,
    ];

    /// The partition and sort key attribute names of this index.
    pub fn key_attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Table => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Gsi2 => ("gsi2pk", "gsi2sk"),
            Index::Gsi3 => ("gsi3pk", "gsi3sk"),
            Index::Gsi4 => ("gsi4pk", "gsi4sk"),
            Index::Gsi5 => ("gsi5pk", "gsi5sk"),
        }
    }

    /// The DynamoDB index name (`None` for the table).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
            Index::Gsi3 => Some("gsi3"),
            Index::Gsi4 => Some("gsi4"),
            Index::Gsi5 => Some("gsi5"),
        }
    }
}

/// The sort-key part of a key condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortKey {
    Any,
    Eq(String),
    BeginsWith(String),
    /// Inclusive on both ends, as DynamoDB's `BETWEEN`.
    Between(String, String),
    Lt(String),
    Lte(String),
    Gt(String),
    Gte(String),
}

impl SortKey {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            SortKey::Any => true,
            SortKey::Eq(v) => sk == v,
            SortKey::BeginsWith(p) => sk.starts_with(p.as_str()),
            SortKey::Between(lo, hi) => sk >= lo.as_str() && sk <= hi.as_str(),
            SortKey::Lt(v) => sk < v.as_str(),
            SortKey::Lte(v) => sk <= v.as_str(),
            SortKey::Gt(v) => sk > v.as_str(),
            SortKey::Gte(v) => sk >= v.as_str(),
        }
    }
}

/// An opaque position in a query's results, handed to the client as a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub String);

impl Cursor {
    /// Encodes the key attributes of the last item returned.
    pub fn from_item(item: &Item, index: Index) -> Self {
        let mut last = Map::new();
        let (ipk, isk) = index.key_attributes();
        for attr in ["pk", "sk", ipk, isk] {
            if let Some(v) = item.get(attr) {
                last.insert(attr.to_owned(), v.clone());
            }
        }
        let json = serde_json::to_vec(&last).unwrap_or_default();
        Cursor(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
    }

    /// The key attributes this cursor stands for, or an error naming it as invalid.
    pub fn decode(&self) -> Result<Item, StoreError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| StoreError::InvalidCursor)?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        match value {
            Value::Object(map) if map.values().all(Value::is_string) => Ok(map),
            _ => Err(StoreError::InvalidCursor),
        }
    }
}

/// A key-condition query on the table or one index.
#[derive(Clone, Debug)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: SortKey,
    pub ascending: bool,
    pub limit: Option<usize>,
    pub cursor: Option<Cursor>,
}

impl Query {
    /// Every item of one partition, ascending by sort key.
    pub fn partition(index: Index, pk: impl Into<String>) -> Self {
        Self {
            index,
            pk: pk.into(),
            sk: SortKey::Any,
            ascending: true,
            limit: None,
            cursor: None,
        }
    }

    pub fn sk(mut self, sk: SortKey) -> Self {
        self.sk = sk;
        self
    }

    pub fn descending(mut self) -> Self {
        self.ascending = false;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// One page of query results. `cursor` is set when the page was cut by the
/// limit (as DynamoDB does, a full last page may still carry one).
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<Cursor>,
}

/// A partial update: attributes to set, to remove and to add to (numbers),
/// creating the item when it does not exist (DynamoDB `UpdateItem`).
#[derive(Clone, Debug)]
pub struct Update {
    pub key: Key,
    pub set: Item,
    pub remove: Vec<String>,
    pub add: Vec<(String, i64)>,
    pub condition: Option<Condition>,
}

impl Update {
    pub fn new(key: Key) -> Self {
        Self {
            key,
            set: Map::new(),
            remove: Vec::new(),
            add: Vec::new(),
            condition: None,
        }
    }

    pub fn set(mut self, attr: &str, value: impl Into<Value>) -> Self {
        self.set.insert(attr.to_owned(), value.into());
        self
    }

    pub fn remove(mut self, attr: &str) -> Self {
        self.remove.push(attr.to_owned());
        self
    }

    pub fn add(mut self, attr: &str, by: i64) -> Self {
        self.add.push((attr.to_owned(), by));
        self
    }

    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }
}

/// One write inside a transaction.
#[derive(Clone, Debug)]
pub enum Write {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update(Update),
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Checks a condition on an item without changing it.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Write {
    pub fn put(item: Item) -> Self {
        Write::Put {
            item,
            condition: None,
        }
    }

    /// A put that fails if an item with the same key exists (guard items).
    pub fn put_new(item: Item) -> Self {
        Write::Put {
            item,
            condition: Some(Condition::NotExists),
        }
    }

    pub fn key(&self) -> Option<Key> {
        match self {
            Write::Put { item, .. } => Key::of(item),
            Write::Update(u) => Some(u.key.clone()),
            Write::Delete { key, .. } | Write::Check { key, .. } => Some(key.clone()),
        }
    }
}

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
            StoreError::ConditionFailed | StoreError::TransactionCancelled { .. }
        )
    }

    /// True when the write at `position` of a transaction failed its condition.
    pub fn failed_at(&self, position: usize) -> bool {
        matches!(self, StoreError::TransactionCancelled { failed } if failed.contains(&position))
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
}

/// Checks what both adapters refuse before touching data.
pub fn validate_transaction(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_WRITES} writes, not {}",
            writes.len()
        )));
    }
    let mut keys = std::collections::HashSet::new();
    for write in writes {
        let key = write
            .key()
            .ok_or_else(|| StoreError::Invalid("an item without pk/sk".into()))?;
        validate_key(&key)?;
        if !keys.insert(key.clone()) {
            return Err(StoreError::Invalid(format!(
                "a transaction touches {}/{} twice",
                key.pk, key.sk
            )));
        }
    }
    Ok(())
}

/// Longest partition key DynamoDB takes, in UTF-8 bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// Longest sort key DynamoDB takes, in UTF-8 bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// Keys must be non-empty, within DynamoDB's sizes (so both adapters refuse
/// the same keys) and free of NUL (the embedded adapter's separator).
pub fn validate_key(key: &Key) -> Result<(), StoreError> {
    validate_key_parts(&key.pk, &key.sk)
}

fn validate_key_parts(pk: &str, sk: &str) -> Result<(), StoreError> {
    if pk.is_empty() || sk.is_empty() {
        return Err(StoreError::Invalid("empty pk or sk".into()));
    }
    if pk.len() > MAX_PARTITION_KEY_BYTES || sk.len() > MAX_SORT_KEY_BYTES {
        return Err(StoreError::Invalid(format!(
            "a key is longer than {MAX_PARTITION_KEY_BYTES} (partition) or \
             {MAX_SORT_KEY_BYTES} (sort) bytes"
        )));
    }
    if pk.contains('\0') || sk.contains('\0') {
        return Err(StoreError::Invalid("NUL in a key".into()));
    }
    Ok(())
}

/// The index key attributes an item carries obey the same rules as its
/// primary key (DynamoDB refuses an empty or oversized one).
pub fn validate_index_keys(item: &Item) -> Result<(), StoreError> {
    for index in Index::GSIS {
        let (pk_attr, sk_attr) = index.key_attributes();
        match (item.get(pk_attr), item.get(sk_attr)) {
            (Some(Value::String(pk)), Some(Value::String(sk))) => validate_key_parts(pk, sk)?,
            (Some(Value::String(pk)), None) => validate_key_parts(pk, "-")?,
            (None, Some(Value::String(sk))) => validate_key_parts("-", sk)?,
            _ => {}
        }
    }
    Ok(())
}

/// Applies an update to an item (or to a new one) in memory; shared by the
/// embedded adapter and by callers that need to predict the result.
pub fn apply_update(existing: Option<Item>, update: &Update) -> Result<Item, StoreError> {
    let touches_key = update
        .set
        .keys()
        .chain(update.remove.iter())
        .chain(update.add.iter().map(|(attr, _)| attr))
        .any(|attr| attr == "pk" || attr == "sk");
    if touches_key {
        return Err(StoreError::Invalid(
            "an update cannot change the key".into(),
        ));
    }
    let mut item = existing.unwrap_or_else(|| {
        let mut fresh = Map::new();
        fresh.insert("pk".into(), Value::String(update.key.pk.clone()));
        fresh.insert("sk".into(), Value::String(update.key.sk.clone()));
        fresh
    });
    for (attr, value) in &update.set {
        item.insert(attr.clone(), value.clone());
    }
    for attr in &update.remove {
        item.remove(attr);
    }
    for (attr, by) in &update.add {
        let current = match item.get(attr) {
            None | Some(Value::Null) => 0,
            Some(v) => v
                .as_i64()
                .ok_or_else(|| StoreError::Invalid(format!("{attr} is not an integer")))?,
        };
        let sum = current
            .checked_add(*by)
            .ok_or_else(|| StoreError::Invalid(format!("{attr} would overflow")))?;
        item.insert(attr.clone(), Value::from(sum));
    }
    Ok(item)
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
