//! Where migrated records go: units (one record with every guard, index
//! entry and counter its normal write keeps) are batched into as few
//! store transactions as the 100-write limit allows, and the transactions
//! of one flush go to the store in one call ([`Store::transact_each`]),
//! which the embedded store commits to its file once.
//!
//! A unit's first write creates its record on condition it does not exist
//! (its "primary" key), and its counters move in the same transaction, so
//! a record already migrated is never written again nor counted twice:
//! before each batch the primary keys are read, and units found are
//! counted as already there. A run stopped anywhere leaves whole
//! transactions, so the next run finishes the job without duplicates and
//! never overwrites a record changed since it was migrated.
//!
//! Into the embedded store the sink writes through a bulk load
//! ([`BulkLoad`]): one redb write transaction across many flushes,
//! committed every [`RECORDS_PER_COMMIT`] records, so a leaf page the
//! transaction already copied is changed in place by the next flushes
//! instead of copied again by each commit. Records count as written (and
//! go to the verification log) only once the commit that holds them is
//! done; a run killed before it loses the whole open transaction, and the
//! next run writes those records again.
//!
//! Several units of one batch often move the same counters (a partner's
//! lead totals, a month of analytics): such updates are merged into one
//! write (their additions summed), since a transaction touches a key once.

use std::collections::HashMap;

use pc_platform::store::embedded::BulkLoad;
use pc_platform::store::{Key, MAX_BATCH_GET, MAX_TRANSACTION_WRITES, Store, StoreError, Write};

use crate::report::Report;

/// One record to create, with the writes that keep everything around it.
pub struct Unit {
    pub collection: &'static str,
    /// The record's id, for the report.
    pub id: String,
    /// The key whose presence means the record was migrated already.
    pub primary: Key,
    pub writes: Vec<Write>,
    /// Counted as written (false for a unit that only adds to a record
    /// another unit counts: a duplicate lead's notes).
    pub counts: bool,
}

/// Units per flush: enough to fill many transactions from one read of
/// their primary keys and one store call (a lead is about 15 writes: some
/// 150 transactions per flush); their writes stay a few tens of MB in
/// memory.
const UNITS_PER_FLUSH: usize = 1_000;

/// Records per commit of a bulk load into the embedded store: each commit
/// copies every page the open transaction changed, so the more records it
/// holds, the more of their writes share a page. Trials (docs/benchmarks.md):
/// at 100,000 leads, 1,412 leads per CPU-second committing every flush
/// (1,000 records), 1,912 every 20,000, 2,207 every 50,000, no better
/// beyond; memory does not grow with it (redb writes the dirty pages
/// beyond its write buffer to the file meanwhile). A kill loses at most
/// this many records' work (some 15 CPU-seconds at 100,000 leads).
pub const RECORDS_PER_COMMIT: u64 = 50_000;

/// Tries of a transaction that a concurrent one or throttling refused.
const RETRIES: u32 = 8;

/// Why a run stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("stopped on request after {0} records (fault injection)")]
    Stopped(u64),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
}

pub struct Sink<'a> {
    store: &'a dyn Store,
    dry_run: bool,
    pending: Vec<Unit>,
    /// Stop (as if killed) once this many records were committed.
    stop_after: Option<u64>,
    committed: u64,
    /// Where writes wait for a commit, and every how many records it is made.
    bulk: Option<(&'a BulkLoad<'a>, u64)>,
    /// The records written into the bulk load's open transaction: counted
    /// as written once it commits.
    uncommitted: Vec<(&'static str, Key)>,
    /// Every unit written into it (records and additions to them).
    uncommitted_units: u64,
    /// The primary keys of every record migrated (written now or found
    /// from an earlier run), on disk, for the verification pass.
    pub log: Option<crate::scratch::Scratch>,
    /// Whether this run put the search stage's marker into the bulk load
    /// (with its first new lead).
    search_marker_written: bool,
}

impl<'a> Sink<'a> {
    pub fn new(store: &'a dyn Store, dry_run: bool, stop_after: Option<u64>) -> Self {
        Self {
            store,
            dry_run,
            pending: Vec::new(),
            stop_after,
            committed: 0,
            bulk: None,
            uncommitted: Vec::new(),
            uncommitted_units: 0,
            log: None,
            search_marker_written: false,
        }
    }

    /// A sink writing through a bulk load of the embedded store,
    /// committed every `records_per_commit` records and by [`Sink::finish`].
    pub fn bulk(
        load: &'a BulkLoad<'a>,
        records_per_commit: u64,
        dry_run: bool,
        stop_after: Option<u64>,
    ) -> Self {
        let mut sink = Self::new(load, dry_run, stop_after);
        sink.bulk = Some((load, records_per_commit.max(1)));
        sink
    }

    pub fn store(&self) -> &'a dyn Store {
        self.store
    }

    /// The bulk load written through, if any.
    pub fn bulk_load(&self) -> Option<&'a BulkLoad<'a>> {
        self.bulk.map(|(load, _)| load)
    }

    /// Whether new leads go in without their search entries, which the
    /// search stage writes after them ([`crate::search_stage`]): into the
    /// embedded store's bulk load, not on a dry run.
    pub fn defers_search(&self) -> bool {
        self.bulk.is_some() && !self.dry_run
    }

    pub async fn push(&mut self, unit: Unit, report: &mut Report) -> Result<(), SinkError> {
        self.pending.push(unit);
        if self.pending.len() >= UNITS_PER_FLUSH {
            self.flush(report).await?;
        }
        Ok(())
    }

    /// Writes every pending unit.
    pub async fn flush(&mut self, report: &mut Report) -> Result<(), SinkError> {
        let units = std::mem::take(&mut self.pending);
        let fresh = self.not_yet_migrated(units, report).await?;
        if self.dry_run {
            for unit in fresh {
                if unit.counts {
                    report.counts(unit.collection).written += 1;
                }
            }
            return Ok(());
        }
        let mut fresh = fresh;
        // Units that move the same counters (a partner's leads and
        // meetings) side by side, so their updates merge within a batch:
        // fewer writes, fewer rewrites of those hot items, fewer
        // transactions.
        fresh.sort_by(|a, b| a.counter_key().cmp(&b.counter_key()));
        let mut batches = Vec::new();
        let mut batch = Batch::default();
        for unit in fresh {
            if !batch.fits(&unit) {
                batches.push(std::mem::take(&mut batch));
            }
            batch.add(unit);
        }
        if !batch.units.is_empty() {
            batches.push(batch);
        }
        self.commit(batches, report).await
    }

    /// Writes every pending unit and commits the bulk load, if any: from
    /// here everything counted as written is in the store.
    pub async fn finish(&mut self, report: &mut Report) -> Result<(), SinkError> {
        self.flush(report).await?;
        self.commit_load(report)
    }

    /// Commits the bulk load once it holds enough records.
    fn commit_if_due(&mut self, report: &mut Report) -> Result<(), SinkError> {
        match self.bulk {
            Some((_, every)) if self.uncommitted_units >= every => self.commit_load(report),
            _ => Ok(()),
        }
    }

    /// Commits the bulk load and counts the records it held as written.
    fn commit_load(&mut self, report: &mut Report) -> Result<(), SinkError> {
        let Some((load, _)) = self.bulk else {
            return Ok(());
        };
        load.commit()?;
        self.uncommitted_units = 0;
        for (collection, primary) in std::mem::take(&mut self.uncommitted) {
            self.count_written(collection, &primary, report)?;
        }
        Ok(())
    }

    /// Drops (and counts) the units whose record exists already.
    async fn not_yet_migrated(
        &mut self,
        units: Vec<Unit>,
        report: &mut Report,
    ) -> Result<Vec<Unit>, SinkError> {
        let store = self.store;
        let mut fresh = Vec::with_capacity(units.len());
        let mut units = units.into_iter().peekable();
        while units.peek().is_some() {
            let chunk: Vec<Unit> = units.by_ref().take(MAX_BATCH_GET).collect();
            let mut keys: Vec<Key> = chunk.iter().map(|u| u.primary.clone()).collect();
            keys.dedup();
            let found = with_retries(|| store.batch_get(&keys)).await?;
            let present: std::collections::HashSet<Key> =
                found.iter().filter_map(Key::of).collect();
            for unit in chunk {
                if present.contains(&unit.primary) {
                    if unit.counts {
                        report.counts(unit.collection).unchanged += 1;
                        self.remember(unit.collection, &unit.primary)?;
                    }
                } else {
                    fresh.push(unit);
                }
            }
        }
        Ok(fresh)
    }

    /// Commits the batches of one flush. A run that is to stop part way
    /// (fault injection) commits them one by one, as a run killed between
    /// two store calls would have left them.
    async fn commit(&mut self, batches: Vec<Batch>, report: &mut Report) -> Result<(), SinkError> {
        if self.stop_after.is_none() {
            self.commit_together(batches, report).await?;
            return self.commit_if_due(report);
        }
        for batch in batches {
            self.commit_together(vec![batch], report).await?;
            self.commit_if_due(report)?;
        }
        Ok(())
    }

    /// Commits batches together ([`Store::transact_each`]: one commit of
    /// the embedded store's file for all of them), then retries alone what
    /// a concurrent transaction or throttling refused.
    async fn commit_together(
        &mut self,
        batches: Vec<Batch>,
        report: &mut Report,
    ) -> Result<(), SinkError> {
        if batches.is_empty() {
            return Ok(());
        }
        let store = self.store;
        // The merged writes go to the store; each batch keeps its units,
        // which make them again for a retry.
        let mut batches = batches;
        let writes = batches
            .iter_mut()
            .map(|b| std::mem::take(&mut b.writes))
            .collect();
        if self.defers_search()
            && !self.search_marker_written
            && batches
                .iter()
                .any(|b| b.units.iter().any(|u| u.collection == "leads" && u.counts))
        {
            // In the same commit as the first new lead: from there on, a
            // kill leaves the marker and the next run completes the stage.
            store.put(crate::search_stage::marker_item(), None).await?;
            self.search_marker_written = true;
        }
        let outcomes = store.transact_each(writes).await?;
        for (batch, outcome) in batches.into_iter().zip(outcomes) {
            let (batch, outcome) = match outcome {
                Err(e) if refused_for_load(&e) => {
                    let batch = Batch::of(batch.units);
                    let outcome = with_retries(|| store.transact(batch.writes.clone())).await;
                    (batch, outcome)
                }
                other => (batch, other),
            };
            match outcome {
                Ok(()) => {
                    for unit in batch.units {
                        self.done(unit, report)?;
                    }
                }
                Err(e) if e.is_condition_failure() => {
                    // Someone else's record holds a guard, or a record
                    // appeared since it was read: each unit alone tells which.
                    for unit in batch.units {
                        self.commit_alone(unit, report).await?;
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    async fn commit_alone(&mut self, unit: Unit, report: &mut Report) -> Result<(), SinkError> {
        let store = self.store;
        match with_retries(|| store.transact(unit.writes.clone())).await {
            Ok(()) => self.done(unit, report),
            Err(e) if e.is_condition_failure() => {
                if self.store.get(&unit.primary).await?.is_some() {
                    if unit.counts {
                        report.counts(unit.collection).unchanged += 1;
                        self.remember(unit.collection, &unit.primary)?;
                    }
                } else {
                    let failed = match &e {
                        StoreError::TransactionCancelled { failed } => failed
                            .iter()
                            .filter_map(|&i| unit.writes.get(i).and_then(Write::key))
                            .map(|k| format!("{}/{}", k.pk, k.sk))
                            .collect::<Vec<_>>()
                            .join(", "),
                        _ => String::new(),
                    };
                    report.skip(
                        unit.collection,
                        &unit.id,
                        format!("held by another record already in the store: {failed}"),
                    );
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A unit's transaction went in: its record counts as written now, or
    /// in a bulk load once the load commits. A run to stop part way stops
    /// once this many records went in, committed or not (as a kill would).
    fn done(&mut self, unit: Unit, report: &mut Report) -> Result<(), SinkError> {
        if self.bulk.is_some() {
            self.uncommitted_units += 1;
        }
        if !unit.counts {
            return Ok(());
        }
        if self.bulk.is_some() {
            self.uncommitted.push((unit.collection, unit.primary));
        } else {
            self.count_written(unit.collection, &unit.primary, report)?;
        }
        let went_in = self.committed + self.uncommitted.len() as u64;
        match self.stop_after {
            Some(n) if went_in >= n => Err(SinkError::Stopped(went_in)),
            _ => Ok(()),
        }
    }

    fn count_written(
        &mut self,
        collection: &'static str,
        primary: &Key,
        report: &mut Report,
    ) -> Result<(), SinkError> {
        report.counts(collection).written += 1;
        self.remember(collection, primary)?;
        self.committed += 1;
        Ok(())
    }
}

impl Unit {
    /// The key of the unit's first update (a lead's or meeting's partner
    /// count), which groups units sharing counters.
    fn counter_key(&self) -> Option<&Key> {
        self.writes.iter().find_map(|w| match w {
            Write::Update(update) => Some(&update.key),
            _ => None,
        })
    }
}

impl Sink<'_> {
    fn remember(&mut self, collection: &str, primary: &Key) -> Result<(), SinkError> {
        if let Some(log) = &mut self.log {
            log.add_migrated(collection, &primary.pk, &primary.sk)
                .map_err(|e| SinkError::Store(StoreError::Backend(e.to_string())))?;
        }
        Ok(())
    }
}

/// What the store refuses for load rather than for the writes themselves:
/// a concurrent transaction, or throttling.
fn refused_for_load(e: &StoreError) -> bool {
    e.is_conflict() || *e == StoreError::Throttled
}

/// Retries what the store refuses for load, with a short growing pause.
/// Not [`pc_platform::store::retry_on_conflict`]: a bulk load is mostly
/// refused for throttling, which wants the table's capacity to catch up
/// (pauses of seconds in all), not the few milliseconds that separate two
/// racing writers; and the last refusal is the answer, not a lost race.
async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut pause = std::time::Duration::from_millis(20);
    for _ in 1..RETRIES {
        match call().await {
            Err(e) if refused_for_load(&e) => {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            other => return other,
        }
    }
    call().await
}

/// The writes of several units, merged into one transaction.
#[derive(Default)]
struct Batch {
    units: Vec<Unit>,
    writes: Vec<Write>,
    positions: HashMap<Key, usize>,
}

impl Batch {
    /// Whether every write of `unit` joins this batch within the limit.
    fn fits(&self, unit: &Unit) -> bool {
        let mut added = 0;
        let mut own = std::collections::HashSet::new();
        for write in &unit.writes {
            let Some(key) = write.key() else { return false };
            if !own.insert(key.clone()) {
                return false;
            }
            match self.positions.get(&key) {
                None => added += 1,
                Some(&at) if mergeable(&self.writes[at], write) => {}
                Some(_) => return false,
            }
        }
        self.units.is_empty() || self.writes.len() + added <= MAX_TRANSACTION_WRITES
    }

    /// One batch of `units` (which fitted together before).
    fn of(units: Vec<Unit>) -> Self {
        let mut batch = Batch::default();
        for unit in units {
            batch.add(unit);
        }
        batch
    }

    /// Adds `unit` (which [`Self::fits`]).
    fn add(&mut self, unit: Unit) {
        for write in &unit.writes {
            let key = write.key().expect("checked by fits");
            match self.positions.get(&key) {
                Some(&at) => merge(&mut self.writes[at], write),
                None => {
                    self.positions.insert(key, self.writes.len());
                    self.writes.push(write.clone());
                }
            }
        }
        self.units.push(unit);
    }
}

/// Two updates of one key merge when their conditions are the same and
/// they set no attribute to different values.
fn mergeable(existing: &Write, new: &Write) -> bool {
    match (existing, new) {
        (Write::Update(a), Write::Update(b)) => {
            a.condition == b.condition
                && a.remove.is_empty()
                && b.remove.is_empty()
                && b.set
                    .iter()
                    .all(|(k, v)| a.set.get(k).is_none_or(|w| w == v))
        }
        _ => false,
    }
}

fn merge(existing: &mut Write, new: &Write) {
    let (Write::Update(a), Write::Update(b)) = (existing, new) else {
        unreachable!("only mergeable updates are merged");
    };
    for (k, v) in &b.set {
        a.set.insert(k.clone(), v.clone());
    }
    for (attr, by) in &b.add {
        match a.add.iter_mut().find(|(x, _)| x == attr) {
            Some((_, sum)) => *sum += by,
            None => a.add.push((attr.clone(), *by)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::embedded::EmbeddedStore;
    use pc_platform::store::{Condition, Item, Update};

    fn item(pk: &str) -> Item {
        let mut item = Item::new();
        item.insert("pk".into(), pk.into());
        item.insert("sk".into(), "R".into());
        item.insert("entity".into(), "t".into());
        item
    }

    fn unit(n: usize) -> Unit {
        let pk = format!("R#{n}");
        Unit {
            collection: "leads",
            id: n.to_string(),
            primary: Key::new(pk.clone(), "R"),
            writes: vec![
                Write::put_new(item(&pk)),
                Write::Update(
                    Update::new(Key::new("COUNT", "C"))
                        .set("entity", "counter")
                        .add("n", 1)
                        .when(Condition::NotEquals("x".into(), 1.into())),
                ),
            ],
            counts: true,
        }
    }

    #[tokio::test]
    async fn counters_of_a_batch_merge_and_a_rerun_adds_nothing() {
        let store = EmbeddedStore::in_memory();
        for _ in 0..2 {
            let mut report = Report::default();
            let mut sink = Sink::new(&store, false, None);
            for n in 0..250 {
                sink.push(unit(n), &mut report).await.expect("pushed");
            }
            sink.flush(&mut report).await.expect("flushed");
            let counter = store
                .get(&Key::new("COUNT", "C"))
                .await
                .expect("read")
                .expect("counter");
            assert_eq!(counter["n"], 250);
        }
    }

    #[tokio::test]
    async fn a_stop_leaves_whole_records_and_the_next_run_finishes() {
        let store = EmbeddedStore::in_memory();
        let mut report = Report::default();
        let mut sink = Sink::new(&store, false, Some(10));
        let mut stopped = false;
        for n in 0..50 {
            if sink.push(unit(n), &mut report).await.is_err() {
                stopped = true;
                break;
            }
        }
        if !stopped {
            stopped = sink.flush(&mut report).await.is_err();
        }
        assert!(stopped, "the fault stops the run");
        let mut report = Report::default();
        let mut sink = Sink::new(&store, false, None);
        for n in 0..50 {
            sink.push(unit(n), &mut report).await.expect("pushed");
        }
        sink.flush(&mut report).await.expect("flushed");
        let counter = store
            .get(&Key::new("COUNT", "C"))
            .await
            .expect("read")
            .expect("counter");
        assert_eq!(counter["n"], 50);
        let counts = &report.counts["leads"];
        assert_eq!(counts.written + counts.unchanged, 50);
        assert!(counts.unchanged > 0);
    }

    async fn counter(store: &EmbeddedStore) -> Option<i64> {
        let counter = store.get(&Key::new("COUNT", "C")).await.expect("read")?;
        counter["n"].as_i64()
    }

    #[tokio::test]
    async fn a_bulk_load_counts_records_as_written_once_committed() {
        let store = EmbeddedStore::in_memory();
        let load = store.bulk_load();
        let mut report = Report::default();
        let mut sink = Sink::bulk(&load, 100, false, None);
        for n in 0..50 {
            sink.push(unit(n), &mut report).await.expect("pushed");
        }
        sink.flush(&mut report).await.expect("flushed");
        assert!(!report.counts.contains_key("leads"), "not committed yet");
        assert_eq!(
            counter(&store).await,
            None,
            "nothing visible before the commit"
        );
        sink.finish(&mut report).await.expect("finished");
        assert_eq!(report.counts["leads"].written, 50);
        assert_eq!(counter(&store).await, Some(50));
    }

    #[tokio::test]
    async fn a_bulk_load_stopped_loses_its_open_transaction_and_the_next_run_redoes_it() {
        let store = EmbeddedStore::in_memory();
        {
            let load = store.bulk_load();
            let mut report = Report::default();
            let mut sink = Sink::bulk(&load, 10, false, Some(25));
            // Flushed every five records: a commit after every second flush.
            let mut outcome = Ok(());
            for n in 0..50 {
                sink.push(unit(n), &mut report).await.expect("pushed");
                if n % 5 == 4 {
                    outcome = sink.flush(&mut report).await;
                    if outcome.is_err() {
                        break;
                    }
                }
            }
            assert!(matches!(outcome, Err(SinkError::Stopped(25))));
            // The load is dropped here uncommitted, as a kill leaves it.
        }
        let kept = counter(&store).await.expect("some commits stayed");
        assert_eq!(
            kept, 20,
            "the commits up to the 20th record stay, the rest is lost"
        );
        let load = store.bulk_load();
        let mut report = Report::default();
        let mut sink = Sink::bulk(&load, 10, false, None);
        for n in 0..50 {
            sink.push(unit(n), &mut report).await.expect("pushed");
        }
        sink.finish(&mut report).await.expect("finished");
        drop(sink);
        load.finish().expect("committed");
        assert_eq!(counter(&store).await, Some(50));
        let counts = &report.counts["leads"];
        assert_eq!(
            (counts.written, counts.unchanged),
            (50 - kept as u64, kept as u64)
        );
    }
}
