//! Listing leads that arrive in batches (HubSpot inventory) at the pricing
//! engine's suggestion: the listing record a listing writes (shared with
//! the seller's own `list` request), the writes of a lead's first listing
//! — committed in the transaction that creates the lead — and one notice
//! for the whole batch afterwards, so the worker tells matching partners
//! about all of the batch's leads page by page of partners, one message
//! rather than one per lead.
//!
//! The batch's notice is durable with its leads: each first listing
//! writes, in the lead's own transaction, a marker that its notice is
//! still to go (`MARKETBATCH#<sellerId>` / `LEAD#<leadId>`); after the
//! batch, [`queue_batch_notices`] turns the seller's markers into one
//! [`BatchNotice`] in the outbox and deletes them, in one transaction. A
//! run stopped between its leads and that step leaves the markers, and the
//! seller's next import queues them; two imports queueing at once cannot
//! both (the deletes are conditional), so a notice is neither lost nor
//! sent twice.
//!
//! A lead the inventory sync took off the market because its deal left
//! the listed stages is listed again when the deal returns
//! ([`relist_inventory_lead`]).

use chrono::{DateTime, Utc};

use pc_accounts::platform_seller::payee;
use pc_leads::lead::LeadRecord;
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{
    Condition, Index, Item, MAX_TRANSACTION_WRITES, Query, StoreError, Write, from_item,
};
use pc_platform::time::timestamp;

use crate::browse_index::{IndexChange, change_write};
use crate::demand::{MarketDemand, suggestion_for};
use crate::keys::{batch_notice_key, batch_notice_partition};
use crate::listing_api::{listing_writes, publish_listed};
use crate::listing_notices::{BatchNotice, ListedLead, notices_sent_write};
use crate::listing_store::{
    ListedContact, ListingRecord, MarketplaceStatus, list_write, quality_score, relist_write,
};
use crate::pricing::PriceSuggestion;

/// Most listings one batch notice names: with its outbox item, that is
/// one transaction's writes.
const NOTICE_BATCH: usize = MAX_TRANSACTION_WRITES - 1;

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
        delisted_by: None,
        version: before.map_or(0, |b| b.version + 1),
        updated_at: now,
    }
}

/// The writes of a new lead's first listing at the suggestion: the
/// listing, its browse index change (`change_id`), the lead's notices
/// marked sent, the marker that the batch's notice is still to go (see
/// [`queue_batch_notices`]) and the month's listing count. Appended to the
/// lead's own creation.
pub fn first_listing_writes(
    listing: &ListingRecord,
    change_id: String,
) -> Result<Vec<Write>, StoreError> {
    let now = listing.listed_at;
    Ok(vec![
        list_write(listing, None)?,
        change_write(change_id, &IndexChange::listing(&listing.lead_id), now)?,
        notices_sent_write(&listing.lead_id, None, now),
        pending_notice_write(listing),
        pc_analytics::tally::listing_created(now),
    ])
}

fn pending_notice_write(listing: &ListingRecord) -> Write {
    let key = batch_notice_key(&listing.seller_id, &listing.lead_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "marketplace_batch_notice_pending".into());
    item.insert("leadId".into(), listing.lead_id.clone().into());
    item.insert("listedAt".into(), timestamp(listing.listed_at).into());
    Write::put(item)
}

/// Queues the notices of the seller's batch listings not announced yet
/// (this batch's, and any a stopped run left), [`NOTICE_BATCH`] listings a
/// notice: each notice goes in the outbox in the transaction that deletes
/// its listings' markers. Answers how many listings it announced.
pub async fn queue_batch_notices(ctx: &AppContext, seller_id: &str) -> Result<u64, StoreError> {
    let mut announced = 0;
    loop {
        let query =
            Query::partition(Index::Table, batch_notice_partition(seller_id)).limit(NOTICE_BATCH);
        let pending = ctx.store.query(&query).await?.items;
        if pending.is_empty() {
            return Ok(announced);
        }
        let listings: Vec<ListedLead> = pending
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        let notice = BatchNotice {
            listings,
            cursor: None,
        };
        let mut outbox = Outbox::new(ctx.ids.new_id(), ctx.clock.now());
        outbox.push_message(
            &format!("batch-notice:{seller_id}:{}", ctx.ids.new_id()),
            &notice,
        )?;
        let mut writes: Vec<Write> = outbox.write()?.into_iter().collect();
        writes.extend(notice.listings.iter().map(|l| Write::Delete {
            key: batch_notice_key(seller_id, &l.lead_id),
            condition: Some(Condition::Exists),
        }));
        match ctx.store.transact(writes).await {
            Ok(()) => announced += notice.listings.len() as u64,
            // Another import queued some of them meanwhile: read again.
            Err(e) if e.is_condition_failure() => {}
            Err(e) => return Err(e),
        }
    }
}

/// What [`relist_inventory_lead`] came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relisted {
    Listed,
    /// The seller cannot be paid: a lead that cannot be paid for is never
    /// offered.
    NotPayable,
    /// It changed meanwhile (the seller listed it, or delisted it anew).
    Changed,
}

/// Lists again `lead`, which its inventory sync delisted (`before`, as
/// read) when its deal left the listed stages, now that the deal is back:
/// with `auto_list` at the pricing engine's suggestion, as its first
/// listing was; otherwise at the price its seller had set. As any listing,
/// with its browse index change, count and (at most daily) notice.
pub async fn relist_inventory_lead(
    ctx: &AppContext,
    lead: &LeadRecord,
    before: &ListingRecord,
    auto_list: bool,
) -> Result<Relisted, StoreError> {
    if payee(&*ctx.store, &lead.partner_id).await?.is_none() {
        return Ok(Relisted::NotPayable);
    }
    let now = ctx.clock.now();
    let demand = MarketDemand::load(&*ctx.store).await?;
    let suggestion = suggestion_for(&demand, lead, now);
    let cents = if auto_list {
        suggestion.price_cents
    } else {
        before.listing_price_cents
    };
    let listing = listing_record(lead, Some(before), cents, suggestion, now);
    let writes = listing_writes(ctx, &listing, relist_write(&listing, before)?, true).await?;
    match ctx.store.transact(writes).await {
        Ok(()) => {
            publish_listed(ctx, std::slice::from_ref(&listing)).await;
            Ok(Relisted::Listed)
        }
        Err(e) if e.is_condition_failure() => Ok(Relisted::Changed),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use pc_leads::deal_status::LeadSource;
    use pc_leads::lead::LeadEmail;
    use pc_platform::EmbeddedParts;
    use pc_platform::queue::QueueName;

    use super::*;
    use crate::pricing::PriceSuggestion;

    fn first_listing(parts: &EmbeddedParts, email: &str) -> ListingRecord {
        let lead = LeadRecord::new(
            parts.context.ids.new_id(),
            "seller".into(),
            LeadEmail::parse(email).unwrap(),
            LeadSource::Hubspot,
            Utc::now(),
        );
        let suggestion = PriceSuggestion {
            price_cents: 5_000,
            reasons: vec![],
        };
        listing_record(&lead, None, 5_000, suggestion, Utc::now())
    }

    /// A run that stored its leads and stopped before their notice: the
    /// next import queues that notice, once.
    #[tokio::test]
    async fn a_batch_notice_left_by_a_stopped_run_is_queued_once() {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let listings = [
            first_listing(&parts, "one@batch.example"),
            first_listing(&parts, "two@batch.example"),
        ];
        for listing in &listings {
            let writes = first_listing_writes(listing, ctx.ids.new_id()).unwrap();
            ctx.store.transact(writes).await.unwrap();
        }
        assert_eq!(
            parts.queue.pending(QueueName::Marketplace).await.unwrap(),
            0
        );

        assert_eq!(queue_batch_notices(ctx, "seller").await.unwrap(), 2);
        assert_eq!(queue_batch_notices(ctx, "seller").await.unwrap(), 0);
        assert_eq!(queue_batch_notices(ctx, "another").await.unwrap(), 0);
        let sent = parts
            .queue
            .receive(QueueName::Marketplace, 10)
            .await
            .unwrap();
        assert_eq!(sent.len(), 1, "one notice for the batch");
        let notice: BatchNotice = serde_json::from_str(&sent[0].body).unwrap();
        let mut named: Vec<&str> = notice.listings.iter().map(|l| l.lead_id.as_str()).collect();
        named.sort_unstable();
        let mut ids: Vec<&str> = listings.iter().map(|l| l.lead_id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(named, ids);
    }
}
