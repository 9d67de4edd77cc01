//! The two reports, each read from the aggregates of its month range with
//! one query (one round trip for a partner's 24 items; the marketplace's
//! months and their active-partner shards come in one or two pages),
//! however many leads, sales and partners they count. Months without an
//! aggregate item had nothing to count and show zeros.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_platform::store::{Index, Item, Query, SortKey, Store, StoreError};

use crate::month_range::MonthRange;
use crate::tally::{
    ACTIVE_PREFIX, MARKETPLACE_PARTITION, STATUS_PREFIX, month_sk, partner_partition,
};

/// The deal statuses every month shows, counted or not.
pub const DEAL_STATUSES: [&str; 7] = [
    "new",
    "scheduled",
    "in_touch",
    "won",
    "lost_no_show",
    "lost_disqualified",
    "lost_no_potential",
];

/// A partner's counts over one month or the whole range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerCounts {
    /// Leads created in the period (imported, entered, bought, from meetings).
    pub leads_created: i64,
    /// Those leads by their current deal status.
    pub leads_by_status: BTreeMap<String, i64>,
    /// Of those leads, the ones now `won`.
    pub won: i64,
    /// `won / leadsCreated` (0 when no lead was created), a fraction
    /// rounded to four decimals.
    pub conversion_rate: f64,
    pub sales: i64,
    pub sales_cents: i64,
    pub purchases: i64,
    pub purchases_cents: i64,
    /// What the partner earned selling leads: the sales' amounts less
    /// the platform fee (the seller's payouts).
    pub revenue_cents: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerMonth {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub counts: PartnerCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerAnalytics {
    pub partner_id: String,
    pub from: String,
    pub to: String,
    /// Every month of the range, oldest first.
    pub months: Vec<PartnerMonth>,
    pub totals: PartnerCounts,
}

/// The marketplace's counts over one month or the whole range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceCounts {
    /// Completed sales.
    pub sales: i64,
    /// What buyers paid for them.
    pub volume_cents: i64,
    /// The platform's fees on them.
    pub platform_fee_cents: i64,
    /// Partners with a lead created, a sale or a purchase in the period
    /// (a partner active in several months counts once in the totals).
    pub active_partners: i64,
    /// Leads newly put on the market.
    pub listings: i64,
    /// Of those, listings that matched at least one partner's ICP well
    /// enough to be announced to it.
    pub listings_matched: i64,
    /// `listingsMatched / listings` (0 without listings), rounded to four decimals.
    pub match_rate: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceMonth {
    pub month: String,
    #[serde(flatten)]
    pub counts: MarketplaceCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceAnalytics {
    pub from: String,
    pub to: String,
    pub months: Vec<MarketplaceMonth>,
    pub totals: MarketplaceCounts,
}

fn number(item: &Item, attr: &str) -> i64 {
    match item.get(attr) {
        Some(Value::Number(n)) => n
            .as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
        _ => 0,
    }
}

/// `part / whole` as a fraction with four decimals (0 for an empty whole).
fn rate(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    // Rounded in integers so 1/3 reads 0.3333, not 0.33333333333333331.
    let basis_points = (part as i128 * 20_000 / whole as i128 + 1) / 2;
    basis_points as f64 / 10_000.0
}

/// Every item of `query`, page after page (a range's items fit in one or
/// two pages).
async fn read_all(store: &dyn Store, query: Query) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.query(&query.clone().after(cursor)).await?;
        items.extend(page.items);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

fn month_of_item(item: &Item) -> Option<String> {
    item.get("month").and_then(Value::as_str).map(str::to_owned)
}

impl PartnerCounts {
    fn empty() -> Self {
        Self {
            leads_by_status: DEAL_STATUSES.iter().map(|s| ((*s).to_owned(), 0)).collect(),
            ..Self::default()
        }
    }

    fn add_item(&mut self, item: &Item) {
        self.leads_created += number(item, "leads");
        for (attr, _) in item.iter() {
            if let Some(status) = attr.strip_prefix(STATUS_PREFIX) {
                *self.leads_by_status.entry(status.to_owned()).or_default() += number(item, attr);
            }
        }
        self.sales += number(item, "sales");
        self.sales_cents += number(item, "salesCents");
        self.purchases += number(item, "purchases");
        self.purchases_cents += number(item, "purchasesCents");
        self.revenue_cents += number(item, "salesCents") - number(item, "salesFeeCents");
        self.finish();
    }

    fn add(&mut self, other: &PartnerCounts) {
        self.leads_created += other.leads_created;
        for (status, n) in &other.leads_by_status {
            *self.leads_by_status.entry(status.clone()).or_default() += n;
        }
        self.sales += other.sales;
        self.sales_cents += other.sales_cents;
        self.purchases += other.purchases;
        self.purchases_cents += other.purchases_cents;
        self.revenue_cents += other.revenue_cents;
        self.finish();
    }

    fn finish(&mut self) {
        self.won = self.leads_by_status.get("won").copied().unwrap_or(0);
        self.conversion_rate = rate(self.won, self.leads_created);
    }
}

/// A partner's analytics over `range`: one query of its month items.
pub async fn partner_analytics(
    store: &dyn Store,
    partner_id: &str,
    range: &MonthRange,
) -> Result<PartnerAnalytics, StoreError> {
    let months = range.months();
    let query = Query::partition(Index::Table, partner_partition(partner_id)).sk(SortKey::Between(
        month_sk(&months[0]),
        month_sk(&months[months.len() - 1]),
    ));
    let items = read_all(store, query).await?;
    let mut by_month: BTreeMap<String, PartnerCounts> = months
        .iter()
        .map(|m| (m.clone(), PartnerCounts::empty()))
        .collect();
    for item in &items {
        if let Some(counts) = month_of_item(item).and_then(|m| by_month.get_mut(&m)) {
            counts.add_item(item);
        }
    }
    let mut totals = PartnerCounts::empty();
    for counts in by_month.values() {
        totals.add(counts);
    }
    Ok(PartnerAnalytics {
        partner_id: partner_id.to_owned(),
        from: months[0].clone(),
        to: months[months.len() - 1].clone(),
        months: by_month
            .into_iter()
            .map(|(month, counts)| PartnerMonth { month, counts })
            .collect(),
        totals,
    })
}

#[derive(Default)]
struct MarketplaceTally {
    counts: MarketplaceCounts,
    active: BTreeSet<String>,
}

impl MarketplaceTally {
    fn add_item(&mut self, item: &Item) {
        let is_shard =
            item.get("entity").and_then(Value::as_str) == Some("analytics_active_partners");
        if is_shard {
            self.active.extend(
                item.keys()
                    .filter_map(|k| k.strip_prefix(ACTIVE_PREFIX))
                    .map(str::to_owned),
            );
            return;
        }
        let c = &mut self.counts;
        c.sales += number(item, "sales");
        c.volume_cents += number(item, "volumeCents");
        c.platform_fee_cents += number(item, "feeCents");
        c.listings += number(item, "listings");
        c.listings_matched += number(item, "listingsMatched");
    }

    fn add(&mut self, other: &MarketplaceTally) {
        let c = &mut self.counts;
        c.sales += other.counts.sales;
        c.volume_cents += other.counts.volume_cents;
        c.platform_fee_cents += other.counts.platform_fee_cents;
        c.listings += other.counts.listings;
        c.listings_matched += other.counts.listings_matched;
        self.active.extend(other.active.iter().cloned());
    }

    fn finish(mut self) -> MarketplaceCounts {
        self.counts.active_partners = self.active.len() as i64;
        self.counts.match_rate = rate(self.counts.listings_matched, self.counts.listings);
        self.counts
    }
}

/// The marketplace's analytics over `range`: one query of its month
/// items and their active-partner shards.
pub async fn marketplace_analytics(
    store: &dyn Store,
    range: &MonthRange,
) -> Result<MarketplaceAnalytics, StoreError> {
    let months = range.months();
    let last = &months[months.len() - 1];
    // `#~` sorts after the last month's shards.
    let query = Query::partition(Index::Table, MARKETPLACE_PARTITION).sk(SortKey::Between(
        month_sk(&months[0]),
        format!("{}#~", month_sk(last)),
    ));
    let items = read_all(store, query).await?;
    let mut by_month: BTreeMap<String, MarketplaceTally> = months
        .iter()
        .map(|m| (m.clone(), MarketplaceTally::default()))
        .collect();
    for item in &items {
        if let Some(tally) = month_of_item(item).and_then(|m| by_month.get_mut(&m)) {
            tally.add_item(item);
        }
    }
    let mut totals = MarketplaceTally::default();
    for tally in by_month.values() {
        totals.add(tally);
    }
    Ok(MarketplaceAnalytics {
        from: months[0].clone(),
        to: last.clone(),
        months: by_month
            .into_iter()
            .map(|(month, tally)| MarketplaceMonth {
                month,
                counts: tally.finish(),
            })
            .collect(),
        totals: totals.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_to_four_decimals() {
        assert_eq!(rate(1, 3), 0.3333);
        assert_eq!(rate(2, 3), 0.6667);
        assert_eq!(rate(0, 0), 0.0);
        assert_eq!(rate(5, 5), 1.0);
    }
}
