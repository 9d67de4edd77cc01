//! Reading many items: a key-condition [`Query`] on the table or one
//! index, its [`SortKey`] condition, and the opaque [`Cursor`] that pages
//! through the results.

use base64::Engine;
use serde_json::{Map, Value};

use super::{Index, Item, StoreError};

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
