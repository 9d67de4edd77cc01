//! Where an item lives: its primary [`Key`], the [`Index`]es a query may
//! use, and the key rules both adapters enforce before touching data, so
//! the embedded store refuses exactly the keys DynamoDB would.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, StoreError};

/// The partition of a partner's own items, `PARTNER#<id>`: every
/// capability keeps a partner's records under it (or under one of its
/// [`partner_collection`]s), so tenancy is in the key. The one place that
/// spells it.
pub fn partner_partition(partner_id: &str) -> String {
    format!("PARTNER#{partner_id}")
}

/// A partner's collection of one kind as an index partition,
/// `PARTNER#<id>#<KIND>` (`kind` in capitals: `INVOICES`, `EVENTS`, …).
pub fn partner_collection(partner_id: &str, kind: &str) -> String {
    format!("PARTNER#{partner_id}#{kind}")
}

/// The key of a partner's item `sk` in its own partition.
pub fn partner_key(partner_id: &str, sk: impl Into<String>) -> Key {
    Key::new(partner_partition(partner_id), sk)
}

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
