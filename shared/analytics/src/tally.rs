//! The aggregate items and the writes that move them. Every change that
//! counts appends these writes to its own transaction, so an aggregate
//! never disagrees with the records it counts, and reading analytics
//! never scans or counts records.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Leads count in the month they were created: a status change moves the
//! lead from its old status to its new one in that same month, so a
//! month's statuses always add up to the leads created in it.
//!
//! A month's active partners are the attributes `p_<pid>` of its shards.
//! Setting an attribute is idempotent, so a partner counts once however
//! many changes name it, with no read and no condition that could cancel
//! the change's transaction; spreading partners over
//! [`ACTIVE_SHARDS`] items keeps changes of different partners from
//! contending for one item.

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;

use pc_platform::store::{Guard, Item, Store, StoreError, Transaction, Update, Write};
use pc_platform::time::timestamp;

pub use crate::keys::{
    MARKETPLACE_PARTITION, active_shard_key, marketplace_month_key, month_sk, partner_month_key,
    partner_partition,
};
use crate::keys::{is_aggregate, matched_partition};

/// Items the active partners of a month are spread over.
pub const ACTIVE_SHARDS: u32 = 32;
/// Prefix of a partner's attribute in an active-partners shard.
pub const ACTIVE_PREFIX: &str = "p_";
/// Prefix of a status counter in a partner's month.
pub const STATUS_PREFIX: &str = "status_";
/// How long a matched-listing marker is kept: a listing's notices are all
/// sent within minutes, the marker only has to outlive redeliveries.
const MATCHED_MARKER_DAYS: i64 = 30;

/// `YYYY-MM` of `at`.
pub fn month_of(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

/// The shard of `partner_id`'s active mark (FNV-1a of the id: stable
/// across processes and releases, unlike the standard hasher).
pub fn active_shard(partner_id: &str) -> u32 {
    let hash = partner_id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % ACTIVE_SHARDS
}

fn partner_month(partner_id: &str, month: &str) -> Update {
    Update::new(partner_month_key(partner_id, month))
        .set("entity", "analytics_partner_month")
        .set("partnerId", partner_id)
        .set("month", month)
}

fn marketplace_month(month: &str) -> Update {
    Update::new(marketplace_month_key(month))
        .set("entity", "analytics_marketplace_month")
        .set("month", month)
}

/// Marks `partner_id` active in `month`.
pub fn partner_active(partner_id: &str, month: &str) -> Write {
    Write::Update(
        Update::new(active_shard_key(month, active_shard(partner_id)))
            .set("entity", "analytics_active_partners")
            .set("month", month)
            .set(&format!("{ACTIVE_PREFIX}{partner_id}"), 1),
    )
}

/// A lead of `partner_id` created at `created_at` in `status`: one more
/// lead and one more in that status in its month, and the partner active
/// that month.
pub fn lead_created(partner_id: &str, created_at: DateTime<Utc>, status: &str) -> Vec<Write> {
    let month = month_of(created_at);
    vec![
        Write::Update(
            partner_month(partner_id, &month)
                .add("leads", 1)
                .add(&format!("{STATUS_PREFIX}{status}"), 1),
        ),
        partner_active(partner_id, &month),
    ]
}

/// A lead of `partner_id` created at `created_at`, now in `status`, was
/// removed (a refunded marketplace copy): the counts of its creation month
/// lose it; the partner stays active that month.
pub fn lead_removed(partner_id: &str, created_at: DateTime<Utc>, status: &str) -> Write {
    Write::Update(
        partner_month(partner_id, &month_of(created_at))
            .add("leads", -1)
            .add(&format!("{STATUS_PREFIX}{status}"), -1),
    )
}

/// A lead created at `created_at` moved from status `from` to `to`: it
/// moves between the two counters of its creation month.
pub fn lead_status_moved(
    partner_id: &str,
    created_at: DateTime<Utc>,
    from: &str,
    to: &str,
) -> Write {
    let month = month_of(created_at);
    Write::Update(
        partner_month(partner_id, &month)
            .add(&format!("{STATUS_PREFIX}{from}"), -1)
            .add(&format!("{STATUS_PREFIX}{to}"), 1),
    )
}

/// A completed marketplace sale, in the month it completed.
#[derive(Clone, Debug)]
pub struct Sale<'a> {
    pub seller_id: &'a str,
    pub buyer_id: &'a str,
    pub price_cents: i64,
    pub fee_cents: i64,
    pub completed_at: DateTime<Utc>,
}

/// The seller's sale (count, amount, platform fee), the buyer's purchase
/// (count, amount), the marketplace's volume and fee, and both partners
/// active that month.
pub fn sale_completed(sale: &Sale<'_>) -> Vec<Write> {
    let month = month_of(sale.completed_at);
    vec![
        Write::Update(
            partner_month(sale.seller_id, &month)
                .add("sales", 1)
                .add("salesCents", sale.price_cents)
                .add("salesFeeCents", sale.fee_cents),
        ),
        Write::Update(
            partner_month(sale.buyer_id, &month)
                .add("purchases", 1)
                .add("purchasesCents", sale.price_cents),
        ),
        Write::Update(
            marketplace_month(&month)
                .add("sales", 1)
                .add("volumeCents", sale.price_cents)
                .add("feeCents", sale.fee_cents),
        ),
        partner_active(sale.seller_id, &month),
        partner_active(sale.buyer_id, &month),
    ]
}

/// A completed sale refunded in full (staff settled a complaint): the
/// seller's sale, the buyer's purchase and the marketplace's volume and fee
/// taken back out of the month the sale counted in.
pub fn sale_refunded(sale: &Sale<'_>) -> Vec<Write> {
    let month = month_of(sale.completed_at);
    vec![
        Write::Update(
            partner_month(sale.seller_id, &month)
                .add("sales", -1)
                .add("salesCents", -sale.price_cents)
                .add("salesFeeCents", -sale.fee_cents),
        ),
        Write::Update(
            partner_month(sale.buyer_id, &month)
                .add("purchases", -1)
                .add("purchasesCents", -sale.price_cents),
        ),
        Write::Update(
            marketplace_month(&month)
                .add("sales", -1)
                .add("volumeCents", -sale.price_cents)
                .add("feeCents", -sale.fee_cents),
        ),
    ]
}

/// `writes` and the aggregate writes that take `sale` back, merged.
pub fn with_sale_refunded(mut writes: Vec<Write>, sale: &Sale<'_>) -> Vec<Write> {
    writes.extend(sale_refunded(sale));
    merged(writes)
}

/// A lead newly listed at `listed_at`: one more listing that month.
pub fn listing_created(listed_at: DateTime<Utc>) -> Write {
    Write::Update(marketplace_month(&month_of(listed_at)).add("listings", 1))
}

/// The listing of `lead_id` at `listed_at` matched at least one partner:
/// a marker, created once (its condition fails when the listing was
/// counted already: a redelivered or later page of its notices), and one
/// more matched listing in the listing's month. A failed condition means
/// "counted before", not an error.
pub fn listing_matched(
    lead_id: &str,
    listed_at: DateTime<Utc>,
    listed_at_text: &str,
) -> Transaction {
    let expires = listed_at.timestamp() + MATCHED_MARKER_DAYS * 86_400;
    let mut marker = Item::new();
    marker.insert("pk".into(), matched_partition(lead_id).into());
    marker.insert("sk".into(), listed_at_text.into());
    marker.insert("entity".into(), "analytics_matched_listing".into());
    marker.insert("ttl".into(), Value::from(expires));
    let mut writes = Transaction::new();
    writes.guarded(MATCHED_MARKER, Write::put_new(marker));
    writes.push(Write::Update(
        marketplace_month(&month_of(listed_at)).add("listingsMatched", 1),
    ));
    writes
}

/// The listing was counted as matched before.
pub const MATCHED_MARKER: Guard = Guard::new("matched_marker");

/// Counts the listing of `lead_id` at `listed_at` as matched, once
/// however many pages of its notices matched or were redelivered.
pub async fn record_listing_matched(
    store: &dyn Store,
    lead_id: &str,
    listed_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let writes = listing_matched(lead_id, listed_at, &timestamp(listed_at));
    match writes.commit(store).await {
        Err(e) if e.failed(MATCHED_MARKER) => Ok(()),
        other => other,
    }
}

/// `writes` and the aggregate writes of `sale`, merged (see [`merged`]).
pub fn with_sale(mut writes: Vec<Write>, sale: &Sale<'_>) -> Vec<Write> {
    writes.extend(sale_completed(sale));
    merged(writes)
}

/// `writes` with the unconditional updates of one aggregate item merged
/// into one (DynamoDB refuses a transaction naming an item twice): a
/// purchase counts the buyer's copy of the lead and the buyer's purchase
/// in one partner month, and several partners may share an active shard.
/// Other writes are left as they are, in their order.
pub fn merged(writes: Vec<Write>) -> Vec<Write> {
    let mut out: Vec<Write> = Vec::with_capacity(writes.len());
    for write in writes {
        let merged_into = match &write {
            Write::Update(u) if is_aggregate(&u.key) && u.condition.is_none() => {
                out.iter_mut().find_map(|w| match w {
                    Write::Update(e)
                        if e.key == u.key && e.condition.is_none() && e.remove.is_empty() =>
                    {
                        Some(e)
                    }
                    _ => None,
                })
            }
            _ => None,
        };
        match (merged_into, write) {
            (Some(existing), Write::Update(u)) => {
                existing.set.extend(u.set);
                for (attr, by) in u.add {
                    match existing.add.iter_mut().find(|(a, _)| *a == attr) {
                        Some((_, total)) => *total += by,
                        None => existing.add.push((attr, by)),
                    }
                }
            }
            (_, write) => out.push(write),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use pc_platform::store::Key;

    fn at(y: i32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, 15, 12, 0, 0).unwrap()
    }

    #[test]
    fn months_are_zero_padded() {
        assert_eq!(month_of(at(2026, 3)), "2026-03");
        assert_eq!(month_of(at(2026, 11)), "2026-11");
    }

    #[test]
    fn shards_are_stable_and_in_range() {
        assert_eq!(active_shard("P1"), active_shard("P1"));
        let shards: std::collections::HashSet<_> =
            (0..500).map(|i| active_shard(&format!("P{i}"))).collect();
        assert!(shards.iter().all(|s| *s < ACTIVE_SHARDS));
        assert_eq!(
            shards.len(),
            ACTIVE_SHARDS as usize,
            "ids spread over every shard"
        );
    }

    #[test]
    fn a_purchase_with_the_buyers_copy_names_each_item_once() {
        let now = at(2026, 5);
        let mut writes = lead_created("B", now, "new");
        writes.extend(sale_completed(&Sale {
            seller_id: "S",
            buyer_id: "B",
            price_cents: 10_000,
            fee_cents: 2_000,
            completed_at: now,
        }));
        writes.push(Write::Update(
            Update::new(Key::new("LEADCOUNT#B", "COUNT")).add("x", 1),
        ));
        writes.push(Write::Update(
            Update::new(Key::new("LEADCOUNT#B", "COUNT")).add("x", 1),
        ));
        let merged = merged(writes);
        let keys: Vec<_> = merged.iter().filter_map(Write::key).collect();
        let aggregates: Vec<_> = keys.iter().filter(|k| is_aggregate(k)).collect();
        let unique: std::collections::HashSet<_> = aggregates.iter().collect();
        assert_eq!(aggregates.len(), unique.len());
        // Writes of other items are never touched.
        assert_eq!(keys.iter().filter(|k| k.pk == "LEADCOUNT#B").count(), 2);
        let Some(Write::Update(buyer)) = merged
            .iter()
            .find(|w| w.key() == Some(partner_month_key("B", "2026-05")))
        else {
            panic!("the buyer's month is written");
        };
        let add = |attr: &str| buyer.add.iter().find(|(a, _)| a == attr).map(|(_, n)| *n);
        assert_eq!(add("leads"), Some(1));
        assert_eq!(add("status_new"), Some(1));
        assert_eq!(add("purchases"), Some(1));
        assert_eq!(add("purchasesCents"), Some(10_000));
    }

    #[test]
    fn merging_sums_the_same_counter() {
        let month = "2026-01";
        let writes = vec![
            lead_status_moved("P", at(2026, 1), "new", "won"),
            lead_status_moved("P", at(2026, 1), "won", "lost_no_show"),
        ];
        let merged = merged(writes);
        assert_eq!(merged.len(), 1);
        let Write::Update(u) = &merged[0] else {
            panic!("an update")
        };
        assert_eq!(u.key, partner_month_key("P", month));
        let add = |attr: &str| u.add.iter().find(|(a, _)| a == attr).map(|(_, n)| *n);
        assert_eq!(add("status_new"), Some(-1));
        assert_eq!(add("status_won"), Some(0));
        assert_eq!(add("status_lost_no_show"), Some(1));
    }
}
