//! Writing inside one redb write transaction: reading the item a write
//! finds, checking its condition, computing the item after it and keeping
//! the indexes in step. Single writes and transactions share these steps,
//! which is what makes both answer alike.

use redb::{ReadableTable, WriteTransaction};

use super::key_layout::{item_index_key, table_key};
use super::{EmbeddedStore, ITEMS, backend, index_table, read_item};
use crate::store::{
    Condition, Index, Item, Key, MAX_ITEM_BYTES, StoreError, Write, apply_update,
    validate_index_keys, validate_key,
};

pub(super) fn get_in(txn: &WriteTransaction, key: &Key) -> Result<Option<Item>, StoreError> {
    let table = txn.open_table(ITEMS).map_err(backend)?;
    let found = table.get(table_key(key).as_slice()).map_err(backend)?;
    found.map(|v| read_item(v.value())).transpose()
}

/// Replaces (or removes, with `new = None`) the item at `key`, keeping the
/// indexes in step.
pub(super) fn store_in(
    txn: &WriteTransaction,
    key: &Key,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<(), StoreError> {
    let tkey = table_key(key);
    for index in Index::GSIS {
        let mut table = txn.open_table(index_table(index)).map_err(backend)?;
        if let Some(old_key) = old.and_then(|i| item_index_key(i, index, key)) {
            table.remove(old_key.as_slice()).map_err(backend)?;
        }
        if let Some(new_key) = new.and_then(|i| item_index_key(i, index, key)) {
            table
                .insert(new_key.as_slice(), tkey.as_slice())
                .map_err(backend)?;
        }
    }
    let mut items = txn.open_table(ITEMS).map_err(backend)?;
    match new {
        Some(item) => {
            let bytes = serde_json::to_vec(item).map_err(backend)?;
            items
                .insert(tkey.as_slice(), bytes.as_slice())
                .map_err(backend)?;
        }
        None => {
            items.remove(tkey.as_slice()).map_err(backend)?;
        }
    }
    Ok(())
}

pub(super) fn put_key(item: &Item) -> Result<Key, StoreError> {
    let key = Key::of(item)
        .ok_or_else(|| StoreError::Invalid("an item needs string pk and sk".into()))?;
    validate_key(&key)?;
    Ok(key)
}

/// What a write does once its condition holds: the key and the item after it.
pub(super) fn outcome(
    write: &Write,
    existing: Option<Item>,
) -> Result<(Key, Option<Item>), StoreError> {
    let (key, after) = match write {
        Write::Put { item, .. } => (put_key(item)?, Some(item.clone())),
        Write::Update(update) => (update.key.clone(), Some(apply_update(existing, update)?)),
        Write::Delete { key, .. } => return Ok((key.clone(), None)),
        Write::Check { key, .. } => return Ok((key.clone(), existing)),
    };
    if let Some(item) = &after {
        validate_index_keys(item)?;
    }
    let size = serde_json::to_vec(&after).map_err(backend)?.len();
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "an item of {size} bytes is over the {} byte item limit",
            MAX_ITEM_BYTES
        )));
    }
    Ok((key, after))
}

pub(super) fn condition_of(write: &Write) -> Option<&Condition> {
    match write {
        Write::Put { condition, .. } | Write::Delete { condition, .. } => condition.as_ref(),
        Write::Update(update) => update.condition.as_ref(),
        Write::Check { condition, .. } => Some(condition),
    }
}

impl EmbeddedStore {
    /// Runs one write as a transaction and returns the item after it.
    pub(super) async fn transact_single(&self, write: Write) -> Result<Option<Item>, StoreError> {
        let key = match &write {
            Write::Put { item, .. } => put_key(item)?,
            other => other.key().expect("non-put writes carry their key"),
        };
        validate_key(&key)?;
        let txn = self.begin_write()?;
        let existing = get_in(&txn, &key)?;
        if condition_of(&write).is_some_and(|c| !c.holds(existing.as_ref())) {
            txn.abort().map_err(backend)?;
            return Err(StoreError::ConditionFailed);
        }
        let (key, after) = outcome(&write, existing.clone())?;
        store_in(&txn, &key, existing.as_ref(), after.as_ref())?;
        txn.commit().map_err(backend)?;
        Ok(after)
    }
}
