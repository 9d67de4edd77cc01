//! Purchases of reserved leads, and each seller's monthly sales counter
//! (its fee tier).
//!
//! Its items and their keys: [`crate::keys`].
//!
//! A reservation has at most one purchase (its id is the reservation's),
//! created on condition that it does not exist. States: `PENDING` (the
//! payment intent is made, the buyer confirms it with Stripe) →
//! `COMPLETED` (Stripe's `payment_intent.succeeded`) or `FAILED`
//! (`payment_intent.payment_failed`; the buyer may confirm again, which
//! brings it back to `PENDING`); `PENDING` or `FAILED` → `CANCELLED` when
//! its reservation ends unpaid (in the same transaction; its intent is
//! then canceled at Stripe). `REFUNDED`: the payment was given back in
//! full — a success that came when the purchase could no longer complete,
//! or a completed purchase staff refunded. Every write that completes is
//! conditional on the purchase being `PENDING` or `FAILED`, so a lead is
//! never paid for twice.
//!
//! The sales counter is moved by the completing transaction, so the fee
//! tier of a seller is one read, never a query of its sales.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::store::pages::each_item;
use pc_platform::store::{
    Condition, Index, Item, Query, Store, StoreError, Update, Write, from_item, to_item,
};
use pc_platform::time::{serde_millis, timestamp};

pub use crate::keys::{buyer_purchases, purchase_key, sales_key, seller_purchases};

/// The platform's fee on a sale, in percent.
pub const STANDARD_FEE_PERCENT: i64 = 20;
/// The fee of a seller past [`HIGH_VOLUME_SALES`] sales in the month.
pub const HIGH_VOLUME_FEE_PERCENT: i64 = 15;
/// More sales than this in a calendar month earn the lower fee.
pub const HIGH_VOLUME_SALES: i64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PurchaseStatus {
    Pending,
    Completed,
    Failed,
    Cancelled,
    Refunded,
}

impl PurchaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::Pending => "PENDING",
            PurchaseStatus::Completed => "COMPLETED",
            PurchaseStatus::Failed => "FAILED",
            PurchaseStatus::Cancelled => "CANCELLED",
            PurchaseStatus::Refunded => "REFUNDED",
        }
    }

    /// Whether the payment may still complete the purchase.
    pub fn is_open(self) -> bool {
        matches!(self, PurchaseStatus::Pending | PurchaseStatus::Failed)
    }
}

/// The buyer's user who paid: where the buyer's email goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Purchaser {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// A purchase as stored at `PURCHASE#<id>` / `PURCHASE`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseRecord {
    pub id: String,
    pub reservation_id: String,
    /// The seller's lead.
    pub lead_id: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub purchaser: Purchaser,
    pub status: PurchaseStatus,
    pub price_cents: i64,
    pub fee_percent: i64,
    pub fee_cents: i64,
    pub payment_intent_id: String,
    /// What the buyer's browser confirms the payment with (Stripe.js).
    pub client_secret: Option<String>,
    /// The seller's connected account the rest is transferred to.
    pub seller_account_id: String,
    /// The buyer's copy of the lead, once completed.
    #[serde(default)]
    pub bought_lead_id: Option<String>,
    /// Whether the purchase made that copy (a buyer that had the email
    /// already keeps its own lead, which a refund does not withdraw).
    #[serde(default)]
    pub copy_made: bool,
    /// Stripe's refund (`re_...`) once refunded, and why.
    #[serde(default)]
    pub refund_id: Option<String>,
    #[serde(default)]
    pub refund_reason: Option<String>,
    #[serde(default, with = "serde_millis::option")]
    pub refunded_at: Option<DateTime<Utc>>,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "serde_millis::option")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

/// `2026-11`: the calendar month (UTC) a sale counts in.
pub fn sales_month(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

/// The platform's fee on `price_cents` for a seller with `sales_this_month`
/// completed sales: 20%, or 15% past 100 sales; rounded to the cent,
/// half up.
pub fn fee_for(price_cents: i64, sales_this_month: i64) -> (i64, i64) {
    let percent = if sales_this_month > HIGH_VOLUME_SALES {
        HIGH_VOLUME_FEE_PERCENT
    } else {
        STANDARD_FEE_PERCENT
    };
    (percent, (price_cents * percent + 50) / 100)
}

/// The seller's completed sales in `month` (0 when none).
pub async fn sales_in_month(
    store: &dyn Store,
    seller_id: &str,
    month: &str,
) -> Result<i64, StoreError> {
    Ok(store
        .get(&sales_key(seller_id, month))
        .await?
        .and_then(|item| item.get("sales").and_then(serde_json::Value::as_i64))
        .unwrap_or(0))
}

/// `+1` on the seller's sales of the month.
pub fn count_sale(seller_id: &str, month: &str) -> Write {
    let key = sales_key(seller_id, month);
    Write::Update(
        Update::new(key)
            .set("entity", "marketplace_sales")
            .set("sellerId", seller_id)
            .set("month", month)
            .add("sales", 1),
    )
}

/// `-1` on the seller's sales of the month a refunded sale counted in.
pub fn uncount_sale(seller_id: &str, month: &str) -> Write {
    Write::Update(Update::new(sales_key(seller_id, month)).add("sales", -1))
}

/// The stored item of a purchase, with its key and index attributes.
pub fn purchase_item(p: &PurchaseRecord) -> Result<Item, StoreError> {
    let mut item = to_item(p)?;
    let key = purchase_key(&p.id);
    let sort = format!("{}#{}", timestamp(p.created_at), p.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "purchase".into());
    item.insert("gsi1pk".into(), buyer_purchases(&p.buyer_id).into());
    item.insert("gsi1sk".into(), sort.clone().into());
    item.insert("gsi2pk".into(), seller_purchases(&p.seller_id).into());
    item.insert("gsi2sk".into(), sort.into());
    Ok(item)
}

pub async fn get_purchase(
    store: &dyn Store,
    id: &str,
) -> Result<Option<PurchaseRecord>, StoreError> {
    store.get_as(&purchase_key(id)).await
}

/// Every purchase of a seller's leads (any status), oldest first, one page
/// in memory at a time.
#[tracing::instrument(skip_all, fields(seller_id = %seller_id))]
pub async fn each_purchase_of_seller(
    store: &dyn Store,
    seller_id: &str,
    mut on_purchase: impl FnMut(PurchaseRecord),
) -> Result<(), StoreError> {
    let query = Query::partition(Index::Gsi2, seller_purchases(seller_id));
    each_item(store, query, |item| {
        on_purchase(from_item(item)?);
        Ok(())
    })
    .await
}

/// A status change from one of `from`, never from `COMPLETED`.
fn purchase_transition(
    id: &str,
    from: &[PurchaseStatus],
    to: PurchaseStatus,
    now: DateTime<Utc>,
) -> Update {
    Update::new(purchase_key(id))
        .set("status", to.as_str())
        .set("updatedAt", timestamp(now))
        .when(
            Condition::Exists.and(Condition::Or(
                from.iter()
                    .map(|s| Condition::equals("status", s.as_str()))
                    .collect(),
            )),
        )
}

/// `PENDING` or `FAILED` → `COMPLETED`, naming the buyer's copy and
/// whether this purchase made it.
pub fn complete_item(id: &str, bought_lead_id: &str, copy_made: bool, now: DateTime<Utc>) -> Write {
    let update = purchase_transition(
        id,
        &[PurchaseStatus::Pending, PurchaseStatus::Failed],
        PurchaseStatus::Completed,
        now,
    )
    .set("boughtLeadId", bought_lead_id)
    .set("copyMade", copy_made)
    .set("completedAt", timestamp(now));
    Write::Update(update)
}

/// `PENDING` or `FAILED` → `CANCELLED`: its reservation ended unpaid.
pub fn cancel_item(id: &str, now: DateTime<Utc>) -> Write {
    Write::Update(purchase_transition(
        id,
        &[PurchaseStatus::Pending, PurchaseStatus::Failed],
        PurchaseStatus::Cancelled,
        now,
    ))
}

/// `from` → `REFUNDED` with Stripe's refund and the reason.
pub fn refund_item(
    id: &str,
    from: PurchaseStatus,
    refund_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Write {
    let update = purchase_transition(id, &[from], PurchaseStatus::Refunded, now)
        .set("refundId", refund_id)
        .set("refundReason", reason)
        .set("refundedAt", timestamp(now));
    Write::Update(update)
}

/// `PENDING` → `FAILED`.
pub fn fail_item(id: &str, now: DateTime<Utc>) -> Write {
    Write::Update(purchase_transition(
        id,
        &[PurchaseStatus::Pending],
        PurchaseStatus::Failed,
        now,
    ))
}

/// `FAILED` → `PENDING`: the buyer confirms the same payment intent again.
pub fn retry_item(id: &str, now: DateTime<Utc>) -> Write {
    Write::Update(purchase_transition(
        id,
        &[PurchaseStatus::Failed],
        PurchaseStatus::Pending,
        now,
    ))
}

/// Whose purchases a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buyer,
    Seller,
}

/// A partner's purchases (as buyer) or sales (as seller), newest first.
pub async fn purchases_of(
    store: &dyn Store,
    side: Side,
    partner_id: &str,
) -> Result<Vec<PurchaseRecord>, StoreError> {
    let (index, partition) = match side {
        Side::Buyer => (Index::Gsi1, buyer_purchases(partner_id)),
        Side::Seller => (Index::Gsi2, seller_purchases(partner_id)),
    };
    let mut all = Vec::new();
    let mut query = Query::partition(index, partition).descending().limit(1_000);
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            all.push(from_item(item)?);
        }
        match page.cursor {
            Some(c) => query = query.after(Some(c)),
            None => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_is_a_fifth_until_a_seller_passes_a_hundred_sales_in_the_month() {
        assert_eq!(fee_for(10_000, 0), (20, 2_000));
        assert_eq!(fee_for(10_000, 100), (20, 2_000));
        assert_eq!(fee_for(10_000, 101), (15, 1_500));
        // Rounded to the cent, half up.
        assert_eq!(fee_for(1_003, 0), (20, 201));
        assert_eq!(fee_for(1_010, 101), (15, 152));
    }

    #[test]
    fn a_sale_counts_in_its_calendar_month() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(sales_month(at), "2026-11");
        assert_eq!(sales_key("P1", "2026-11").pk, "SALES#P1#2026-11");
    }
}
