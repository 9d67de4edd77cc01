//! Listing leads that arrive in batches (HubSpot inventory) at the pricing
//! engine's suggestion: the listing record a listing writes (shared with
//! the seller's own `list` request), the writes of a lead's first listing
//! — committed in the transaction that creates the lead — and one notice
//! for the whole batch afterwards, so the worker tells matching partners
//! about all of the batch's leads page by page of partners, one message
//! rather than one per lead.

use chrono::{DateTime, Utc};

use pc_leads::lead::LeadRecord;
use pc_platform::queue::{Queue, QueueError};
use pc_platform::store::{StoreError, Write};
use pc_platform::time::timestamp;

use crate::browse_index::{IndexChange, change_write};
use crate::listing_notices::{BatchNotice, ListedLead, notices_sent_write};
use crate::listing_store::{
    ListedContact, ListingRecord, MarketplaceStatus, list_write, quality_score,
};
use crate::pricing::PriceSuggestion;

/// The listing of `lead` at `cents` as of `now`, over `before` (its
/// previous listing, if any): a new price keeps a listed lead's place,
/// a relisting is new.
pub fn listing_record(
    lead: &LeadRecord,
    before: Option<&ListingRecord>,
    cents: i64,
    suggestion: PriceSuggestion,
    now: DateTime<Utc>,
) -> ListingRecord {
    let contact = ListedContact::of(lead);
    ListingRecord {
        lead_id: lead.id.clone(),
        seller_id: lead.partner_id.clone(),
        buyer_id: None,
        marketplace_status: MarketplaceStatus::Listed,
        listing_price_cents: cents,
        view_count: before.map_or(0, |b| b.view_count),
        viewed_by: before.map(|b| b.viewed_by.clone()).unwrap_or_default(),
        quality_score: quality_score(&contact),
        suggested_price_cents: Some(suggestion.price_cents),
        suggestion_reasons: suggestion.reasons,
        reservation_id: None,
        contact,
        listed_at: match before {
            Some(b) if b.marketplace_status == MarketplaceStatus::Listed => b.listed_at,
            _ => now,
        },
        sold_at: None,
        version: before.map_or(0, |b| b.version + 1),
        updated_at: now,
    }
}

/// The writes of a new lead's first listing at the suggestion: the
/// listing, its browse index change (`change_id`), the lead's notices
/// marked sent (the batch notice goes out once the batch is stored) and
/// the month's listing count. Appended to the lead's own creation.
pub fn first_listing_writes(
    listing: &ListingRecord,
    change_id: String,
) -> Result<Vec<Write>, StoreError> {
    let now = listing.listed_at;
    Ok(vec![
        list_write(listing, None)?,
        change_write(change_id, &IndexChange::listing(&listing.lead_id), now)?,
        notices_sent_write(&listing.lead_id, None, now),
        pc_analytics::tally::listing_created(now),
    ])
}

/// One notice for every listing of a batch (none when it is empty).
pub async fn send_batch_notice(
    queue: &dyn Queue,
    listings: &[ListingRecord],
) -> Result<(), QueueError> {
    if listings.is_empty() {
        return Ok(());
    }
    let notice = BatchNotice {
        listings: listings
            .iter()
            .map(|l| ListedLead {
                lead_id: l.lead_id.clone(),
                listed_at: timestamp(l.listed_at),
            })
            .collect(),
        cursor: None,
    };
    queue.send_message(&notice).await
}
