//! The embedded store: the single table kept in redb, on disk under
//! `DATA_DIR` for the dev server or in memory for tests.
//!
//! Keys are laid out so that redb's byte order is DynamoDB's order:
//! the table holds `pk NUL sk → item JSON`, and each index holds
//! `gsiNpk NUL gsiNsk NUL pk NUL sk → table key`. NUL cannot occur in keys
//! ([`super::validate_key`]), and sorts before every other byte, so a
//! partition is one contiguous range. redb allows one write transaction at a
//! time, which makes every conditional write and transaction atomic.

use std::ops::Bound;
use std::path::Path;

use async_trait::async_trait;
use redb::{Database, Durability, ReadableTable, TableDefinition, WriteTransaction};
use serde_json::Value;

use super::{
    Cursor, Index, Item, Key, Page, Query, SortKey, Store, StoreError, Update, Write, apply_update,
    validate_index_keys, validate_key, validate_transaction,
};

const ITEMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi1");
const GSI2: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi2");
const GSI3: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi3");
const GSI4: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi4");
const GSI5: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi5");

fn index_table(index: Index) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    match index {
        Index::Table => ITEMS,
        Index::Gsi1 => GSI1,
        Index::Gsi2 => GSI2,
        Index::Gsi3 => GSI3,
        Index::Gsi4 => GSI4,
        Index::Gsi5 => GSI5,
    }
}

/// The embedded, persistent, transactional store.
pub struct EmbeddedStore {
    db: Database,
    durability: Durability,
    /// Every how many commits one is made with `durability`; the others
    /// are `Durability::None` (not written through to disk).
    durable_every: u64,
    commits: std::sync::atomic::AtomicU64,
}

/// Commits of an unsynced store per durable one: enough to make filling
/// it cheap, few enough that the pages replaced meanwhile (freed only by a
/// durable commit) stay a small part of the file.
const UNSYNCED_COMMITS_PER_SYNC: u64 = 16;

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl EmbeddedStore {
    /// Opens (or creates) the store file at `path`; every commit is durable.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = create_database(path)?;
        Self::with_database(db, Durability::Immediate)
    }

    /// Opens (or creates) a store file where only one commit in
    /// [`UNSYNCED_COMMITS_PER_SYNC`] is flushed to disk: much faster to
    /// fill with millions of items (benchmarks), at the price of the
    /// latest commits on a crash.
    pub fn open_unsynced(path: &Path) -> Result<Self, StoreError> {
        let db = create_database(path)?;
        let mut store = Self::with_database(db, Durability::Immediate)?;
        store.durable_every = UNSYNCED_COMMITS_PER_SYNC;
        Ok(store)
    }

    /// A store that lives in memory only (tests, benchmarks). Its commits
    /// are `Eventual`, not `None`: redb frees the pages a commit replaced
    /// only on a durable commit, so with `None` memory would grow with
    /// every write, never with the data.
    pub fn in_memory() -> Self {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("an in-memory redb database always opens");
        Self::with_database(db, Durability::Eventual).expect("an in-memory database takes tables")
    }

    fn with_database(db: Database, durability: Durability) -> Result<Self, StoreError> {
        let store = Self {
            db,
            durability,
            durable_every: 1,
            commits: std::sync::atomic::AtomicU64::new(0),
        };
        let txn = store.db.begin_write().map_err(backend)?;
        for index in std::iter::once(Index::Table).chain(Index::GSIS) {
            txn.open_table(index_table(index)).map_err(backend)?;
        }
        txn.commit().map_err(backend)?;
        Ok(store)
    }

    fn begin_write(&self) -> Result<WriteTransaction, StoreError> {
        let mut txn = self.db.begin_write().map_err(backend)?;
        let commit = self
            .commits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        txn.set_durability(if commit.is_multiple_of(self.durable_every) {
            self.durability
        } else {
            Durability::None
        });
        Ok(txn)
    }
}

/// How long opening waits for a store of this process that still holds
/// the file (a restarted dev server whose last tasks are letting go).
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens or creates the redb file at `path`, its folder included. redb
/// locks the file while a `Database` of it lives, so an open that finds
/// it held polls until [`RELEASE_WAIT`] for the holder to be dropped.
fn create_database(path: &Path) -> Result<Database, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(backend)?;
    }
    let deadline = std::time::Instant::now() + RELEASE_WAIT;
    loop {
        match Database::create(path) {
            Err(redb::DatabaseError::DatabaseAlreadyOpen)
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened.map_err(backend),
        }
    }
}

fn table_key(key: &Key) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(key.pk.len() + key.sk.len() + 1);
    bytes.extend_from_slice(key.pk.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(key.sk.as_bytes());
    bytes
}

fn index_key(index_pk: &str, index_sk: &str, key: &Key) -> Vec<u8> {
    let mut bytes = Vec::new();
    for part in [index_pk, index_sk, &key.pk] {
        bytes.extend_from_slice(part.as_bytes());
        bytes.push(0);
    }
    bytes.extend_from_slice(key.sk.as_bytes());
    bytes
}

/// The index key of an item in `index`, if the item carries both attributes.
fn item_index_key(item: &Item, index: Index, key: &Key) -> Option<Vec<u8>> {
    let (pk_attr, sk_attr) = index.key_attributes();
    let ipk = item.get(pk_attr)?.as_str()?;
    let isk = item.get(sk_attr)?.as_str()?;
    Some(index_key(ipk, isk, key))
}

fn read_item(bytes: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(bytes).map_err(backend)
}

fn get_in(txn: &WriteTransaction, key: &Key) -> Result<Option<Item>, StoreError> {
    let table = txn.open_table(ITEMS).map_err(backend)?;
    let found = table.get(table_key(key).as_slice()).map_err(backend)?;
    found.map(|v| read_item(v.value())).transpose()
}

/// Replaces (or removes, with `new = None`) the item at `key`, keeping the
/// indexes in step.
fn store_in(
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

fn put_key(item: &Item) -> Result<Key, StoreError> {
    let key = Key::of(item)
        .ok_or_else(|| StoreError::Invalid("an item needs string pk and sk".into()))?;
    validate_key(&key)?;
    Ok(key)
}

/// What a write does once its condition holds: the key and the item after it.
fn outcome(write: &Write, existing: Option<Item>) -> Result<(Key, Option<Item>), StoreError> {
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
    if size > super::MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "an item of {size} bytes is over the {} byte item limit",
            super::MAX_ITEM_BYTES
        )));
    }
    Ok((key, after))
}

fn condition_of(write: &Write) -> Option<&super::Condition> {
    match write {
        Write::Put { condition, .. } | Write::Delete { condition, .. } => condition.as_ref(),
        Write::Update(update) => update.condition.as_ref(),
        Write::Check { condition, .. } => Some(condition),
    }
}

/// The byte range of a key condition inside one partition.
fn query_range(query: &Query) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let mut prefix = query.pk.as_bytes().to_vec();
    prefix.push(0);
    let with = |sk: &str, extra: Option<u8>| {
        let mut b = prefix.clone();
        b.extend_from_slice(sk.as_bytes());
        b.extend(extra);
        b
    };
    let mut partition_end = query.pk.as_bytes().to_vec();
    partition_end.push(1);
    let start = |b| Bound::Included(b);
    let end = |b| Bound::Excluded(b);
    match &query.sk {
        SortKey::Any => (start(prefix.clone()), end(partition_end)),
        // 0xFF never occurs in UTF-8, so it ends every key with the prefix;
        // 0x01 ends every key whose sort key equals the bound.
        SortKey::Eq(v) => (start(with(v, None)), end(with(v, Some(1)))),
        SortKey::BeginsWith(p) => (start(with(p, None)), end(with(p, Some(0xFF)))),
        SortKey::Between(lo, hi) => (start(with(lo, None)), end(with(hi, Some(1)))),
        SortKey::Lt(v) => (start(prefix.clone()), end(with(v, None))),
        SortKey::Lte(v) => (start(prefix.clone()), end(with(v, Some(1)))),
        SortKey::Gt(v) => (start(with(v, Some(1))), end(partition_end)),
        SortKey::Gte(v) => (start(with(v, None)), end(partition_end)),
    }
}

/// Where a cursor resumes, as the raw key of the last item returned.
fn cursor_position(query: &Query, cursor: &Cursor) -> Result<Vec<u8>, StoreError> {
    let last = cursor.decode()?;
    let text = |attr: &str| {
        last.get(attr)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(StoreError::InvalidCursor)
    };
    let key = Key::new(text("pk")?, text("sk")?);
    let (ipk_attr, isk_attr) = query.index.key_attributes();
    let ipk = text(ipk_attr)?;
    if ipk != query.pk {
        return Err(StoreError::InvalidCursor);
    }
    Ok(match query.index {
        Index::Table => table_key(&key),
        _ => index_key(&ipk, &text(isk_attr)?, &key),
    })
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let txn = self.db.begin_read().map_err(backend)?;
        let table = txn.open_table(ITEMS).map_err(backend)?;
        let found = table.get(table_key(key).as_slice()).map_err(backend)?;
        found.map(|v| read_item(v.value())).transpose()
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.len() > super::MAX_BATCH_GET {
            return Err(StoreError::Invalid(format!(
                "a batch get holds at most {} keys",
                super::MAX_BATCH_GET
            )));
        }
        let txn = self.db.begin_read().map_err(backend)?;
        let table = txn.open_table(ITEMS).map_err(backend)?;
        let mut items = Vec::with_capacity(keys.len());
        for key in keys {
            validate_key(key)?;
            if let Some(v) = table.get(table_key(key).as_slice()).map_err(backend)? {
                items.push(read_item(v.value())?);
            }
        }
        Ok(items)
    }

    async fn put(&self, item: Item, condition: Option<super::Condition>) -> Result<(), StoreError> {
        self.transact_single(Write::Put { item, condition })
            .await
            .map(|_| ())
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        let after = self.transact_single(Write::Update(update)).await?;
        after.ok_or_else(|| StoreError::Backend("an update left no item".into()))
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<super::Condition>,
    ) -> Result<(), StoreError> {
        self.transact_single(Write::Delete {
            key: key.clone(),
            condition,
        })
        .await
        .map(|_| ())
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        validate_transaction(&writes)?;
        let txn = self.begin_write()?;
        let mut planned = Vec::with_capacity(writes.len());
        let mut failed = Vec::new();
        for (position, write) in writes.iter().enumerate() {
            let key = write.key().expect("validated");
            let existing = get_in(&txn, &key)?;
            if condition_of(write).is_some_and(|c| !c.holds(existing.as_ref())) {
                failed.push(position);
                continue;
            }
            let (key, after) = outcome(write, existing.clone())?;
            if !matches!(write, Write::Check { .. }) {
                planned.push((key, existing, after));
            }
        }
        if !failed.is_empty() {
            txn.abort().map_err(backend)?;
            return Err(StoreError::TransactionCancelled { failed });
        }
        for (key, before, after) in &planned {
            store_in(&txn, key, before.as_ref(), after.as_ref())?;
        }
        txn.commit().map_err(backend)
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        if query.pk.is_empty() || query.pk.contains('\0') {
            return Err(StoreError::Invalid(
                "a query needs a partition key without NUL".into(),
            ));
        }
        let (mut lo, mut hi) = query_range(query);
        if let Some(cursor) = &query.cursor {
            // A cursor resumes inside the key condition's range; one from
            // elsewhere is refused, as DynamoDB does.
            let position = cursor_position(query, cursor)?;
            let inside = (&lo, &hi);
            if !within(&position, inside) {
                return Err(StoreError::InvalidCursor);
            }
            if query.ascending {
                lo = Bound::Excluded(position);
            } else {
                hi = Bound::Excluded(position);
            }
        }
        let limit = query.limit.unwrap_or(usize::MAX);
        let txn = self.db.begin_read().map_err(backend)?;
        let index = txn.open_table(index_table(query.index)).map_err(backend)?;
        let items_table = txn.open_table(ITEMS).map_err(backend)?;
        let bounds = (as_slice_bound(&lo), as_slice_bound(&hi));
        if range_is_empty(&bounds) {
            return Ok(Page::default());
        }
        let range = index.range::<&[u8]>(bounds).map_err(backend)?;
        let entries: Box<dyn Iterator<Item = _>> = if query.ascending {
            Box::new(range)
        } else {
            Box::new(range.rev())
        };
        let mut items = Vec::new();
        for entry in entries {
            if items.len() == limit {
                break;
            }
            let (_, value) = entry.map_err(backend)?;
            let item = match query.index {
                Index::Table => read_item(value.value())?,
                _ => {
                    let stored = items_table.get(value.value()).map_err(backend)?;
                    match stored {
                        Some(v) => read_item(v.value())?,
                        None => return Err(StoreError::Backend("index points at no item".into())),
                    }
                }
            };
            items.push(item);
        }
        let cursor = (items.len() == limit)
            .then(|| {
                items
                    .last()
                    .map(|last| Cursor::from_item(last, query.index))
            })
            .flatten();
        Ok(Page { items, cursor })
    }
}

impl EmbeddedStore {
    /// Runs one write as a transaction and returns the item after it.
    async fn transact_single(&self, write: Write) -> Result<Option<Item>, StoreError> {
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

/// Whether `key` lies inside the range `bounds`.
fn within(key: &[u8], bounds: (&Bound<Vec<u8>>, &Bound<Vec<u8>>)) -> bool {
    let above = match bounds.0 {
        Bound::Included(lo) => key >= lo.as_slice(),
        Bound::Excluded(lo) => key > lo.as_slice(),
        Bound::Unbounded => true,
    };
    let below = match bounds.1 {
        Bound::Included(hi) => key <= hi.as_slice(),
        Bound::Excluded(hi) => key < hi.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
}

fn as_slice_bound(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(b) => Bound::Included(b.as_slice()),
        Bound::Excluded(b) => Bound::Excluded(b.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// redb panics on a range whose start is past its end; a cursor or a
/// `Between` given backwards can produce one.
fn range_is_empty(bounds: &(Bound<&[u8]>, Bound<&[u8]>)) -> bool {
    match bounds {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        _ => false,
    }
}
