//! Rebuilding the aggregates from the records, for a table that held data
//! before analytics were kept (or to check them): every lead's staff copy
//! (`pk = LEADS`), and per partner its completed sales and its listings.
//! The aggregates found are written whole, replacing what was there, so a
//! second run writes the same items.
//!
//! Run it while nothing writes leads or purchases (a maintenance window
//! right after the deployment that starts keeping analytics): a change
//! committed between the read of its record and the write of its month
//! would be lost. What the records cannot tell is kept: a listing counts
//! in the month of its latest listing (earlier listings of a relisted lead
//! are gone), and each month keeps the `listingsMatched` it had, since a
//! match depended on the partners' ICPs at the time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use pc_accounts::partners_store::list_partners;
#[cfg(test)]
use pc_platform::store::Write;
use pc_platform::store::{Cursor, Index, Item, Key, Query, Store, StoreError};

use crate::tally::{
    ACTIVE_PREFIX, STATUS_PREFIX, active_shard, active_shard_key, marketplace_month_key, month_of,
    partner_month_key,
};

/// What a rebuild wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub leads: usize,
    pub sales: usize,
    pub listings: usize,
    pub items_written: usize,
}

#[derive(Default)]
struct Aggregates {
    /// `(partner, month)` → attribute → count.
    partner_months: BTreeMap<(String, String), BTreeMap<String, i64>>,
    marketplace_months: BTreeMap<String, BTreeMap<String, i64>>,
    active: BTreeMap<String, BTreeSet<String>>,
}

impl Aggregates {
    fn partner(&mut self, partner: &str, month: &str, attr: &str, by: i64) {
        *self
            .partner_months
            .entry((partner.to_owned(), month.to_owned()))
            .or_default()
            .entry(attr.to_owned())
            .or_default() += by;
    }

    fn marketplace(&mut self, month: &str, attr: &str, by: i64) {
        *self
            .marketplace_months
            .entry(month.to_owned())
            .or_default()
            .entry(attr.to_owned())
            .or_default() += by;
    }

    fn active(&mut self, partner: &str, month: &str) {
        self.active
            .entry(month.to_owned())
            .or_default()
            .insert(partner.to_owned());
    }
}

fn text<'a>(item: &'a Item, attr: &str) -> Option<&'a str> {
    item.get(attr).and_then(Value::as_str)
}

/// A record's time, stored as RFC 3339 text.
fn time(item: &Item, attr: &str) -> Option<DateTime<Utc>> {
    text(item, attr)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc())
}

fn number(item: &Item, attr: &str) -> i64 {
    item.get(attr).and_then(Value::as_i64).unwrap_or(0)
}

/// Every item of one partition, page by page.
async fn each_page(
    store: &dyn Store,
    query: Query,
    mut on_item: impl FnMut(&Item),
) -> Result<(), StoreError> {
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store.query(&query.clone().after(cursor)).await?;
        page.items.iter().for_each(&mut on_item);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// Reads the records, computes every aggregate and writes them whole.
pub async fn rebuild(store: &dyn Store) -> Result<Rebuilt, StoreError> {
    let mut agg = Aggregates::default();
    let mut done = Rebuilt::default();
    each_page(store, Query::partition(Index::Table, "LEADS"), |lead| {
        let (Some(partner), Some(created), Some(status)) = (
            text(lead, "partnerId"),
            time(lead, "createdAt"),
            text(lead, "dealStatus"),
        ) else {
            return;
        };
        let month = month_of(created);
        agg.partner(partner, &month, "leads", 1);
        agg.partner(partner, &month, &format!("{STATUS_PREFIX}{status}"), 1);
        agg.active(partner, &month);
        done.leads += 1;
    })
    .await?;
    let partners: Vec<String> = list_partners(store)
        .await?
        .into_iter()
        .map(|partner| partner.id)
        .collect();
    for partner in &partners {
        let sales = Query::partition(Index::Gsi2, format!("SELLER#{partner}#PURCHASES"));
        each_page(store, sales, |sale| {
            let (Some("COMPLETED"), Some(buyer), Some(at)) = (
                text(sale, "status"),
                text(sale, "buyerId"),
                time(sale, "completedAt"),
            ) else {
                return;
            };
            let (month, price, fee) = (
                month_of(at),
                number(sale, "priceCents"),
                number(sale, "feeCents"),
            );
            agg.partner(partner, &month, "sales", 1);
            agg.partner(partner, &month, "salesCents", price);
            agg.partner(partner, &month, "salesFeeCents", fee);
            agg.partner(buyer, &month, "purchases", 1);
            agg.partner(buyer, &month, "purchasesCents", price);
            agg.marketplace(&month, "sales", 1);
            agg.marketplace(&month, "volumeCents", price);
            agg.marketplace(&month, "feeCents", fee);
            agg.active(partner, &month);
            agg.active(buyer, &month);
            done.sales += 1;
        })
        .await?;
        let listings = Query::partition(Index::Gsi2, format!("SELLER#{partner}#LISTINGS"));
        each_page(store, listings, |listing| {
            if let Some(at) = time(listing, "listedAt") {
                agg.marketplace(&month_of(at), "listings", 1);
                done.listings += 1;
            }
        })
        .await?;
    }
    done.items_written = write_all(store, agg).await?;
    Ok(done)
}

fn counted_item(key: Key, fixed: &[(&str, &str)], counts: BTreeMap<String, i64>) -> Item {
    let mut item = Map::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    for (attr, value) in fixed {
        item.insert((*attr).into(), (*value).into());
    }
    for (attr, n) in counts {
        item.insert(attr, n.into());
    }
    item
}

async fn write_all(store: &dyn Store, agg: Aggregates) -> Result<usize, StoreError> {
    let mut items = Vec::new();
    for ((partner, month), counts) in agg.partner_months {
        items.push(counted_item(
            partner_month_key(&partner, &month),
            &[
                ("entity", "analytics_partner_month"),
                ("partnerId", &partner),
                ("month", &month),
            ],
            counts,
        ));
    }
    for (month, mut counts) in agg.marketplace_months {
        let key = marketplace_month_key(&month);
        let matched = store
            .get(&key)
            .await?
            .map_or(0, |old| number(&old, "listingsMatched"));
        counts.insert("listingsMatched".into(), matched);
        items.push(counted_item(
            key,
            &[("entity", "analytics_marketplace_month"), ("month", &month)],
            counts,
        ));
    }
    for (month, partners) in agg.active {
        let mut shards: BTreeMap<u32, BTreeMap<String, i64>> = BTreeMap::new();
        for partner in partners {
            shards
                .entry(active_shard(&partner))
                .or_default()
                .insert(format!("{ACTIVE_PREFIX}{partner}"), 1);
        }
        for (shard, marks) in shards {
            items.push(counted_item(
                active_shard_key(&month, shard),
                &[("entity", "analytics_active_partners"), ("month", &month)],
                marks,
            ));
        }
    }
    let written = items.len();
    for item in items {
        store.put(item, None).await?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use pc_accounts::partners_store::{PartnerRecord, partner_item};
    use pc_leads::deal_status::{DealStatus, LeadSource};
    use pc_leads::lead::{LeadEmail, LeadRecord};
    use pc_leads::leads_store::{create_lead_writes, update_lead_writes};
    use pc_platform::store::embedded::EmbeddedStore;

    use super::*;
    use crate::month_range::{Month, MonthRange};
    use crate::reports::{marketplace_analytics, partner_analytics};
    use crate::tally::{Sale, sale_completed};

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
        both(update_lead_writes(&leads[0], &won).unwrap()).await;
        let sale = Sale {
            seller_id: "S",
            buyer_id: "B",
            price_cents: 12_000,
            fee_cents: 2_400,
            completed_at: at(2, 14),
        };
        let purchase = json!({"pk": "PURCHASE#R1", "sk": "PURCHASE", "entity": "purchase",
            "gsi2pk": "SELLER#S#PURCHASES", "gsi2sk": "x#R1", "status": "COMPLETED",
            "sellerId": "S", "buyerId": "B", "priceCents": 12_000, "feeCents": 2_400,
            "completedAt": pc_platform::time::timestamp(at(2, 14))});
        let mut writes = sale_completed(&sale);
        writes.push(Write::put(purchase.as_object().unwrap().clone()));
        both(crate::tally::merged(writes)).await;
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
        assert_eq!((first.leads, first.sales, first.listings), (3, 1, 0));
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
