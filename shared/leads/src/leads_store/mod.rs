//! Leads and their notes in the single table, and the reads the lead
//! views are built on. The leads capability owns these keys; other code
//! reaches them through [`crate::keys`], which lists the items.
//!
//! Access patterns:
//!
//! | pattern | key condition |
//! |---|---|
//! | one lead with its notes (`GET /v1/leads/{id}`) | table, pk = `LEAD#<id>` (one query) |
//! | a partner's leads by created date / in a status / from a source | gsi1 / gsi2 / gsi5 of the lead |
//! | a partner's open leads by scheduled date (overdue: sk < now); leads with a meeting in a date range | gsi3 / gsi4 of the lead |
//! | every lead by created date / in a status / from a source (staff) | table pk = `LEADS` / gsi1 / gsi2 of the staff copy |
//! | every open lead by scheduled date; every lead with a meeting in a date range (staff) | gsi3 / gsi4 of the staff copy |
//! | a partner's lead by email | get `LEADEMAIL#<pid>#<email>`, then the lead |
//! | the leads with an email, across partners (staff search) | gsi1 = `LEADEMAIL#<email>`, then the leads |
//! | the leads with a word starting like `w` | table pk = `LEADWORD#<pid>#<w[0]>` (or gsi1 `LEADWORD#<w[0]>` for staff), sk begins_with `w` |
//! | list totals by status or source | batch get `LEADCOUNT#<pid>` (or gsi1 = `LEADCOUNTS` for staff) |
//! | a partner's leads changed since the CRM sync took them | table pk = `LEADCHANGED#<pid>` |
//! | the distinct sales managers of a partner's leads (of every lead) | table pk = `LEADMANAGERS#<pid>` (`LEADMANAGERS`) |
//!
//! Every lead write is one transaction with its staff copy, its email
//! guard, its search entries (see `lead_search`) and its counters
//! ([`writes`]), so no index, search or total disagrees with the lead. The
//! staff copy exists because one item has one place in each index: the
//! lead's indexes serve one partner, the copy's serve every partner. Its
//! partition `LEADS` takes every lead creation (DynamoDB allows 1,000
//! writes a second on it, far above the rate leads arrive at).
//!
//! Removing a lead ([`removal`]) takes every one of those items and
//! counts back in one transaction.
//!
//! How a list request reads is its [`plan::ListPlan`], read by
//! [`listing::list`].

pub mod items;
pub mod listing;
pub mod plan;
pub mod removal;
pub mod sales_managers;
pub mod writes;

pub use items::{
    Partition, STAFF_PARTITION, change_marker_item, change_markers_pk, email_guard_key, lead_item,
    lead_key, lead_partition, note_item, staff_copy_item,
};
pub use listing::{Listing, Window, list};
pub use plan::{ListPlan, plan_for};
pub use writes::{
    EMAIL_GUARD, LEAD, LeadWriteError, PARTNER, create, create_lead_transaction,
    create_lead_writes, create_with, update, update_lead_transaction, update_lead_writes,
    update_with,
};

use pc_platform::store::pages::{each_item, query_all};
use pc_platform::store::{Index, Query, SortKey, Store, StoreError, from_item};
use pc_platform::time::timestamp;

use crate::lead::{LeadRecord, NoteRecord};

/// Most rows the meeting and event lists read from their partition before
/// they filter, sort and page them in memory.
pub const LIST_SCAN_LIMIT: usize = 10_000;
/// Rows asked per store round trip while reading a partition.
pub(crate) use pc_platform::store::pages::QUERY_PAGE;

#[tracing::instrument(skip_all, fields(lead_id = %id))]
pub async fn get(store: &dyn Store, id: &str) -> Result<Option<LeadRecord>, StoreError> {
    store.get_as(&lead_key(id)).await
}

/// A lead and its notes, newest note first: one query on the lead's partition.
#[tracing::instrument(skip_all, fields(lead_id = %id))]
pub async fn get_with_notes(
    store: &dyn Store,
    id: &str,
) -> Result<Option<(LeadRecord, Vec<NoteRecord>)>, StoreError> {
    let items = query_all(
        store,
        Query::partition(Index::Table, lead_partition(id)).descending(),
        usize::MAX,
    )
    .await?;
    let mut lead = None;
    let mut notes = Vec::new();
    for item in items {
        match item.get("entity").and_then(|e| e.as_str()) {
            Some("lead") => lead = Some(from_item::<LeadRecord>(item)?),
            Some("note") => notes.push(from_item::<NoteRecord>(item)?),
            _ => {}
        }
    }
    Ok(lead.map(|l| (l, notes)))
}

/// Stores a new note of a lead.
#[tracing::instrument(skip_all, fields(lead_id = %note.lead_id))]
pub async fn add_note(store: &dyn Store, note: &NoteRecord) -> Result<(), StoreError> {
    store.transact(vec![note_write(note)?]).await
}

/// The write that adds `note`, for a transaction that carries more (the
/// note's audit event in the outbox).
pub fn note_write(note: &NoteRecord) -> Result<pc_platform::store::Write, StoreError> {
    Ok(pc_platform::store::Write::put_new(note_item(note)?))
}

/// The partner's lead with `email`, through its guard item.
#[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
pub async fn find_by_email(
    store: &dyn Store,
    partner_id: &str,
    email: &str,
) -> Result<Option<LeadRecord>, StoreError> {
    let Some(guard) = store.get(&email_guard_key(partner_id, email)).await? else {
        return Ok(None);
    };
    match guard.get("leadId").and_then(|v| v.as_str()) {
        Some(id) => get(store, id).await,
        None => Ok(None),
    }
}

/// Every open lead of the partner (status not won or lost) with a meeting
/// before `before`, oldest meeting first: the whole range of its open
/// partition.
#[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
pub async fn open_scheduled_before(
    store: &dyn Store,
    partner_id: &str,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<LeadRecord>, StoreError> {
    let partition = Partition::Open;
    let query = Query::partition(partition.index(true), partition.key(Some(partner_id)))
        .sk(SortKey::Lt(timestamp(before)));
    query_all(store, query, usize::MAX)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// Every lead of the partner created in `[from, to)`, oldest first.
#[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
pub async fn created_between(
    store: &dyn Store,
    partner_id: &str,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<LeadRecord>, StoreError> {
    let partition = Partition::Created;
    // Sort keys are `<createdAt>#<id>`: one created exactly at `to` sorts
    // after the bare `to`, so the inclusive range ends before it.
    let query = Query::partition(partition.index(true), partition.key(Some(partner_id)))
        .sk(SortKey::Between(timestamp(from), timestamp(to)));
    query_all(store, query, usize::MAX)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// Every lead of every partner, oldest first, one page of the staff
/// partition in memory at a time (for one-off jobs such as the analytics
/// rebuild).
#[tracing::instrument(skip_all)]
pub async fn each_lead(
    store: &dyn Store,
    mut on_lead: impl FnMut(LeadRecord),
) -> Result<(), StoreError> {
    let query = Query::partition(Index::Table, STAFF_PARTITION).limit(QUERY_PAGE);
    each_item(store, query, |item| {
        on_lead(from_item(item)?);
        Ok(())
    })
    .await
}
