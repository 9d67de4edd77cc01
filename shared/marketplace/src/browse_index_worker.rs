//! The `browse-index` queue worker: keeps the browse index
//! ([`crate::browse_index`]) following the listings and the buyers' ICPs,
//! one bounded page of work per message.
//!
//! - A listing changed: the first page moves the lead in or out of the
//!   listed counts; then, while it is listed, each message writes its
//!   entries for one page of [`PARTNERS_PER_PAGE`] partners (every active
//!   partner but the seller, scored against its ICP), and once it is not,
//!   deletes its entries, [`DELETES_PER_MESSAGE`] at most per message.
//! - A buyer's ICP changed (or its index is missing): each message writes
//!   its entries for one page of [`LISTINGS_PER_PAGE`] listed leads; the
//!   last page marks its index complete for that ICP.
//!
//! Every message reads the state it works from (the listing, the partner)
//! anew, and writes are plain puts and deletes of keyed entries, so a
//! message delivered twice, late or out of order writes what is current.
//! A listing that changed while a page was written (its status, listing
//! time or update time differ after the page) is followed again from the
//! start, so two messages racing still end on the last state.
//!
//! Cost: a new (or relisted, or released) listing writes one entry per
//! active partner, a listing leaving the market deletes as many, and an
//! ICP change rewrites one entry per listed lead; entries go in
//! transactions of up to [`WRITES_PER_TRANSACTION`] (on DynamoDB a
//! transactional write costs two write units per entry).

use pc_accounts::partners_store::{PartnerStatus, get_partner, partners_page};
use pc_http::functions::WorkerError;
use pc_http::{AppState, QueueMessage};
use pc_platform::store::{
    Condition, Cursor, Index, Item, Key, Query, SortKey, Store, StoreError, Transaction, Write,
    retry_until_won,
};

use crate::MarketError;
use crate::browse_index::{
    Counted, ENTRY_PREFIX, IndexChange, counted_key, entry_item, entry_key, icp_key, industry_key,
    recount_writes, state_item,
};
use crate::icp_match::icp_match;
use crate::listing_store::{
    LISTED_PARTITION, ListingRecord, MarketplaceStatus, get_listing, listing_of,
};
use crate::market_views::profile;

/// Partners a listing's message writes entries for.
pub const PARTNERS_PER_PAGE: usize = 100;
/// Listed leads a buyer's message writes entries for.
pub const LISTINGS_PER_PAGE: usize = 500;
/// Entries a message of a listing off the market deletes at most.
pub const DELETES_PER_MESSAGE: usize = 1_000;
/// Writes per store transaction (DynamoDB's limit).
pub const WRITES_PER_TRANSACTION: usize = 100;

/// The worker: one page of one change per message; the next page goes
/// back on the queue.
pub async fn browse_index_worker(
    ctx: &AppState,
    message: &QueueMessage,
) -> Result<(), WorkerError> {
    let change: IndexChange = message.parse()?;
    let next = apply_page(&*ctx.store, &change).await?;
    if let Some(next) = next {
        ctx.queue
            .send_message(&next)
            .await
            .map_err(MarketError::from)?;
    }
    Ok(())
}

/// Applies one page of `change`; answers the change's next page, if any.
pub async fn apply_page(
    store: &dyn Store,
    change: &IndexChange,
) -> Result<Option<IndexChange>, MarketError> {
    match change {
        IndexChange::Listing { lead_id, cursor } => {
            follow_listing(store, lead_id, cursor.as_deref()).await
        }
        IndexChange::Buyer {
            partner_id,
            cursor,
            icp,
        } => build_buyer(store, partner_id, cursor.as_deref(), icp.as_deref()).await,
    }
}

/// Applies every page of `change` in turn (the benchmark and tests, which
/// run no queue).
pub async fn apply_all(store: &dyn Store, change: IndexChange) -> Result<(), MarketError> {
    let mut next = Some(change);
    while let Some(change) = next {
        next = apply_page(store, &change).await?;
    }
    Ok(())
}

/// What a later read compares to see whether the listing moved meanwhile.
fn stamp(listing: Option<&ListingRecord>) -> Option<(MarketplaceStatus, String, String)> {
    listing.map(|l| {
        (
            l.marketplace_status,
            l.listed_at.to_rfc3339(),
            l.updated_at.to_rfc3339(),
        )
    })
}

async fn follow_listing(
    store: &dyn Store,
    lead_id: &str,
    cursor: Option<&str>,
) -> Result<Option<IndexChange>, MarketError> {
    let read = get_listing(store, lead_id).await?;
    let listed = read
        .as_ref()
        .filter(|l| l.marketplace_status == MarketplaceStatus::Listed);
    if cursor.is_none() {
        recount(store, lead_id, listed).await?;
    }
    let next = match listed {
        Some(listing) => write_listing_page(store, listing, cursor).await?,
        None => remove_entries(store, lead_id).await?,
    };
    if stamp(get_listing(store, lead_id).await?.as_ref()) != stamp(read.as_ref()) {
        // Changed while this page was written: start over from what it is.
        return Ok(Some(IndexChange::listing(lead_id)));
    }
    Ok(next)
}

/// Moves the lead in or out of the listed counts, once (the marker's
/// condition), whatever the number of messages.
async fn recount(
    store: &dyn Store,
    lead_id: &str,
    listed: Option<&ListingRecord>,
) -> Result<(), MarketError> {
    let after = listed.map(|l| {
        (
            l.seller_id.as_str(),
            industry_key(l.contact.industry.as_deref()),
        )
    });
    retry_until_won(|_| async {
        let before: Option<Counted> = store.get_as(&counted_key(lead_id)).await?;
        let Some(writes) = recount_writes(lead_id, before.as_ref(), after.clone())? else {
            return Ok(Some(()));
        };
        match store.transact(writes).await {
            Ok(()) => Ok(Some(())),
            Err(e) if e.lost_race() => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

async fn write_listing_page(
    store: &dyn Store,
    listing: &ListingRecord,
    cursor: Option<&str>,
) -> Result<Option<IndexChange>, MarketError> {
    let (partners, next) = partners_page(
        store,
        Some(PARTNERS_PER_PAGE),
        cursor.map(|c| Cursor(c.to_owned())),
    )
    .await?;
    let entries = partners
        .iter()
        .filter(|p| p.status == PartnerStatus::Active && p.id != listing.seller_id)
        .map(|p| entry_item(listing, &p.id, icp_match(&p.icp, &profile(listing)).score))
        .map(Write::put)
        .collect();
    write_all(store, entries).await?;
    Ok(next.map(|c| IndexChange::Listing {
        lead_id: listing.lead_id.clone(),
        cursor: Some(c.0),
    }))
}

/// Deletes the entries of a lead off the market; answers a follow-up when
/// more are left than one message deletes.
async fn remove_entries(
    store: &dyn Store,
    lead_id: &str,
) -> Result<Option<IndexChange>, MarketError> {
    let partition = entry_key(lead_id, "").pk;
    let mut deleted = 0;
    loop {
        // Always the first page: the ones before are gone.
        let page = store
            .query(
                &Query::partition(Index::Table, partition.clone())
                    .sk(SortKey::BeginsWith(ENTRY_PREFIX.into()))
                    .limit(WRITES_PER_TRANSACTION),
            )
            .await?;
        let keys: Vec<Key> = page.items.iter().filter_map(item_key).collect();
        if keys.is_empty() {
            return Ok(None);
        }
        deleted += keys.len();
        let deletes = keys
            .into_iter()
            .map(|key| Write::Delete {
                key,
                condition: None,
            })
            .collect();
        write_all(store, deletes).await?;
        if page.cursor.is_none() {
            return Ok(None);
        }
        if deleted >= DELETES_PER_MESSAGE {
            return Ok(Some(IndexChange::listing(lead_id)));
        }
    }
}

fn item_key(item: &Item) -> Option<Key> {
    Some(Key::new(
        item.get("pk")?.as_str()?,
        item.get("sk")?.as_str()?,
    ))
}

async fn build_buyer(
    store: &dyn Store,
    partner_id: &str,
    cursor: Option<&str>,
    building: Option<&str>,
) -> Result<Option<IndexChange>, MarketError> {
    let Some(partner) = get_partner(store, partner_id).await? else {
        return Ok(None);
    };
    if partner.status != PartnerStatus::Active {
        return Ok(None);
    }
    let icp = icp_key(&partner.icp);
    if building.is_some_and(|b| b != icp) {
        tracing::info!(
            partner_id,
            "ICP changed during its index build; a newer build follows"
        );
        return Ok(None);
    }
    if cursor.is_none() {
        store
            .put(state_item(partner_id, &partner.icp, false), None)
            .await?;
    }
    let page = store
        .query(
            &Query::partition(Index::Gsi1, LISTED_PARTITION)
                .limit(LISTINGS_PER_PAGE)
                .after(cursor.map(|c| Cursor(c.to_owned()))),
        )
        .await?;
    let mut entries = Vec::new();
    for item in page.items {
        let listing = listing_of(item)?;
        if listing.seller_id != partner_id {
            let score = icp_match(&partner.icp, &profile(&listing)).score;
            entries.push(Write::put(entry_item(&listing, partner_id, score)));
        }
    }
    write_all(store, entries).await?;
    if let Some(next) = page.cursor {
        return Ok(Some(IndexChange::Buyer {
            partner_id: partner_id.to_owned(),
            cursor: Some(next.0),
            icp: Some(icp),
        }));
    }
    // Complete, unless a newer ICP's build took the state meanwhile.
    match store
        .put(
            state_item(partner_id, &partner.icp, true),
            Some(Condition::equals("icpKey", icp)),
        )
        .await
    {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Unconditional puts and deletes, in transactions of at most
/// [`WRITES_PER_TRANSACTION`], each retried when it met a concurrent one.
async fn write_all(store: &dyn Store, writes: Vec<Write>) -> Result<(), MarketError> {
    let mut writes = writes.into_iter().peekable();
    while writes.peek().is_some() {
        let chunk: Vec<Write> = writes.by_ref().take(WRITES_PER_TRANSACTION).collect();
        Transaction::from(chunk).commit_retrying(store).await?;
    }
    Ok(())
}
