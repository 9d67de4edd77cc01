//! The embedded store: the single table kept in redb, on disk under
//! `DATA_DIR` for the dev server or in memory for tests.
//!
//! Keys are laid out so that redb's byte order is DynamoDB's order:
//! the table holds `pk NUL sk → item JSON`, and each index holds
//! `gsiNpk NUL gsiNsk NUL pk NUL sk → table key`. NUL cannot occur in keys
//! ([`super::validate_key`]), and sorts before every other byte, so a
//! partition is one contiguous range. redb allows one write transaction at a
//! time, which makes every conditional write and transaction atomic.

mod bulk;
mod key_layout;
mod writes;

pub use self::bulk::BulkLoad;

use std::ops::Bound;
use std::path::Path;

use async_trait::async_trait;
use redb::{Database, Durability, ReadableTable, TableDefinition, WriteTransaction};

use self::key_layout::{
    as_slice_bound, cursor_position, query_range, range_is_empty, table_key, within,
};
use self::writes::{Tables, apply_each, apply_single, apply_transaction};
use super::{
    Cursor, Index, Item, Key, Page, Query, Store, StoreError, Update, Write, validate_key,
    validate_transaction,
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

    /// Opens (or creates) the store file at `path` for a bulk import
    /// (the migration from the original system): a page cache of at most
    /// `cache_bytes`, so memory stays flat while millions of items go in.
    /// The import writes through [`Store::transact_each`], a few thousand
    /// records per commit, and its commits are `Eventual`: redb frees the
    /// pages each one replaced (the file does not grow past its data, as
    /// it did to four times that with `None`). On Linux redb 2 syncs an
    /// `Eventual` commit like an `Immediate` one (only macOS has a cheaper
    /// barrier), so each import commit is durable, and its cost is the
    /// pages it writes rather than the sync; [`EmbeddedStore::sync`] at the
    /// end covers the platforms where it is not.
    pub fn open_for_import(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        let db = create_database_with(path, Some(cache_bytes))?;
        Self::with_database(db, Durability::Eventual)
    }

    /// Makes every commit so far durable (one empty commit, synced).
    pub fn sync(&self) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(backend)?;
        txn.set_durability(Durability::Immediate);
        txn.commit().map_err(backend)
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

    /// Runs `apply` in a write transaction of its own, committed when it
    /// answers `Ok(Ok(_))`; a refusal (`Ok(Err(_))`, nothing written) or a
    /// backend error aborts it.
    fn in_own_transaction<T>(
        &self,
        apply: impl FnOnce(&mut Tables) -> Result<Result<T, StoreError>, StoreError>,
    ) -> Result<T, StoreError> {
        let txn = self.begin_write()?;
        let applied = apply(&mut Tables::open(&txn)?)?;
        match applied {
            Ok(answer) => {
                txn.commit().map_err(backend)?;
                Ok(answer)
            }
            Err(refused) => {
                txn.abort().map_err(backend)?;
                Err(refused)
            }
        }
    }
}

/// How long opening waits for a store of this process that still holds
/// the file (a restarted dev server whose last tasks are letting go).
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens or creates the redb file at `path`, its folder included. redb
/// locks the file while a `Database` of it lives, so an open that finds
/// it held polls until [`RELEASE_WAIT`] for the holder to be dropped.
fn create_database(path: &Path) -> Result<Database, StoreError> {
    create_database_with(path, None)
}

/// [`create_database`] with a page cache of at most `cache_bytes` (redb's
/// default otherwise).
fn create_database_with(path: &Path, cache_bytes: Option<usize>) -> Result<Database, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(backend)?;
    }
    let deadline = std::time::Instant::now() + RELEASE_WAIT;
    let mut builder = Database::builder();
    if let Some(bytes) = cache_bytes {
        builder.set_cache_size(bytes);
    }
    loop {
        match builder.create(path) {
            Err(redb::DatabaseError::DatabaseAlreadyOpen)
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened.map_err(backend),
        }
    }
}

fn read_item(bytes: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(bytes).map_err(backend)
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
        let txn = self.db.begin_read().map_err(backend)?;
        let table = txn.open_table(ITEMS).map_err(backend)?;
        if keys.len() > super::MAX_BATCH_GET {
            return Err(StoreError::Invalid(format!(
                "a batch get holds at most {} keys",
                super::MAX_BATCH_GET
            )));
        }
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
        self.in_own_transaction(|t| apply_single(t, &Write::Put { item, condition }))
            .map(|_| ())
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.in_own_transaction(|t| apply_single(t, &Write::Update(update)))?
            .ok_or_else(|| StoreError::Backend("an update left no item".into()))
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<super::Condition>,
    ) -> Result<(), StoreError> {
        let write = Write::Delete {
            key: key.clone(),
            condition,
        };
        self.in_own_transaction(|t| apply_single(t, &write))
            .map(|_| ())
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        validate_transaction(&writes)?;
        self.in_own_transaction(|t| apply_transaction(t, &writes))
    }

    /// One commit of the file for every transaction: a transaction whose
    /// condition fails writes nothing (its writes are checked before any
    /// is applied), the others stay. A bulk import's transactions are
    /// small (DynamoDB's 100 writes), and each commit copies every page it
    /// touches, so one commit per transaction writes the file many times
    /// over; one per call writes each touched page once.
    async fn transact_each(
        &self,
        transactions: Vec<Vec<Write>>,
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        self.in_own_transaction(|t| apply_each(t, &transactions).map(Ok))
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let txn = self.db.begin_read().map_err(backend)?;
        let index = txn.open_table(index_table(query.index)).map_err(backend)?;
        let items = txn.open_table(ITEMS).map_err(backend)?;
        query_in(query, &index, &items)
    }
}

/// Answers `query` from `index` (the table itself or one of its indexes)
/// and `items`, the table, which index entries point into: the same for a
/// read transaction and for a bulk load's open write transaction.
fn query_in(
    query: &Query,
    index: &impl ReadableTable<&'static [u8], &'static [u8]>,
    items_table: &impl ReadableTable<&'static [u8], &'static [u8]>,
) -> Result<Page, StoreError> {
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
