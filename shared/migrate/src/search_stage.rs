//! The search stage of an embedded import: the leads' search entries
//! written after the leads, in key order, rather than with each lead.
//!
//! Why: a lead has about five search entries (one per word, each with an
//! entry in the cross-partner word index), keyed by word, so written with
//! their leads they land all over two large B-trees and one commit of the
//! bulk load dirties far more leaves than the store's write buffer holds:
//! leaves are evicted to the file and read back again and again
//! (docs/benchmarks.md). Sorted (externally, see [`SortedRuns`]) in the
//! word index's order, they fill that index front to back and each
//! partner's word partitions in as many append streams as there are
//! partners, so every leaf is written about once.
//!
//! Why it stays safe: search entries are derived from the lead alone and
//! put unconditionally, so they can be made again from the stored leads
//! at any time. The first commit of the import that holds a new lead also
//! holds a marker item ([`marker_key`]); the stage runs whenever the
//! marker is there, derives the entries of every lead in the store from
//! its staff copy, writes them, and deletes the marker in its last
//! commit. A run killed before then (in the lead pass or in the stage)
//! leaves the marker, and the next run redoes the whole stage; a run that
//! wrote no lead finds no marker and writes nothing.

use pc_leads::leads_store::each_lead;
use pc_leads::leads_store::items::word_entries;
use pc_platform::store::embedded::BulkLoad;
use pc_platform::store::{Index, Item, Key, MAX_TRANSACTION_WRITES, Store, StoreError, Write};

use crate::report::Report;
use crate::sink::SinkError;
use crate::sorted_runs::SortedRuns;

/// Memory for the entries gathered before a sorted run is spilled.
const SORT_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// Transactions per store call while writing the entries.
const TRANSACTIONS_PER_CALL: usize = 10;

/// Where the marker of an unfinished stage lives.
pub fn marker_key() -> Key {
    crate::keys::search_stage_key()
}

/// The marker: a run of the migration wrote leads whose search entries
/// are not all written yet.
pub fn marker_item() -> Item {
    let key = marker_key();
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "migration_stage".into());
    item
}

/// How the stage runs: its commits, and a stop for the tests of resuming.
pub struct Stage {
    /// Entries per commit of the bulk load.
    pub entries_per_commit: u64,
    /// Stop (as if killed) once this many entries were written.
    pub stop_after: Option<u64>,
}

/// Writes the search entries of every stored lead if a run left the
/// marker; answers how many were written.
pub async fn complete(
    load: &BulkLoad<'_>,
    stage: &Stage,
    report: &mut Report,
) -> Result<u64, SinkError> {
    if load.get(&marker_key()).await?.is_none() {
        return Ok(0);
    }
    let mut runs = SortedRuns::new(SORT_BUDGET_BYTES);
    let mut leads = 0u64;
    let mut spill_failed = None;
    each_lead(load, |lead| {
        leads += 1;
        for entry in word_entries(&lead) {
            let pushed = serde_json::to_vec(&entry)
                .map_err(std::io::Error::other)
                .and_then(|bytes| runs.push(word_index_order(&entry), bytes));
            if let Err(e) = pushed {
                spill_failed.get_or_insert(e);
            }
        }
    })
    .await?;
    if let Some(e) = spill_failed {
        return Err(sort_error(e));
    }
    let mut written = 0u64;
    let mut uncommitted = 0u64;
    let mut call: Vec<Vec<Write>> = Vec::new();
    let mut transaction = Vec::with_capacity(MAX_TRANSACTION_WRITES);
    for pair in runs.into_sorted().map_err(sort_error)? {
        let (_, bytes) = pair.map_err(sort_error)?;
        let item: Item = serde_json::from_slice(&bytes)
            .map_err(|e| SinkError::Store(StoreError::Backend(e.to_string())))?;
        transaction.push(Write::put(item));
        if transaction.len() == MAX_TRANSACTION_WRITES {
            call.push(std::mem::take(&mut transaction));
        }
        if call.len() == TRANSACTIONS_PER_CALL {
            written += write(load, std::mem::take(&mut call)).await?;
            uncommitted += (TRANSACTIONS_PER_CALL * MAX_TRANSACTION_WRITES) as u64;
            if let Some(n) = stage.stop_after
                && written >= n
            {
                return Err(SinkError::Stopped(written));
            }
            if uncommitted >= stage.entries_per_commit {
                load.commit()?;
                uncommitted = 0;
            }
        }
    }
    if !transaction.is_empty() {
        call.push(transaction);
    }
    written += write(load, call).await?;
    load.delete(&marker_key(), None).await?;
    load.commit()?;
    report.note(format!(
        "search entries: {written} for the {leads} lead(s) in the store, written after the leads in key order"
    ));
    Ok(written)
}

/// Puts the entries of one call; they are unconditional, so any refusal
/// is the store's failure.
async fn write(load: &BulkLoad<'_>, call: Vec<Vec<Write>>) -> Result<u64, SinkError> {
    let entries: usize = call.iter().map(Vec::len).sum();
    for outcome in load.transact_each(call).await? {
        outcome?;
    }
    Ok(entries as u64)
}

/// An entry's place in the cross-partner word index (its partition and
/// sort key, then its own key): written in this order, that index fills
/// front to back and each partner's word partition in key order.
fn word_index_order(entry: &Item) -> Vec<u8> {
    let (pk_attr, sk_attr) = Index::Gsi1.key_attributes();
    let mut order = Vec::new();
    for attr in [pk_attr, sk_attr, "pk", "sk"] {
        if let Some(text) = entry.get(attr).and_then(|v| v.as_str()) {
            order.extend_from_slice(text.as_bytes());
        }
        order.push(0);
    }
    order
}

fn sort_error(e: std::io::Error) -> SinkError {
    SinkError::Store(StoreError::Backend(format!(
        "sorting the search entries: {e}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::SinkError;
    use crate::{MigrateError, Options, generate, migrate_embedded};
    use pc_platform::store::embedded::EmbeddedStore;

    /// The search entries every stored lead should have, and how many of
    /// them are in the store.
    async fn entries(store: &EmbeddedStore) -> (usize, usize) {
        let mut keys = Vec::new();
        each_lead(store, |lead| {
            keys.extend(word_entries(&lead).iter().filter_map(Key::of));
        })
        .await
        .expect("leads read");
        let mut present = 0;
        for chunk in keys.chunks(pc_platform::store::MAX_BATCH_GET) {
            present += store.batch_get(chunk).await.expect("read").len();
        }
        (keys.len(), present)
    }

    async fn marker(store: &EmbeddedStore) -> bool {
        store.get(&marker_key()).await.expect("read").is_some()
    }

    #[tokio::test]
    async fn a_run_killed_in_the_search_stage_leaves_its_marker_and_the_next_run_completes_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        generate::bench_dump(dir.path(), 300).expect("dump generated");
        let store = EmbeddedStore::in_memory();
        let mut options = Options::new(dir.path());
        // Entries go in 1,000 per store call, a commit once 100 are in:
        // the first call commits, the run dies in the second.
        options.records_per_commit = 10;
        options.stop_search_after = Some(1_500);
        let stopped = migrate_embedded(&store, &options, "test").await;
        assert!(
            matches!(stopped, Err(MigrateError::Sink(SinkError::Stopped(_)))),
            "the fault stops the run"
        );
        let (expected, present) = entries(&store).await;
        assert!(expected > 297, "{expected} entries for 297 leads");
        assert!(
            present > 0 && present < expected,
            "the stage's commits stay, its open transaction is lost: {present} of {expected}"
        );
        assert!(marker(&store).await, "the unfinished stage is marked");

        options.stop_search_after = None;
        let report = migrate_embedded(&store, &options, "test")
            .await
            .expect("the rerun completes");
        let leads = &report.counts["leads"];
        assert_eq!((leads.written, leads.unchanged), (0, 297));
        assert_eq!(entries(&store).await, (expected, expected));
        assert!(!marker(&store).await, "the stage is done");
        assert!(report.verified_ok(), "{}", report.render());

        // Nothing left to do: a third run writes no entries.
        let report = migrate_embedded(&store, &options, "test")
            .await
            .expect("a third run");
        assert!(
            !report.render().contains("search entries:"),
            "{}",
            report.render()
        );
        assert!(!marker(&store).await);
    }

    #[tokio::test]
    async fn a_run_killed_among_the_leads_leaves_the_marker_with_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        generate::bench_dump(dir.path(), 300).expect("dump generated");
        let store = EmbeddedStore::in_memory();
        let mut options = Options::new(dir.path());
        options.records_per_commit = 10;
        options.stop_after = Some(100 + 500 + 37);
        assert!(migrate_embedded(&store, &options, "test").await.is_err());
        assert!(marker(&store).await, "committed leads come with the marker");
        let (_, present) = entries(&store).await;
        assert_eq!(present, 0, "no entry before the stage");
        options.stop_after = None;
        migrate_embedded(&store, &options, "test")
            .await
            .expect("the rerun completes");
        let (expected, present) = entries(&store).await;
        assert_eq!(present, expected);
        assert!(!marker(&store).await);
    }
}
