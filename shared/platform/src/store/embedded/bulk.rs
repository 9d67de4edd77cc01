//! A bulk load: one redb write transaction kept open across many store
//! calls and committed when the loader says so, rather than one commit
//! per call.
//!
//! Why: every redb commit copies each page it touches (copy on write),
//! and a bulk load's writes are spread over the whole key space, so a
//! commit of a few thousand records rewrites nearly as many leaves as it
//! has writes. Inside one open transaction a page already copied is
//! changed in place, so the next writes to the same leaf cost nothing
//! more; fewer commits write the file fewer times. The memory of the open
//! transaction stays bounded: redb keeps at most a tenth of the store's
//! cache size of dirty pages in memory and writes the rest to the file
//! (uncommitted, so still lost whole on a crash).
//!
//! What the loader must know: nothing is durable, nor visible to other
//! readers, before [`BulkLoad::commit`]; a loader that counts what it
//! wrote counts it only after that commit. Dropping a load without
//! committing, or a crash, loses everything since its last commit at
//! once, and a resumable loader simply redoes it. While a load is open it
//! holds the store's only write transaction: writes through the
//! [`EmbeddedStore`] itself wait for it (from the same task they would
//! wait forever), reads through it see the last commit; the load's own
//! reads see its uncommitted writes.

use std::sync::Mutex;

use async_trait::async_trait;
use redb::WriteTransaction;

use super::writes::{Tables, apply_each, apply_single, apply_transaction, read_many};
use super::{EmbeddedStore, backend, query_in};
use crate::store::{
    Condition, Item, Key, Page, Query, Store, StoreError, Update, Write, validate_transaction,
};

/// A bulk load into an [`EmbeddedStore`] (see the module documentation).
/// It is a [`Store`]: every call applies to the open transaction.
///
/// ```ignore
/// let load = store.bulk_load();
/// for chunk in transactions.chunks(150) {
///     load.transact_each(chunk.to_vec()).await?;
///     if load.uncommitted_calls() >= 100 {
///         load.commit()?; // durable from here
///     }
/// }
/// load.finish()?;
/// ```
pub struct BulkLoad<'a> {
    store: &'a EmbeddedStore,
    state: Mutex<State>,
}

enum State {
    /// No transaction open (none begun yet, or the last one committed).
    Idle,
    Open {
        txn: Box<WriteTransaction>,
        /// Store calls applied since the last commit.
        calls: u64,
    },
    /// A backend error broke off the open transaction (its writes are
    /// gone): the load refuses every further call.
    Failed(String),
}

impl EmbeddedStore {
    /// Starts a bulk load (see [`BulkLoad`]): its writes share one write
    /// transaction until [`BulkLoad::commit`].
    pub fn bulk_load(&self) -> BulkLoad<'_> {
        BulkLoad {
            store: self,
            state: Mutex::new(State::Idle),
        }
    }
}

impl BulkLoad<'_> {
    /// Commits everything written since the last commit (nothing to do
    /// when nothing was): from here it is durable as the store's commits
    /// are and visible to every reader.
    pub fn commit(&self) -> Result<(), StoreError> {
        let mut state = self.state.lock().expect("no call panics holding the load");
        match std::mem::replace(&mut *state, State::Idle) {
            State::Idle => Ok(()),
            State::Open { txn, .. } => txn.commit().map_err(|e| {
                let e = backend(e);
                *state = State::Failed(e.to_string());
                e
            }),
            State::Failed(reason) => {
                *state = State::Failed(reason.clone());
                Err(failed(&reason))
            }
        }
    }

    /// Commits what is left and ends the load.
    pub fn finish(self) -> Result<(), StoreError> {
        self.commit()
    }

    /// Store calls applied since the last commit, for a loader that
    /// commits every so many.
    pub fn uncommitted_calls(&self) -> u64 {
        match &*self.state.lock().expect("no call panics holding the load") {
            State::Open { calls, .. } => *calls,
            State::Idle | State::Failed(_) => 0,
        }
    }

    /// Runs `apply` in the open write transaction, beginning one if none
    /// is. A refusal (`Ok(Err(_))`) wrote nothing and leaves it open; a
    /// backend error may have written part of a call, so it aborts the
    /// transaction (everything since the last commit) and fails the load.
    fn within<T>(
        &self,
        apply: impl FnOnce(&mut Tables) -> Result<Result<T, StoreError>, StoreError>,
    ) -> Result<T, StoreError> {
        let mut state = self.state.lock().expect("no call panics holding the load");
        if let State::Failed(reason) = &*state {
            return Err(failed(reason));
        }
        if matches!(*state, State::Idle) {
            *state = State::Open {
                txn: Box::new(self.store.begin_write()?),
                calls: 0,
            };
        }
        let State::Open { txn, calls } = &mut *state else {
            unreachable!("opened above");
        };
        let applied = Tables::open(txn).and_then(|mut tables| apply(&mut tables));
        match applied {
            Ok(answer) => {
                *calls += 1;
                answer
            }
            Err(e) => {
                // Dropping the transaction aborts it.
                *state = State::Failed(e.to_string());
                Err(e)
            }
        }
    }
}

fn failed(reason: &str) -> StoreError {
    StoreError::Backend(format!(
        "the bulk load stopped at an earlier failure ({reason}); what it wrote since its last commit is gone"
    ))
}

#[async_trait]
impl Store for BulkLoad<'_> {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        crate::store::validate_key(key)?;
        self.within(|t| t.get(key).map(Ok))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.within(|t| Ok(read_many(t, keys)))
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.within(|t| apply_single(t, &Write::Put { item, condition }))
            .map(|_| ())
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.within(|t| apply_single(t, &Write::Update(update)))?
            .ok_or_else(|| StoreError::Backend("an update left no item".into()))
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        let write = Write::Delete {
            key: key.clone(),
            condition,
        };
        self.within(|t| apply_single(t, &write)).map(|_| ())
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        validate_transaction(&writes)?;
        self.within(|t| apply_transaction(t, &writes))
    }

    async fn transact_each(
        &self,
        transactions: Vec<Vec<Write>>,
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        self.within(|t| apply_each(t, &transactions).map(Ok))
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.within(|t| {
            let (index, items) = t.for_query(query.index);
            Ok(query_in(query, index, items))
        })
    }
}
