//! What the API shows of an invoice: the finance pages' fields, money as
//! dollars with the exact cents beside them, the partner's name on every
//! row, and the lines on the detail.

use serde::Serialize;
use serde_json::{Number, Value};
use utoipa::ToSchema;

use pc_platform::time::timestamp;

use crate::invoices_store::{InvoiceLineRecord, InvoiceRecord, InvoiceStatus, InvoiceType};
use crate::money::dollars;

/// The partner an invoice charges.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct PartnerRef {
    pub id: String,
    /// Empty when the partner no longer exists.
    pub name: String,
}

/// An invoice row (lists) and the head of its detail.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceView {
    pub id: String,
    pub partner_id: String,
    pub partner: PartnerRef,
    pub invoice_type: InvoiceType,
    /// `YYYY-MM`.
    pub billing_period: String,
    pub description: String,
    /// Dollars, two decimals at most.
    #[schema(value_type = f64)]
    pub amount: Number,
    pub amount_cents: i64,
    /// What the customer owes once credit is applied, in dollars (known
    /// once the invoice is finalized).
    #[schema(value_type = Option<f64>)]
    pub amount_due: Option<Number>,
    pub stripe_invoice_id: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub hosted_invoice_url: Option<String>,
    pub stripe_status: InvoiceStatus,
    pub payment_date: Option<String>,
    pub line_count: u32,
    pub created_at: String,
    pub updated_at: String,
}

impl InvoiceView {
    /// The view of `invoice`, charged to the partner named `partner_name`.
    pub fn of(invoice: &InvoiceRecord, partner_name: &str) -> Self {
        Self {
            id: invoice.id.clone(),
            partner_id: invoice.partner_id.clone(),
            partner: PartnerRef {
                id: invoice.partner_id.clone(),
                name: partner_name.to_owned(),
            },
            invoice_type: invoice.invoice_type,
            billing_period: invoice.billing_period.clone(),
            description: invoice.description.clone(),
            amount: dollars(invoice.amount_cents),
            amount_cents: invoice.amount_cents,
            amount_due: invoice.amount_due_cents.map(dollars),
            stripe_invoice_id: invoice.stripe_invoice_id.clone(),
            stripe_customer_id: invoice.stripe_customer_id.clone(),
            hosted_invoice_url: invoice.hosted_invoice_url.clone(),
            stripe_status: invoice.stripe_status,
            payment_date: invoice.payment_date.map(timestamp),
            line_count: invoice.line_count,
            created_at: timestamp(invoice.created_at),
            updated_at: timestamp(invoice.updated_at),
        }
    }

    /// The row the list filters and sorts (its columns are these fields).
    pub fn to_row(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineView {
    pub id: String,
    /// The charged lead; `null` for a manual charge's line.
    pub lead_id: Option<String>,
    pub description: String,
    #[schema(value_type = f64)]
    pub amount: Number,
    pub amount_cents: i64,
}

impl From<&InvoiceLineRecord> for InvoiceLineView {
    fn from(line: &InvoiceLineRecord) -> Self {
        Self {
            id: line.line_id.clone(),
            lead_id: line.lead_id.clone(),
            description: line.description.clone(),
            amount: dollars(line.amount_cents),
            amount_cents: line.amount_cents,
        }
    }
}

/// `GET /v1/billing/invoices/{id}`: the invoice with its lines.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDetailView {
    #[serde(flatten)]
    pub invoice: InvoiceView,
    pub lines: Vec<InvoiceLineView>,
}

impl InvoiceDetailView {
    /// The detail, lines in their stored order.
    pub fn of(invoice: &InvoiceRecord, lines: &[InvoiceLineRecord], partner_name: &str) -> Self {
        Self {
            invoice: InvoiceView::of(invoice, partner_name),
            lines: lines.iter().map(InvoiceLineView::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices_store::Stage;
    use chrono::DateTime;
    use serde_json::json;

    fn invoice() -> InvoiceRecord {
        let at = DateTime::parse_from_rfc3339("2024-06-01T08:00:00Z")
            .unwrap()
            .to_utc();
        InvoiceRecord {
            description: "Leads of May 2024".into(),
            amount_cents: 12_550,
            line_count: 2,
            stripe_customer_id: Some("cus_1".into()),
            stripe_invoice_id: Some("in_1".into()),
            hosted_invoice_url: Some("https://pay.example/in_1".into()),
            amount_due_cents: Some(2_550),
            stripe_status: InvoiceStatus::Open,
            stage: Stage::Finalized,
            ..InvoiceRecord::new("INV1", "P1", InvoiceType::Monthly, "2024-05", at)
        }
    }

    fn line(id: &str, lead: Option<&str>, cents: i64) -> InvoiceLineRecord {
        InvoiceLineRecord {
            invoice_id: "INV1".into(),
            line_id: id.into(),
            lead_id: lead.map(str::to_owned),
            description: format!("line {id}"),
            amount_cents: cents,
            billing_period: "2024-05".into(),
        }
    }

    #[test]
    fn a_row_shows_dollars_status_and_partner() {
        let row = InvoiceView::of(&invoice(), "Acme").to_row();
        assert_eq!(row["amount"], json!(125.5));
        assert_eq!(row["amountCents"], json!(12_550));
        assert_eq!(row["amountDue"], json!(25.5));
        assert_eq!(row["stripeStatus"], "Open");
        assert_eq!(row["invoiceType"], "monthly");
        assert_eq!(row["partner"], json!({"id": "P1", "name": "Acme"}));
        assert_eq!(row["paymentDate"], Value::Null);
        assert_eq!(row["createdAt"], "2024-06-01T08:00:00.000Z");
        assert!(row.get("lines").is_none(), "rows carry no lines");
        assert!(row.get("stage").is_none(), "the build stage stays inside");
    }

    #[test]
    fn the_detail_carries_its_lines() {
        let lines = [line("L1", Some("L1"), 10_000), line("charge", None, 2_550)];
        let body = serde_json::to_value(InvoiceDetailView::of(&invoice(), &lines, "Acme")).unwrap();
        assert_eq!(body["id"], "INV1");
        assert_eq!(body["lines"].as_array().unwrap().len(), 2);
        assert_eq!(
            body["lines"][1],
            json!({"id": "charge", "leadId": null, "description": "line charge",
                "amount": 25.5, "amountCents": 2_550})
        );
        assert_eq!(body["lines"][0]["amount"], json!(100.0));
    }
}
