//! Writing inside one redb write transaction: reading the item a write
//! finds, checking its condition, computing the item after it and keeping
//! the indexes in step. Single writes and transactions share these steps,
//! which is what makes both answer alike.

use redb::{ReadableTable, Table, WriteTransaction};

use super::key_layout::{item_index_key, table_key};
use super::{ITEMS, backend, index_table, read_item};
use crate::store::{
    Condition, Index, Item, Key, MAX_BATCH_GET, MAX_ITEM_BYTES, StoreError, Write, apply_update,
    validate_index_keys, validate_key, validate_transaction,
};

type BytesTable<'txn> = Table<'txn, &'static [u8], &'static [u8]>;

/// The table and its indexes, opened once per write transaction (opening
/// six tables for every write was a measurable part of a bulk import).
pub(super) struct Tables<'txn> {
    items: BytesTable<'txn>,
    indexes: Vec<(Index, BytesTable<'txn>)>,
}

/// An item as it will be stored, its JSON made once (to check its size
/// and to store it).
pub(super) struct Stored {
    item: Item,
    bytes: Vec<u8>,
}

impl Stored {
    pub(super) fn into_item(self) -> Item {
        self.item
    }
}

/// The index keys of the item a write finds, one per index, taken before
/// the write consumes it.
pub(super) type IndexKeys = Vec<Option<Vec<u8>>>;

impl<'txn> Tables<'txn> {
    pub(super) fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        let items = txn.open_table(ITEMS).map_err(backend)?;
        let mut indexes = Vec::with_capacity(Index::GSIS.len());
        for index in Index::GSIS {
            indexes.push((index, txn.open_table(index_table(index)).map_err(backend)?));
        }
        Ok(Self { items, indexes })
    }

    /// The table `index` names (the items themselves for the table), and
    /// the items, for a query.
    pub(super) fn for_query(&self, index: Index) -> (&BytesTable<'txn>, &BytesTable<'txn>) {
        let table = self
            .indexes
            .iter()
            .find(|(i, _)| *i == index)
            .map_or(&self.items, |(_, t)| t);
        (table, &self.items)
    }

    pub(super) fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let found = self.items.get(table_key(key).as_slice()).map_err(backend)?;
        found.map(|v| read_item(v.value())).transpose()
    }

    /// Replaces (or removes, with `new = None`) the item at `key`, keeping
    /// the indexes in step; `old` holds the index keys of the item there.
    pub(super) fn store(
        &mut self,
        key: &Key,
        old: &IndexKeys,
        new: Option<&Stored>,
    ) -> Result<(), StoreError> {
        let tkey = table_key(key);
        for ((index, table), old_key) in self.indexes.iter_mut().zip(old) {
            let new_key = new.and_then(|s| item_index_key(&s.item, *index, key));
            if *old_key == new_key {
                // An update that leaves the index attributes alone (a
                // counter) keeps its entry, which points at the same key.
                continue;
            }
            if let Some(old_key) = old_key {
                table.remove(old_key.as_slice()).map_err(backend)?;
            }
            if let Some(new_key) = new_key {
                table
                    .insert(new_key.as_slice(), tkey.as_slice())
                    .map_err(backend)?;
            }
        }
        match new {
            Some(stored) => {
                self.items
                    .insert(tkey.as_slice(), stored.bytes.as_slice())
                    .map_err(backend)?;
            }
            None => {
                self.items.remove(tkey.as_slice()).map_err(backend)?;
            }
        }
        Ok(())
    }
}

/// The index keys of `item` (found at `key`), one per index.
pub(super) fn index_keys(item: Option<&Item>, key: &Key) -> IndexKeys {
    Index::GSIS
        .into_iter()
        .map(|index| item.and_then(|i| item_index_key(i, index, key)))
        .collect()
}

pub(super) fn put_key(item: &Item) -> Result<Key, StoreError> {
    let key = Key::of(item)
        .ok_or_else(|| StoreError::Invalid("an item needs string pk and sk".into()))?;
    validate_key(&key)?;
    Ok(key)
}

/// What a put, update or delete does once its condition holds: the key
/// and the item after it (`None`: deleted).
pub(super) fn outcome(
    write: &Write,
    existing: Option<Item>,
) -> Result<(Key, Option<Stored>), StoreError> {
    let (key, after) = match write {
        Write::Put { item, .. } => (put_key(item)?, item.clone()),
        Write::Update(update) => (update.key.clone(), apply_update(existing, update)?),
        Write::Delete { key, .. } => return Ok((key.clone(), None)),
        Write::Check { .. } => {
            return Err(StoreError::Invalid(
                "a condition check writes nothing".into(),
            ));
        }
    };
    validate_index_keys(&after)?;
    let bytes = serde_json::to_vec(&after).map_err(backend)?;
    if bytes.len() > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "an item of {} bytes is over the {} byte item limit",
            bytes.len(),
            MAX_ITEM_BYTES
        )));
    }
    Ok((key, Some(Stored { item: after, bytes })))
}

pub(super) fn condition_of(write: &Write) -> Option<&Condition> {
    match write {
        Write::Put { condition, .. } | Write::Delete { condition, .. } => condition.as_ref(),
        Write::Update(update) => update.condition.as_ref(),
        Write::Check { condition, .. } => Some(condition),
    }
}

/// Applies one write alone if its condition holds, and answers the item
/// after it. The outer error is the backend's (the tables may be partly
/// written); the inner one refuses the write, nothing written.
pub(super) fn apply_single(
    tables: &mut Tables,
    write: &Write,
) -> Result<Result<Option<Item>, StoreError>, StoreError> {
    let key = match write {
        Write::Put { item, .. } => match put_key(item) {
            Ok(key) => key,
            Err(e) => return Ok(Err(e)),
        },
        other => other.key().expect("non-put writes carry their key"),
    };
    if let Err(e) = validate_key(&key) {
        return Ok(Err(e));
    }
    let existing = tables.get(&key)?;
    if condition_of(write).is_some_and(|c| !c.holds(existing.as_ref())) {
        return Ok(Err(StoreError::ConditionFailed));
    }
    let before = index_keys(existing.as_ref(), &key);
    let (key, after) = match outcome(write, existing) {
        Ok(planned) => planned,
        Err(e) => return Ok(Err(e)),
    };
    tables.store(&key, &before, after.as_ref())?;
    Ok(Ok(after.map(Stored::into_item)))
}

/// Applies one validated transaction if every condition holds (checked
/// before anything is written); otherwise writes nothing and answers which
/// failed. The outer error is the backend's.
pub(super) fn apply_transaction(
    tables: &mut Tables,
    writes: &[Write],
) -> Result<Result<(), StoreError>, StoreError> {
    let mut planned = Vec::with_capacity(writes.len());
    let mut failed = Vec::new();
    for (position, write) in writes.iter().enumerate() {
        let key = write.key().expect("validated");
        let existing = tables.get(&key)?;
        if condition_of(write).is_some_and(|c| !c.holds(existing.as_ref())) {
            failed.push(position);
            continue;
        }
        if matches!(write, Write::Check { .. }) {
            continue;
        }
        let before = index_keys(existing.as_ref(), &key);
        match outcome(write, existing) {
            Ok((key, after)) => planned.push((key, before, after)),
            Err(e) => return Ok(Err(e)),
        }
    }
    if !failed.is_empty() {
        return Ok(Err(StoreError::TransactionCancelled { failed }));
    }
    for (key, before, after) in &planned {
        tables.store(key, before, after.as_ref())?;
    }
    Ok(Ok(()))
}

/// Applies several transactions in order, each all or nothing; one outcome
/// each. The outer error is the backend's.
pub(super) fn apply_each(
    tables: &mut Tables,
    transactions: &[Vec<Write>],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut outcomes = Vec::with_capacity(transactions.len());
    for writes in transactions {
        outcomes.push(match validate_transaction(writes) {
            Ok(()) => apply_transaction(tables, writes)?,
            Err(e) => Err(e),
        });
    }
    Ok(outcomes)
}

/// The items at `keys` that exist, in their order.
pub(super) fn read_many(tables: &Tables, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
    if keys.len() > MAX_BATCH_GET {
        return Err(StoreError::Invalid(format!(
            "a batch get holds at most {MAX_BATCH_GET} keys"
        )));
    }
    let mut items = Vec::with_capacity(keys.len());
    for key in keys {
        validate_key(key)?;
        items.extend(tables.get(key)?);
    }
    Ok(items)
}
