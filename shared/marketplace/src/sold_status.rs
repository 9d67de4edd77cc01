//! What became of a sold lead: the seller's listings show the current
//! `dealStatus` of the buyer's copy (the status only — the buyer's notes
//! and contact changes stay the buyer's). Read when the listings are, in
//! two batched reads per hundred sold listings (their purchases, then the
//! copies those name), so it is always the copy's status as it is now.

use std::collections::HashMap;

use pc_leads::keys::lead_key;
use pc_platform::store::{MAX_BATCH_GET, Store, StoreError};

use crate::listing_store::{ListingRecord, MarketplaceStatus};
use crate::purchases_store::purchase_key;

/// The buyer's copy's `dealStatus` of each sold listing, by lead id.
pub async fn buyer_statuses(
    store: &dyn Store,
    listings: &[ListingRecord],
) -> Result<HashMap<String, String>, StoreError> {
    // A sold listing's reservation id is its purchase's id.
    let sold: Vec<(&str, &str)> = listings
        .iter()
        .filter(|l| l.marketplace_status == MarketplaceStatus::Sold)
        .filter_map(|l| Some((l.lead_id.as_str(), l.reservation_id.as_deref()?)))
        .collect();
    let mut copies: HashMap<String, String> = HashMap::new();
    for chunk in sold.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|(_, p)| purchase_key(p)).collect();
        for purchase in store.batch_get(&keys).await? {
            let text = |field: &str| {
                purchase
                    .get(field)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            if let (Some(lead), Some(copy)) = (text("leadId"), text("boughtLeadId")) {
                copies.insert(copy, lead);
            }
        }
    }
    let copy_ids: Vec<&String> = copies.keys().collect();
    let mut statuses = HashMap::new();
    for chunk in copy_ids.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| lead_key(id)).collect();
        for copy in store.batch_get(&keys).await? {
            let text = |field: &str| copy.get(field).and_then(|v| v.as_str());
            if let (Some(id), Some(status)) = (text("id"), text("dealStatus"))
                && let Some(lead) = copies.get(id)
            {
                statuses.insert(lead.clone(), status.to_owned());
            }
        }
    }
    Ok(statuses)
}
