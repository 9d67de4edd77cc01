//! Invoices and their lines in the single table, and the rules their
//! status follows.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The claim is written with the invoice in one transaction, on condition
//! that it does not exist: whatever runs the month, however often, a
//! partner gets at most one monthly invoice per period.
//!
//! Access patterns: one invoice with its lines is one query on
//! `INVOICE#<id>`; a partner's invoices by period are gsi1; every invoice by
//! period (finance) is gsi2; the invoice of a Stripe event is gsi3.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_platform::store::{Index, Item, Key, Query, SortKey, Store, StoreError, from_item, to_item};
use pc_platform::time::serde_millis;

use crate::keys::{
    INVOICES_PARTITION, LINE_PREFIX, partner_invoices_partition, stripe_invoice_partition,
};
pub use crate::keys::{claim_key, invoice_key, line_key};

/// The status the finance pages show (`stripeStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum InvoiceStatus {
    /// Being built; not yet sent to the customer.
    Draft,
    /// Finalized and sent; awaiting payment.
    Open,
    /// The last payment attempt failed; Stripe retries, staff may void.
    Failed,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Open => "Open",
            Self::Failed => "Failed",
            Self::Paid => "Paid",
            Self::Void => "Void",
        }
    }

    /// Whether an invoice may move from `self` to `to`. Paid and void are
    /// final; a failed payment may still be paid later; nothing moves back
    /// to draft or open, so a late `invoice.finalized` after
    /// `invoice.paid` changes nothing.
    pub fn may_become(self, to: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, to),
            (Draft, Open) | (Open, Paid | Failed | Void) | (Failed, Paid | Void)
        )
    }

    /// The statuses an invoice may be in to move to `to`.
    pub fn sources_of(to: InvoiceStatus) -> Vec<InvoiceStatus> {
        use InvoiceStatus::*;
        [Draft, Open, Failed, Paid, Void]
            .into_iter()
            .filter(|from| from.may_become(to))
            .collect()
    }
}

/// What an invoice charges for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceType {
    /// The leads of one month (the `monthly-invoices` job).
    Monthly,
    /// A one-off charge made by finance staff.
    Manual,
}

/// How far the making of an invoice has got; each step is stored before
/// the next begins, so a redelivered message resumes where the last try
/// stopped, and Stripe's idempotency keys make a repeated call answer the
/// object the first one made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Claimed; lines may be partly stored.
    Planning,
    /// Every line stored; `amountCents` is their sum.
    Planned,
    /// Stripe's draft exists (`stripeInvoiceId`).
    StripeDrafted,
    /// Every line is on Stripe's draft.
    LinesAdded,
    /// Finalized at Stripe: the invoice is open (or later).
    Finalized,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceRecord {
    pub id: String,
    pub partner_id: String,
    pub invoice_type: InvoiceType,
    /// `YYYY-MM`: the month charged for (monthly) or made in (manual).
    pub billing_period: String,
    pub description: String,
    pub amount_cents: i64,
    pub line_count: u32,
    pub stripe_customer_id: Option<String>,
    pub stripe_invoice_id: Option<String>,
    pub hosted_invoice_url: Option<String>,
    /// What the customer owes once credit is applied (known when finalized).
    pub amount_due_cents: Option<i64>,
    pub stripe_status: InvoiceStatus,
    pub stage: Stage,
    #[serde(default, with = "serde_millis::option")]
    pub payment_date: Option<DateTime<Utc>>,
    /// When the first try to draft it at Stripe began: Stripe keeps an
    /// idempotency key for 24 hours, so a try after that could not tell a
    /// draft made before from none, and waits for a person instead.
    #[serde(default, with = "serde_millis::option")]
    pub drafting_since: Option<DateTime<Utc>>,
    /// Who asked for a manual invoice.
    pub created_by: Option<String>,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl InvoiceRecord {
    /// A new invoice of nothing yet: a draft, planned, not at Stripe. The
    /// caller sets what it charges (`..InvoiceRecord::new(...)`).
    pub fn new(
        id: &str,
        partner_id: &str,
        invoice_type: InvoiceType,
        billing_period: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: id.to_owned(),
            partner_id: partner_id.to_owned(),
            invoice_type,
            billing_period: billing_period.to_owned(),
            description: format!("Partner Connector leads, {billing_period}"),
            amount_cents: 0,
            line_count: 0,
            stripe_customer_id: None,
            stripe_invoice_id: None,
            hosted_invoice_url: None,
            amount_due_cents: None,
            stripe_status: InvoiceStatus::Draft,
            stage: Stage::Planned,
            payment_date: None,
            drafting_since: None,
            created_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn key(&self) -> Key {
        invoice_key(&self.id)
    }

    /// The stored item with its index attributes.
    pub fn item(&self) -> Result<Item, StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        let sort = format!("{}#{}", self.billing_period, self.id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "invoice".into());
        item.insert(
            "gsi1pk".into(),
            partner_invoices_partition(&self.partner_id).into(),
        );
        item.insert("gsi1sk".into(), sort.clone().into());
        item.insert("gsi2pk".into(), INVOICES_PARTITION.into());
        item.insert("gsi2sk".into(), sort.into());
        if let Some(stripe_id) = &self.stripe_invoice_id {
            item.insert("gsi3pk".into(), stripe_invoice_partition(stripe_id).into());
            item.insert("gsi3sk".into(), "INVOICE".into());
        }
        Ok(item)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineRecord {
    pub invoice_id: String,
    /// The lead's id for a lead's charge; `charge` for a manual invoice's
    /// one line.
    pub line_id: String,
    pub lead_id: Option<String>,
    pub description: String,
    pub amount_cents: i64,
    pub billing_period: String,
}

impl InvoiceLineRecord {
    pub fn key(&self) -> Key {
        line_key(&self.invoice_id, &self.line_id)
    }

    pub fn item(&self) -> Result<Item, StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "invoice_line".into());
        Ok(item)
    }
}

/// The claim of a partner's monthly invoice for a period.
pub fn claim_item(partner_id: &str, period: &str, invoice_id: &str) -> Item {
    let key = claim_key(partner_id, period);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "invoice_claim".into());
    item.insert("invoiceId".into(), invoice_id.into());
    item
}

pub async fn get_invoice(store: &dyn Store, id: &str) -> Result<Option<InvoiceRecord>, StoreError> {
    store.get_as(&invoice_key(id)).await
}

/// The invoice claimed for a partner and period, if any.
pub async fn claimed_invoice_id(
    store: &dyn Store,
    partner_id: &str,
    period: &str,
) -> Result<Option<String>, StoreError> {
    Ok(store
        .get(&claim_key(partner_id, period))
        .await?
        .and_then(|item| {
            item.get("invoiceId")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        }))
}

/// An invoice with its lines, in one query.
pub async fn invoice_with_lines(
    store: &dyn Store,
    id: &str,
) -> Result<Option<(InvoiceRecord, Vec<InvoiceLineRecord>)>, StoreError> {
    let mut invoice = None;
    let mut lines = Vec::new();
    let mut query = Query::partition(Index::Table, invoice_key(id).pk);
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            match item.get("entity").and_then(|v| v.as_str()) {
                Some("invoice") => invoice = Some(from_item::<InvoiceRecord>(item)?),
                Some("invoice_line") => lines.push(from_item::<InvoiceLineRecord>(item)?),
                _ => {}
            }
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => break,
        }
    }
    Ok(invoice.map(|invoice| (invoice, lines)))
}

/// The lines of an invoice.
pub async fn invoice_lines(
    store: &dyn Store,
    id: &str,
) -> Result<Vec<InvoiceLineRecord>, StoreError> {
    let mut lines = Vec::new();
    let mut query = Query::partition(Index::Table, invoice_key(id).pk)
        .sk(SortKey::BeginsWith(LINE_PREFIX.into()));
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            lines.push(from_item::<InvoiceLineRecord>(item)?);
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(lines),
        }
    }
}

/// The invoice Stripe knows as `stripe_invoice_id`.
pub async fn find_by_stripe_id(
    store: &dyn Store,
    stripe_invoice_id: &str,
) -> Result<Option<InvoiceRecord>, StoreError> {
    let page = store
        .query(&Query::partition(Index::Gsi3, stripe_invoice_partition(stripe_invoice_id)).limit(1))
        .await?;
    page.items.into_iter().next().map(from_item).transpose()
}

#[cfg(test)]
mod tests {
    use super::InvoiceStatus::*;
    use super::*;

    #[test]
    fn statuses_only_move_forward() {
        assert!(Draft.may_become(Open));
        assert!(Open.may_become(Paid));
        assert!(Failed.may_become(Paid));
        assert!(Open.may_become(Void));
        for terminal in [Paid, Void] {
            for to in [Draft, Open, Failed, Paid, Void] {
                assert!(!terminal.may_become(to), "{terminal:?} -> {to:?}");
            }
        }
        assert!(!Paid.may_become(Open), "a late finalized never reopens");
        assert!(!Failed.may_become(Open));
        assert_eq!(sources(Paid), [Open, Failed]);
    }

    fn sources(to: InvoiceStatus) -> Vec<InvoiceStatus> {
        InvoiceStatus::sources_of(to)
    }
}
