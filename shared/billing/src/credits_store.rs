//! Credits finance gives a partner: money put on the partner's Stripe
//! customer balance, used up by its next invoices, and recorded here with
//! who gave it and Stripe's balance transaction.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! A credit has a partition of its own so that a retried request, which
//! carries the same id (its idempotency key), finds the first one with a
//! single read; the credit is created on condition that its key is free.
//! Access patterns: a partner's credits by time are gsi1; all credits by
//! time (finance) are gsi2.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

use pc_platform::store::{Item, Store, StoreError, to_item};
use pc_platform::time::{serde_millis, timestamp};

use crate::invoice_views::PartnerRef;
pub use crate::keys::credit_key;
use crate::keys::{CREDITS_PARTITION, partner_credits_partition};
use crate::money::dollars;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditRecord {
    pub id: String,
    pub partner_id: String,
    /// Positive: how much the partner is credited.
    pub amount_cents: i64,
    pub description: String,
    pub stripe_customer_id: String,
    /// Stripe's customer balance transaction (`cbtxn_...`).
    pub stripe_balance_transaction_id: String,
    /// The staff user who gave it.
    pub created_by: String,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
}

impl CreditRecord {
    pub fn item(&self) -> Result<Item, StoreError> {
        let mut item = to_item(self)?;
        let key = credit_key(&self.id);
        let sort = format!("{}#{}", timestamp(self.created_at), self.id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "credit".into());
        item.insert(
            "gsi1pk".into(),
            partner_credits_partition(&self.partner_id).into(),
        );
        item.insert("gsi1sk".into(), sort.clone().into());
        item.insert("gsi2pk".into(), CREDITS_PARTITION.into());
        item.insert("gsi2sk".into(), sort.into());
        Ok(item)
    }

    /// Whether this credit is what a request for `partner_id`, `amount_cents`
    /// and `description` asked (a retry), rather than another credit that
    /// reused its id.
    pub fn answers(&self, partner_id: &str, amount_cents: i64, description: &str) -> bool {
        self.partner_id == partner_id
            && self.amount_cents == amount_cents
            && self.description == description
    }
}

pub async fn get_credit(store: &dyn Store, id: &str) -> Result<Option<CreditRecord>, StoreError> {
    store.get_as(&credit_key(id)).await
}

/// `POST /v1/billing/add-credit`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditView {
    pub id: String,
    pub partner_id: String,
    pub partner: PartnerRef,
    /// Dollars.
    #[schema(value_type = f64)]
    pub amount: Number,
    pub amount_cents: i64,
    pub description: String,
    pub stripe_customer_id: String,
    pub stripe_balance_transaction_id: String,
    pub created_by: String,
    pub created_at: String,
}

impl CreditView {
    pub fn of(credit: &CreditRecord, partner_name: &str) -> Self {
        Self {
            id: credit.id.clone(),
            partner_id: credit.partner_id.clone(),
            partner: PartnerRef {
                id: credit.partner_id.clone(),
                name: partner_name.to_owned(),
            },
            amount: dollars(credit.amount_cents),
            amount_cents: credit.amount_cents,
            description: credit.description.clone(),
            stripe_customer_id: credit.stripe_customer_id.clone(),
            stripe_balance_transaction_id: credit.stripe_balance_transaction_id.clone(),
            created_by: credit.created_by.clone(),
            created_at: timestamp(credit.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::from_item;
    use serde_json::json;

    fn credit() -> CreditRecord {
        CreditRecord {
            id: "C1".into(),
            partner_id: "P1".into(),
            amount_cents: 2_505,
            description: "Goodwill".into(),
            stripe_customer_id: "cus_1".into(),
            stripe_balance_transaction_id: "cbtxn_1".into(),
            created_by: "U1".into(),
            created_at: DateTime::parse_from_rfc3339("2024-06-01T08:00:00Z")
                .unwrap()
                .to_utc(),
        }
    }

    #[test]
    fn the_item_has_its_own_partition_and_both_indexes() {
        let item = credit().item().unwrap();
        assert_eq!(item["pk"], "CREDIT#C1");
        assert_eq!(item["sk"], "CREDIT");
        assert_eq!(item["gsi1pk"], "PARTNER#P1#CREDITS");
        assert_eq!(item["gsi2sk"], "2024-06-01T08:00:00.000Z#C1");
        assert_eq!(from_item::<CreditRecord>(item).unwrap(), credit());
    }

    #[test]
    fn the_view_shows_dollars() {
        let view = serde_json::to_value(CreditView::of(&credit(), "Acme")).unwrap();
        assert_eq!(view["amount"], json!(25.05));
        assert_eq!(view["amountCents"], json!(2_505));
        assert_eq!(view["partner"]["name"], "Acme");
        assert_eq!(view["stripeBalanceTransactionId"], "cbtxn_1");
    }

    #[test]
    fn a_retry_is_told_from_a_reused_id() {
        let c = credit();
        assert!(c.answers("P1", 2_505, "Goodwill"));
        assert!(!c.answers("P1", 2_500, "Goodwill"));
        assert!(!c.answers("P2", 2_505, "Goodwill"));
        assert!(!c.answers("P1", 2_505, "Other"));
    }
}
