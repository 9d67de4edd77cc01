//! Leads and their notes in the single table, and the queries the lead
//! views are built on.
//!
//! | item | pk | sk | gsi1 | gsi2 | gsi3 |
//! |---|---|---|---|---|---|
//! | lead | `LEAD#<id>` | `LEAD` | `PARTNER#<pid>#LEADS` / `<createdAt>#<id>` | `PARTNER#<pid>#STATUS#<status>` / `<createdAt>#<id>` | `PARTNER#<pid>#OPEN` / `<scheduledDate>#<id>` (only while the status is not won/lost and a meeting exists) |
//! | note | `LEAD#<leadId>` | `NOTE#<createdAt>#<noteId>` | | | |
//! | staff index entry (copy of the lead) | `LEADS` | `<createdAt>#<id>` | | | |
//! | email guard | `LEADEMAIL#<pid>#<email>` | `LEADEMAIL` | | | |
//!
//! Access patterns:
//!
//! | pattern | key condition |
//! |---|---|
//! | one lead with its notes (`GET /v1/leads/{id}`) | table, pk = `LEAD#<id>` (one query) |
//! | a partner's leads by created date | gsi1, pk = `PARTNER#<pid>#LEADS` |
//! | a partner's leads in one status | gsi2, pk = `PARTNER#<pid>#STATUS#<status>` (one query per status asked) |
//! | a partner's open leads by scheduled date; overdue | gsi3, pk = `PARTNER#<pid>#OPEN`, sk < `<now>` |
//! | all leads, for staff | table, pk = `LEADS` |
//! | a partner's lead by email | get `LEADEMAIL#<pid>#<email>`, then the lead |
//!
//! The staff list has no index of its own (the three GSIs serve the
//! partner views), so every lead write also puts a copy of the lead under
//! `LEADS`, in the same transaction. It is one partition: DynamoDB allows
//! 1,000 writes a second on it, far above the rate leads arrive at; should
//! that change, the sort key already starts with the date and the partition
//! can be split by month.
//!
//! How a list request reads (`leads_api::plan_for`): the caller's partner
//! (or a `partnerId eq` filter of staff) picks the partner's partitions; a
//! `dealStatus eq|in` filter reads only those status partitions (gsi2); the
//! "overdue" filters (`scheduledDate` bound + `dealStatus not_in` every
//! closed status) read the open partition (gsi3) with `sk < <date>`.
//! The unfiltered default view (newest first) reads only the rows up to the
//! page it shows and takes its total from the partners' `totalLeads`
//! counters. Every other combination (search, other filters, other sorts)
//! reads the chosen partition — at most [`LIST_SCAN_LIMIT`] newest rows —
//! and filters, sorts and pages them in memory: that bound is the price of
//! exact totals and free-form sorting; a partition beyond it is answered
//! from its newest 10,000 rows.
//!
//! Each lead write is conditional on the `version` the writer read, so two
//! concurrent changes of one lead never lose each other (the loser re-reads
//! and retries).

use pc_api::identity::partner_key;
use pc_platform::store::{
    Condition, Index, Item, Key, Query, SortKey, Store, StoreError, Update, Write, from_item,
    to_item,
};
use pc_platform::time::timestamp;

use crate::lead::{LeadRecord, NoteRecord};

/// Most rows one list request reads from its partition before it filters,
/// sorts and pages them in memory (the list contract needs a total).
pub const LIST_SCAN_LIMIT: usize = 10_000;
/// Rows asked per store round trip while reading a partition.
const QUERY_PAGE: usize = 1_000;

pub const STAFF_PARTITION: &str = "LEADS";

pub fn lead_key(id: &str) -> Key {
    Key::new(format!("LEAD#{id}"), "LEAD")
}

pub fn email_guard_key(partner_id: &str, email: &str) -> Key {
    Key::new(
        format!("LEADEMAIL#{partner_id}#{}", email.to_lowercase()),
        "LEADEMAIL",
    )
}

fn created_order(lead: &LeadRecord) -> String {
    format!("{}#{}", timestamp(lead.created_at), lead.id)
}

pub fn partner_leads_partition(partner_id: &str) -> String {
    format!("PARTNER#{partner_id}#LEADS")
}

pub fn status_partition(partner_id: &str, status: &str) -> String {
    format!("PARTNER#{partner_id}#STATUS#{status}")
}

pub fn open_partition(partner_id: &str) -> String {
    format!("PARTNER#{partner_id}#OPEN")
}

/// The stored lead item with its index attributes.
pub fn lead_item(lead: &LeadRecord) -> Result<Item, StoreError> {
    let mut item = to_item(lead)?;
    let key = lead_key(&lead.id);
    let order = created_order(lead);
    let pid = &lead.partner_id;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "lead".into());
    item.insert("gsi1pk".into(), partner_leads_partition(pid).into());
    item.insert("gsi1sk".into(), order.clone().into());
    item.insert(
        "gsi2pk".into(),
        status_partition(pid, lead.deal_status.as_str()).into(),
    );
    item.insert("gsi2sk".into(), order.into());
    if let (false, Some(at)) = (lead.deal_status.is_closed(), lead.scheduled_date) {
        item.insert("gsi3pk".into(), open_partition(pid).into());
        item.insert(
            "gsi3sk".into(),
            format!("{}#{}", timestamp(at), lead.id).into(),
        );
    }
    Ok(item)
}

/// The staff index entry: the same lead under the `LEADS` partition.
fn staff_entry_item(lead: &LeadRecord) -> Result<Item, StoreError> {
    let mut item = to_item(lead)?;
    item.insert("pk".into(), STAFF_PARTITION.into());
    item.insert("sk".into(), created_order(lead).into());
    item.insert("entity".into(), "lead_index".into());
    Ok(item)
}

fn guard_item(lead: &LeadRecord) -> Item {
    let key = email_guard_key(&lead.partner_id, &lead.email);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "lead_email_guard".into());
    item.insert("leadId".into(), lead.id.clone().into());
    item
}

pub fn note_item(note: &NoteRecord) -> Result<Item, StoreError> {
    let mut item = to_item(note)?;
    item.insert("pk".into(), format!("LEAD#{}", note.lead_id).into());
    item.insert(
        "sk".into(),
        format!("NOTE#{}#{}", timestamp(note.created_at), note.id).into(),
    );
    item.insert("entity".into(), "note".into());
    Ok(item)
}

/// Positions of the writes in [`create_lead_writes`], to read a cancelled
/// transaction.
pub const CREATE_GUARD_AT: usize = 0;

/// The writes that create `lead`: its email guard (fails when the partner
/// has a lead with that email), the lead, its staff entry and `+1` on the
/// partner's `totalLeads` (the partner must exist). Callers may append
/// writes of their own.
pub fn create_lead_writes(lead: &LeadRecord) -> Result<Vec<Write>, StoreError> {
    Ok(vec![
        Write::put_new(guard_item(lead)),
        Write::put_new(lead_item(lead)?),
        Write::put(staff_entry_item(lead)?),
        Write::Update(
            Update::new(partner_key(&lead.partner_id))
                .add("totalLeads", 1)
                .when(Condition::Exists),
        ),
    ])
}

/// Position of the lead write in [`update_lead_writes`].
pub const UPDATE_LEAD_AT: usize = 0;
/// Position of the new email guard in [`update_lead_writes`], when the email changes.
pub const UPDATE_GUARD_AT: usize = 3;

/// The writes that replace `before` with `after` (whose version must be
/// `before.version + 1`): the lead, conditional on the version read, its
/// staff entry, and the email guards when the email changes.
pub fn update_lead_writes(
    before: &LeadRecord,
    after: &LeadRecord,
) -> Result<Vec<Write>, StoreError> {
    let mut writes = vec![
        Write::Put {
            item: lead_item(after)?,
            condition: Some(Condition::equals("version", before.version)),
        },
        Write::put(staff_entry_item(after)?),
    ];
    if before.email != after.email {
        writes.push(Write::Delete {
            key: email_guard_key(&before.partner_id, &before.email),
            condition: Some(Condition::equals("leadId", before.id.clone())),
        });
        writes.push(Write::put_new(guard_item(after)));
    }
    Ok(writes)
}

/// Why a lead write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LeadWriteError {
    #[error("the partner has a lead with this email")]
    EmailTaken,
    #[error("the lead changed meanwhile")]
    Stale,
    #[error("the partner does not exist")]
    NoPartner,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates `lead`; exactly one of concurrent creations with the same
/// partner and email succeeds.
pub async fn create_lead(store: &dyn Store, lead: &LeadRecord) -> Result<(), LeadWriteError> {
    create_lead_with(store, lead, Vec::new()).await
}

/// [`create_lead`] with the caller's `extra` writes (the change's outbox
/// item) in the same transaction.
pub async fn create_lead_with(
    store: &dyn Store,
    lead: &LeadRecord,
    extra: Vec<Write>,
) -> Result<(), LeadWriteError> {
    let mut writes = create_lead_writes(lead)?;
    writes.extend(extra);
    match store.transact(writes).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed_at(CREATE_GUARD_AT) || e.failed_at(1) => Err(LeadWriteError::EmailTaken),
        Err(e) if e.failed_at(3) => Err(LeadWriteError::NoPartner),
        Err(e) => Err(e.into()),
    }
}

/// Replaces `before` with `after` if nobody changed the lead meanwhile.
pub async fn update_lead(
    store: &dyn Store,
    before: &LeadRecord,
    after: &LeadRecord,
) -> Result<(), LeadWriteError> {
    update_lead_with(store, before, after, Vec::new()).await
}

/// [`update_lead`] with the caller's `extra` writes (the change's outbox
/// item) in the same transaction.
pub async fn update_lead_with(
    store: &dyn Store,
    before: &LeadRecord,
    after: &LeadRecord,
    extra: Vec<Write>,
) -> Result<(), LeadWriteError> {
    let mut writes = update_lead_writes(before, after)?;
    writes.extend(extra);
    match store.transact(writes).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed_at(UPDATE_LEAD_AT) => Err(LeadWriteError::Stale),
        Err(e) if e.failed_at(UPDATE_GUARD_AT) => Err(LeadWriteError::EmailTaken),
        Err(e) if e.is_condition_failure() => Err(LeadWriteError::Stale),
        Err(e) => Err(e.into()),
    }
}

pub async fn get_lead(store: &dyn Store, id: &str) -> Result<Option<LeadRecord>, StoreError> {
    store.get(&lead_key(id)).await?.map(from_item).transpose()
}

/// A lead and its notes, newest note first: one query on the lead's partition.
pub async fn get_lead_with_notes(
    store: &dyn Store,
    id: &str,
) -> Result<Option<(LeadRecord, Vec<NoteRecord>)>, StoreError> {
    let items = query_all(
        store,
        Query::partition(Index::Table, format!("LEAD#{id}")).descending(),
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

/// The partner's lead with `email`, through its guard item.
pub async fn find_by_email(
    store: &dyn Store,
    partner_id: &str,
    email: &str,
) -> Result<Option<LeadRecord>, StoreError> {
    let Some(guard) = store.get(&email_guard_key(partner_id, email)).await? else {
        return Ok(None);
    };
    match guard.get("leadId").and_then(|v| v.as_str()) {
        Some(id) => get_lead(store, id).await,
        None => Ok(None),
    }
}

/// Reads a query's pages until it ends or `limit` items were read.
pub async fn query_all(
    store: &dyn Store,
    query: Query,
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let want = (limit - items.len()).min(QUERY_PAGE);
        let page = store
            .query(&query.clone().limit(want).after(cursor))
            .await?;
        items.extend(page.items);
        cursor = page.cursor;
        if cursor.is_none() || items.len() >= limit {
            return Ok(items);
        }
    }
}

/// Where a lead list reads its rows from: the narrowest partition the
/// caller's scope and filters allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeadPartition {
    /// Every lead (staff without a partner filter).
    All,
    /// One partner's leads.
    Partner(String),
    /// One partner's leads in these statuses (one query each).
    Statuses(String, Vec<String>),
    /// One partner's open leads with a meeting, scheduled before `before`
    /// (or any time when `None`).
    Open(String, Option<String>),
}

/// The leads of one plan, newest first within each partition read; at most
/// [`LIST_SCAN_LIMIT`] rows in all.
pub async fn leads_of(
    store: &dyn Store,
    plan: &LeadPartition,
) -> Result<Vec<LeadRecord>, StoreError> {
    leads_up_to(store, plan, LIST_SCAN_LIMIT).await
}

/// The first `limit` leads of one plan (newest first for the created-date
/// partitions): the unfiltered default view reads only the rows up to the
/// page it shows.
pub async fn leads_up_to(
    store: &dyn Store,
    plan: &LeadPartition,
    limit: usize,
) -> Result<Vec<LeadRecord>, StoreError> {
    let queries: Vec<Query> = match plan {
        LeadPartition::All => vec![Query::partition(Index::Table, STAFF_PARTITION).descending()],
        LeadPartition::Partner(pid) => {
            vec![Query::partition(Index::Gsi1, partner_leads_partition(pid)).descending()]
        }
        LeadPartition::Statuses(pid, statuses) => statuses
            .iter()
            .map(|s| Query::partition(Index::Gsi2, status_partition(pid, s)).descending())
            .collect(),
        LeadPartition::Open(pid, before) => {
            let q = Query::partition(Index::Gsi3, open_partition(pid));
            vec![match before {
                Some(at) => q.sk(SortKey::Lt(at.clone())),
                None => q,
            }]
        }
    };
    let mut leads = Vec::new();
    for query in queries {
        let room = limit.min(LIST_SCAN_LIMIT).saturating_sub(leads.len());
        if room == 0 {
            break;
        }
        for item in query_all(store, query, room).await? {
            leads.push(from_item::<LeadRecord>(item)?);
        }
    }
    Ok(leads)
}
