//! Recounting the aggregates from the records, for a table that held data
//! before analytics were kept (or to check them). The caller walks the
//! records through their own stores' functions (the marketplace's
//! `analytics_rebuild` does: every lead, and per partner its sales and its
//! listings) and hands each to a [`Recount`], which then writes the
//! aggregates whole, replacing what was there, so a second run writes the
//! same items.
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

use pc_platform::store::{Item, Key, Store, StoreError};

use crate::tally::{
    ACTIVE_PREFIX, STATUS_PREFIX, Sale, active_shard, active_shard_key, marketplace_month_key,
    month_of, partner_month_key,
};

/// What a rebuild counted and wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub leads: usize,
    pub sales: usize,
    pub listings: usize,
    pub items_written: usize,
}

/// The aggregates counted so far from the records handed to it.
#[derive(Default)]
pub struct Recount {
    /// `(partner, month)` → attribute → count.
    partner_months: BTreeMap<(String, String), BTreeMap<String, i64>>,
    marketplace_months: BTreeMap<String, BTreeMap<String, i64>>,
    active: BTreeMap<String, BTreeSet<String>>,
    counted: Rebuilt,
}

impl Recount {
    /// A lead, in its creation month under its current deal status.
    pub fn lead(&mut self, partner: &str, created_at: DateTime<Utc>, deal_status: &str) {
        let month = month_of(created_at);
        self.partner(partner, &month, "leads", 1);
        self.partner(partner, &month, &format!("{STATUS_PREFIX}{deal_status}"), 1);
        self.active(partner, &month);
        self.counted.leads += 1;
    }

    /// A completed sale, in the month it completed.
    pub fn sale(&mut self, sale: &Sale) {
        let month = month_of(sale.completed_at);
        let (seller, buyer) = (sale.seller_id, sale.buyer_id);
        self.partner(seller, &month, "sales", 1);
        self.partner(seller, &month, "salesCents", sale.price_cents);
        self.partner(seller, &month, "salesFeeCents", sale.fee_cents);
        self.partner(buyer, &month, "purchases", 1);
        self.partner(buyer, &month, "purchasesCents", sale.price_cents);
        self.marketplace(&month, "sales", 1);
        self.marketplace(&month, "volumeCents", sale.price_cents);
        self.marketplace(&month, "feeCents", sale.fee_cents);
        self.active(seller, &month);
        self.active(buyer, &month);
        self.counted.sales += 1;
    }

    /// A lead's listing, in the month of its latest listing.
    pub fn listing(&mut self, listed_at: DateTime<Utc>) {
        self.marketplace(&month_of(listed_at), "listings", 1);
        self.counted.listings += 1;
    }

    /// Writes every aggregate counted, whole.
    pub async fn write(self, store: &dyn Store) -> Result<Rebuilt, StoreError> {
        let mut done = self.counted.clone();
        done.items_written = write_all(store, self).await?;
        Ok(done)
    }

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

async fn write_all(store: &dyn Store, agg: Recount) -> Result<usize, StoreError> {
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
            .and_then(|old| old.get("listingsMatched").and_then(Value::as_i64))
            .unwrap_or(0);
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
