//! A browse page by match from the caller's browse index
//! ([`crate::browse_index`]): a fixed number of store round trips however
//! many leads are listed.
//!
//! 1. one batch get: the caller's partner (its ICP), its index state and
//!    the listed counts (all sellers', its own);
//! 2. one query of its index partition (all industries, or one), best
//!    match first, as many entries as the pages up to the one asked;
//! 3. one batch get of that page's listings (two for pages over 100 rows),
//!    which the rows are built from, so price and views are current.
//!
//! `meta.total` is every listed lead (of the industry) less the caller's
//! own, from the counts. The counts and the entries follow a change through
//! the same queue message, a moment after it commits; a lead that left the
//! market but whose entries are not deleted yet is left out of its page
//! (that page is one row short until the worker catches up).

use std::collections::BTreeMap;

use futures::future::try_join_all;

use pc_accounts::partners_store::PartnerRecord;
use pc_http::identity::partner_key;
use pc_platform::store::pages::query_all;
use pc_platform::store::{Index, Key, MAX_BATCH_GET, Query, Store, StoreError, from_item};

use crate::browse_index::{count_key, count_of, entry_lead, index_ready, state_key};
use crate::keys::{browse_buyer_industry_partition, browse_buyer_partition};
use crate::listing_store::{ListingRecord, MarketplaceStatus, listing_key, listing_of};

/// What the caller's index answered.
pub enum Indexed {
    /// The page's listings, best match first, and the total.
    Page {
        icp: BTreeMap<String, String>,
        listings: Vec<ListingRecord>,
        total: usize,
    },
    /// The caller's index is not complete for its ICP (yet): browse reads
    /// the listed partition instead.
    NotReady { icp: BTreeMap<String, String> },
}

/// Page `page` (from 0) of `per_page` rows of `buyer_id`'s index, all
/// industries or one (`industry`, as [`crate::browse_index::industry_key`]
/// keys it).
pub async fn indexed_page(
    store: &dyn Store,
    buyer_id: &str,
    industry: Option<&str>,
    page: usize,
    per_page: usize,
) -> Result<Indexed, StoreError> {
    let keys = [
        partner_key(buyer_id),
        state_key(buyer_id),
        count_key(None, industry),
        count_key(Some(buyer_id), industry),
    ];
    let found = store.batch_get(&keys).await?;
    let find = |key: &Key| {
        found.iter().find(|i| {
            i.get("pk").and_then(|v| v.as_str()) == Some(key.pk.as_str())
                && i.get("sk").and_then(|v| v.as_str()) == Some(key.sk.as_str())
        })
    };
    let icp = match find(&keys[0]) {
        Some(item) => from_item::<PartnerRecord>(item.clone())?.icp,
        None => BTreeMap::new(),
    };
    if !index_ready(find(&keys[1]), &icp) {
        return Ok(Indexed::NotReady { icp });
    }
    let total = (count_of(find(&keys[2])) - count_of(find(&keys[3]))).max(0) as usize;
    let entries = read_entries(store, buyer_id, industry, page, per_page).await?;
    let listings = page_listings(store, &entries)
        .await?
        .into_iter()
        .filter(|l| l.marketplace_status == MarketplaceStatus::Listed && l.seller_id != buyer_id)
        .collect();
    Ok(Indexed::Page {
        icp,
        listings,
        total,
    })
}

/// The lead ids of the page's entries, in index order.
async fn read_entries(
    store: &dyn Store,
    buyer_id: &str,
    industry: Option<&str>,
    page: usize,
    per_page: usize,
) -> Result<Vec<String>, StoreError> {
    let (index, partition) = match industry {
        Some(i) => (Index::Gsi5, browse_buyer_industry_partition(buyer_id, i)),
        None => (Index::Gsi4, browse_buyer_partition(buyer_id)),
    };
    let skip = page.saturating_mul(per_page);
    let wanted = skip.saturating_add(per_page);
    // One query for the first pages; a deep page reads the entries before
    // it (DynamoDB returns up to 1 MB, some 6,000 entries, per call).
    let query = Query::partition(index, partition).descending();
    let entries = query_all(store, query, wanted).await?;
    Ok(entries
        .iter()
        .skip(skip)
        .filter_map(|e| entry_lead(e).map(str::to_owned))
        .collect())
}

/// The listings of `lead_ids`, in their order (ones gone are left out).
async fn page_listings(
    store: &dyn Store,
    lead_ids: &[String],
) -> Result<Vec<ListingRecord>, StoreError> {
    let keys: Vec<Key> = lead_ids.iter().map(|id| listing_key(id)).collect();
    let batches = try_join_all(keys.chunks(MAX_BATCH_GET).map(|k| store.batch_get(k))).await?;
    batches.into_iter().flatten().map(listing_of).collect()
}
