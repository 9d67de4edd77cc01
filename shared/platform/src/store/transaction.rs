//! A transaction whose conditional writes carry names: when it is
//! cancelled, the error says which named [`Guard`]s did not hold, so the
//! caller decides on names rather than on where a write sits in the list.
//!
//! Both adapters report a cancellation by positions (DynamoDB's
//! `CancellationReasons` come one per write, in order); [`Transaction::commit`]
//! maps them back to the names given when the writes were added.

use std::fmt;

use super::{Key, Store, StoreError, Write, retry_on_conflict};

/// The name of a conditional write in a [`Transaction`], declared as a
/// constant beside the code that builds the transaction.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guard(&'static str);

impl Guard {
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    pub fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Writes applied all or nothing, some of them named.
#[derive(Clone, Debug, Default)]
pub struct Transaction {
    writes: Vec<(Write, Option<Guard>)>,
}

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a write whose failure needs no name (none, or any failure
    /// means the same to the caller).
    pub fn push(&mut self, write: Write) {
        self.writes.push((write, None));
    }

    /// Adds a conditional write under `guard`'s name.
    pub fn guarded(&mut self, guard: Guard, write: Write) {
        self.writes.push((write, Some(guard)));
    }

    /// Names the write on `key` (a transaction touches each key once), for
    /// writes built by a function that returns a plain list.
    pub fn name(&mut self, key: &Key, guard: Guard) {
        for (write, name) in &mut self.writes {
            if write.key().as_ref() == Some(key) {
                *name = Some(guard);
            }
        }
    }

    /// Adds unnamed writes.
    pub fn extend(&mut self, writes: impl IntoIterator<Item = Write>) {
        self.writes.extend(writes.into_iter().map(|w| (w, None)));
    }

    /// Adds another transaction's writes, names included; its unnamed
    /// writes take `otherwise`'s name when one is given.
    pub fn append(&mut self, other: Transaction, otherwise: Option<Guard>) {
        self.writes.extend(
            other
                .writes
                .into_iter()
                .map(|(w, guard)| (w, guard.or(otherwise))),
        );
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The writes in order, names dropped (for a caller sending them in a
    /// batch of its own).
    pub fn into_writes(self) -> Vec<Write> {
        self.writes.into_iter().map(|(w, _)| w).collect()
    }

    /// Applies every write or none, as [`Store::transact`]; a cancellation
    /// answers [`StoreError::GuardsFailed`] with the names of the guards that
    /// did not hold, in the order they were added.
    pub async fn commit(self, store: &dyn Store) -> Result<(), StoreError> {
        let names: Vec<Option<Guard>> = self.writes.iter().map(|(_, g)| *g).collect();
        match store.transact(self.into_writes()).await {
            Err(StoreError::TransactionCancelled { failed }) => Err(StoreError::GuardsFailed {
                guards: failed
                    .iter()
                    .filter_map(|&i| names.get(i).copied().flatten())
                    .collect(),
            }),
            other => other,
        }
    }
}

impl Transaction {
    /// [`Transaction::commit`], tried again under the one conflict policy
    /// ([`retry_on_conflict`]) while other writers conflict with it; the
    /// last conflict when they always do.
    pub async fn commit_retrying(self, store: &dyn Store) -> Result<(), StoreError> {
        let won = retry_on_conflict(|_| {
            let writes = self.clone();
            async move {
                match writes.commit(store).await {
                    Err(e) if e.is_conflict() => Ok(None),
                    other => other.map(Some),
                }
            }
        })
        .await?;
        won.ok_or(StoreError::TransactionConflict)
    }
}

impl From<Vec<Write>> for Transaction {
    fn from(writes: Vec<Write>) -> Self {
        let mut transaction = Transaction::new();
        transaction.extend(writes);
        transaction
    }
}
