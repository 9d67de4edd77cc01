//! Rebuilding the analytics aggregates from the records (see
//! `pc_analytics::rebuild` for when to run it and what it keeps). It lives
//! here, above the leads and the marketplace, because it reads their
//! records: every lead through the leads store, then per partner its
//! completed sales and its listings through the marketplace stores.

use pc_accounts::partners_store::list_partners;
use pc_analytics::rebuild::{Rebuilt, Recount};
use pc_analytics::tally::Sale;
use pc_leads::leads_store::each_lead;
use pc_platform::store::{Store, StoreError};

use crate::listing_store::each_listing_of_seller;
use crate::purchases_store::{PurchaseStatus, each_purchase_of_seller};

/// Reads the records, recounts every aggregate and writes them whole.
#[tracing::instrument(skip_all)]
pub async fn rebuild(store: &dyn Store) -> Result<Rebuilt, StoreError> {
    let mut recount = Recount::default();
    each_lead(store, |lead| {
        recount.lead(&lead.partner_id, lead.created_at, lead.deal_status.as_str());
    })
    .await?;
    for partner in list_partners(store).await? {
        each_purchase_of_seller(store, &partner.id, |sale| {
            let (PurchaseStatus::Completed, Some(completed_at)) = (sale.status, sale.completed_at)
            else {
                return;
            };
            recount.sale(&Sale {
                seller_id: &sale.seller_id,
                buyer_id: &sale.buyer_id,
                price_cents: sale.price_cents,
                fee_cents: sale.fee_cents,
                completed_at,
            });
        })
        .await?;
        each_listing_of_seller(store, &partner.id, |listing| {
            recount.listing(listing.listed_at);
        })
        .await?;
    }
    recount.write(store).await
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use pc_accounts::partners_store::{PartnerRecord, partner_item};
    use pc_analytics::month_range::{Month, MonthRange};
    use pc_analytics::reports::{marketplace_analytics, partner_analytics};
    use pc_analytics::tally::{listing_created, merged, sale_completed};
    use pc_leads::deal_status::{DealStatus, LeadSource};
    use pc_leads::lead::{LeadEmail, LeadRecord};
    use pc_leads::leads_store::{create_lead_writes, update_lead_writes};
    use pc_leads::referral_commission::ChangedBy;
    use pc_platform::store::Write;
    use pc_platform::store::embedded::EmbeddedStore;

    use super::*;
    use crate::listing_store::{ListedContact, ListingRecord, MarketplaceStatus, listing_item};
    use crate::purchases_store::{PurchaseRecord, Purchaser, purchase_item};

    fn at(month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, 10, 0, 0).unwrap()
    }

    fn lead(n: usize, partner: &str, created: DateTime<Utc>, status: DealStatus) -> LeadRecord {
        let email = LeadEmail::parse(&format!("l{n}@x.example")).unwrap();
        let mut lead = LeadRecord::new(
            format!("L{n}"),
            partner.into(),
            email,
            LeadSource::Manual,
            created,
        );
        lead.deal_status = status;
        lead
    }

    fn sold_listing(lead: &LeadRecord, buyer: &str, listed_at: DateTime<Utc>) -> ListingRecord {
        ListingRecord {
            lead_id: lead.id.clone(),
            seller_id: lead.partner_id.clone(),
            buyer_id: Some(buyer.into()),
            marketplace_status: MarketplaceStatus::Sold,
            listing_price_cents: 12_000,
            view_count: 1,
            viewed_by: vec![buyer.into()],
            quality_score: 20,
            suggested_price_cents: None,
            suggestion_reasons: Vec::new(),
            reservation_id: Some("R1".into()),
            contact: ListedContact::of(lead),
            listed_at,
            sold_at: Some(at(2, 14)),
            delisted_by: None,
            version: 1,
            updated_at: at(2, 14),
        }
    }

    fn completed_purchase(lead: &LeadRecord, buyer: &str) -> PurchaseRecord {
        PurchaseRecord {
            id: "R1".into(),
            reservation_id: "R1".into(),
            lead_id: lead.id.clone(),
            buyer_id: buyer.into(),
            seller_id: lead.partner_id.clone(),
            purchaser: Purchaser {
                user_id: "U1".into(),
                email: "buyer@b.example".into(),
                name: "Buyer".into(),
            },
            status: PurchaseStatus::Completed,
            price_cents: 12_000,
            fee_percent: 20,
            fee_cents: 2_400,
            payment_intent_id: "pi_1".into(),
            client_secret: None,
            seller_account_id: "acct_1".into(),
            bought_lead_id: Some("L9".into()),
            copy_made: true,
            refund_id: None,
            refund_reason: None,
            refunded_at: None,
            created_at: at(2, 12),
            completed_at: Some(at(2, 14)),
            updated_at: at(2, 14),
        }
    }

    /// The same history on a store that kept analytics (`live`) and on one
    /// that did not (`old`: every aggregate write left out).
    async fn history(live: &EmbeddedStore, old: &EmbeddedStore) {
        let both = |writes: Vec<Write>| async move {
            let kept: Vec<Write> = writes
                .iter()
                .filter(|w| w.key().is_none_or(|k| !k.pk.starts_with("ANALYTICS#")))
                .cloned()
                .collect();
            live.transact(writes).await.unwrap();
            old.transact(kept).await.unwrap();
        };
        for id in ["S", "B"] {
            let p = PartnerRecord::new_active(id, id, &id.to_lowercase(), at(1, 1));
            both(vec![Write::put(partner_item(&p).unwrap())]).await;
        }
        let leads = [
            lead(1, "S", at(1, 5), DealStatus::New),
            lead(2, "S", at(1, 20), DealStatus::New),
            lead(3, "B", at(2, 2), DealStatus::Scheduled),
        ];
        for l in &leads {
            both(create_lead_writes(l).unwrap()).await;
        }
        let mut won = leads[0].clone();
        won.deal_status = DealStatus::Won;
        won.version += 1;
        both(update_lead_writes(&leads[0], &won, ChangedBy::Staff).unwrap()).await;

        let listing = sold_listing(&leads[1], "B", at(2, 10));
        both(vec![
            Write::put(listing_item(&listing).unwrap()),
            listing_created(listing.listed_at),
        ])
        .await;
        let purchase = completed_purchase(&leads[1], "B");
        let sale = Sale {
            seller_id: "S",
            buyer_id: "B",
            price_cents: purchase.price_cents,
            fee_cents: purchase.fee_cents,
            completed_at: at(2, 14),
        };
        let mut writes = sale_completed(&sale);
        writes.push(Write::put(purchase_item(&purchase).unwrap()));
        both(merged(writes)).await;
    }

    #[tokio::test]
    async fn a_rebuild_finds_what_the_live_writes_kept() {
        let (live, old) = (EmbeddedStore::in_memory(), EmbeddedStore::in_memory());
        history(&live, &old).await;
        let range = MonthRange {
            from: Month::parse("2026-01").unwrap(),
            to: Month::parse("2026-03").unwrap(),
        };
        let empty = partner_analytics(&old, "S", &range).await.unwrap();
        assert_eq!(
            empty.totals.leads_created, 0,
            "nothing kept before the rebuild"
        );

        let first = rebuild(&old).await.unwrap();
        assert_eq!((first.leads, first.sales, first.listings), (3, 1, 1));
        for partner in ["S", "B"] {
            assert_eq!(
                partner_analytics(&old, partner, &range).await.unwrap(),
                partner_analytics(&live, partner, &range).await.unwrap(),
                "{partner}"
            );
        }
        let market = marketplace_analytics(&old, &range).await.unwrap();
        assert_eq!(market, marketplace_analytics(&live, &range).await.unwrap());
        assert_eq!(market.totals.active_partners, 2);

        // Rebuilding again writes the same items; so does rebuilding live data.
        assert_eq!(rebuild(&old).await.unwrap(), first);
        rebuild(&live).await.unwrap();
        assert_eq!(market, marketplace_analytics(&live, &range).await.unwrap());
        let s = partner_analytics(&live, "S", &range).await.unwrap();
        assert_eq!(s.totals.won, 1);
        assert_eq!(s.totals.revenue_cents, 9_600);
    }
}
