//! The two reports, each read from the aggregates of its month range with
//! one query (one round trip for a partner's 24 items; the marketplace's
//! months and their active-partner shards come in one or two pages),
//! however many leads, sales and partners they count. Months without an
//! aggregate item had nothing to count and show zeros.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_platform::store::pages::query_all;
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
    let items = query_all(store, query, usize::MAX).await?;
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

fn is_active_shard(item: &Item) -> bool {
    item.get("entity").and_then(Value::as_str) == Some("analytics_active_partners")
}

/// The partners marked in an active-partners shard.
fn active_in(item: &Item) -> impl Iterator<Item = &str> {
    item.keys().filter_map(|k| k.strip_prefix(ACTIVE_PREFIX))
}

impl MarketplaceCounts {
    fn add_item(&mut self, item: &Item) {
        if is_active_shard(item) {
            // A partner is marked in one shard of a month: no set needed.
            self.active_partners += active_in(item).count() as i64;
            return;
        }
        self.sales += number(item, "sales");
        self.volume_cents += number(item, "volumeCents");
        self.platform_fee_cents += number(item, "feeCents");
        self.listings += number(item, "listings");
        self.listings_matched += number(item, "listingsMatched");
        self.finish();
    }

    fn add(&mut self, other: &MarketplaceCounts) {
        self.sales += other.sales;
        self.volume_cents += other.volume_cents;
        self.platform_fee_cents += other.platform_fee_cents;
        self.listings += other.listings;
        self.listings_matched += other.listings_matched;
        self.finish();
    }

    fn finish(&mut self) {
        self.match_rate = rate(self.listings_matched, self.listings);
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
    let items = query_all(store, query, usize::MAX).await?;
    let mut by_month: BTreeMap<String, MarketplaceCounts> = months
        .iter()
        .map(|m| (m.clone(), MarketplaceCounts::default()))
        .collect();
    for item in &items {
        if let Some(counts) = month_of_item(item).and_then(|m| by_month.get_mut(&m)) {
            counts.add_item(item);
        }
    }
    let mut totals = MarketplaceCounts::default();
    for counts in by_month.values() {
        totals.add(counts);
    }
    // Over the range, a partner active in several months counts once.
    let distinct: HashSet<&str> = items
        .iter()
        .filter(|item| is_active_shard(item))
        .flat_map(active_in)
        .collect();
    totals.active_partners = distinct.len() as i64;
    Ok(MarketplaceAnalytics {
        from: months[0].clone(),
        to: last.clone(),
        months: by_month
            .into_iter()
            .map(|(month, counts)| MarketplaceMonth { month, counts })
            .collect(),
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use pc_platform::store::embedded::EmbeddedStore;

    use crate::month_range::Month;
    use crate::tally::{Sale, lead_created, lead_status_moved, merged, sale_completed};

    fn range(from: &str, to: &str) -> MonthRange {
        MonthRange {
            from: Month::parse(from).unwrap(),
            to: Month::parse(to).unwrap(),
        }
    }

    #[tokio::test]
    async fn reports_add_up_the_months_and_count_partners_once() {
        let store = EmbeddedStore::in_memory();
        let jan = Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap();
        let feb = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        for (partner, at, status) in [("A", jan, "new"), ("A", jan, "won"), ("A", feb, "new")] {
            store
                .transact(lead_created(partner, at, status))
                .await
                .unwrap();
        }
        store
            .transact(vec![lead_status_moved("A", jan, "new", "won")])
            .await
            .unwrap();
        let sale = Sale {
            seller_id: "A",
            buyer_id: "B",
            price_cents: 10_000,
            fee_cents: 1_500,
            completed_at: feb,
        };
        store.transact(merged(sale_completed(&sale))).await.unwrap();

        let a = partner_analytics(&store, "A", &range("2025-12", "2026-02"))
            .await
            .unwrap();
        assert_eq!(a.months.len(), 3);
        assert_eq!(a.months[0].counts, PartnerCounts::empty());
        assert_eq!(a.months[1].counts.leads_created, 2);
        assert_eq!(a.months[1].counts.leads_by_status["won"], 2);
        assert_eq!(a.months[1].counts.leads_by_status["new"], 0);
        assert_eq!(a.months[2].counts.revenue_cents, 8_500);
        assert_eq!(a.totals.leads_created, 3);
        assert_eq!(a.totals.conversion_rate, 0.6667);
        assert_eq!(a.totals.sales_cents, 10_000);

        let m = marketplace_analytics(&store, &range("2026-01", "2026-02"))
            .await
            .unwrap();
        assert_eq!(m.months[0].counts.active_partners, 1);
        assert_eq!(m.months[1].counts.active_partners, 2);
        assert_eq!(
            m.totals.active_partners, 2,
            "A active both months counts once"
        );
        assert_eq!(m.totals.volume_cents, 10_000);
        assert_eq!(m.totals.platform_fee_cents, 1_500);
        // A range that misses the months reads zeros.
        let before = marketplace_analytics(&store, &range("2025-01", "2025-12"))
            .await
            .unwrap();
        assert_eq!(before.totals, MarketplaceCounts::default());
    }

    #[test]
    fn rates_round_to_four_decimals() {
        assert_eq!(rate(1, 3), 0.3333);
        assert_eq!(rate(2, 3), 0.6667);
        assert_eq!(rate(0, 0), 0.0);
        assert_eq!(rate(5, 5), 1.0);
    }
}
