//! Invoices: a draft sent to the customer to pay (`send_invoice`), holding
//! only the invoice items added to it, then finalized or voided by us.

use pc_platform::payments::{
    Metadata, NewInvoice, NewInvoiceLine, PaymentError, StripeInvoice, StripeInvoiceStatus,
};
use stripe_billing::InvoiceCollectionMethod;
use stripe_billing::invoice::{
    CreateInvoice, CreateInvoicePendingInvoiceItemsBehavior, FinalizeInvoiceInvoice,
    RetrieveInvoice, VoidInvoiceInvoice,
};
use stripe_billing::invoice_item::CreateInvoiceItem;
use stripe_client_core::StripeRequest;

use crate::client::StripeHttp;
use crate::{Created, USD, idempotent, stripe_metadata};

/// What the port keeps of Stripe's invoice; `customer` is never expanded,
/// so it is the customer's id.
#[derive(miniserde::Deserialize)]
struct Invoice {
    id: Option<String>,
    status: Option<String>,
    customer: Option<String>,
    total: i64,
    amount_due: i64,
    hosted_invoice_url: Option<String>,
    metadata: Option<Metadata>,
}

/// Creates the draft. Stripe's automatic advance stays off so the draft
/// waits for its lines (Stripe would finalize it an hour after creation),
/// and the customer's other pending invoice items stay out of it.
pub(crate) async fn create(
    client: &StripeHttp,
    invoice: &NewInvoice,
    key: &str,
) -> Result<StripeInvoice, PaymentError> {
    let created: Invoice = CreateInvoice::new()
        .customer(invoice.customer_id.as_str())
        .description(invoice.description.as_str())
        .collection_method(InvoiceCollectionMethod::SendInvoice)
        .days_until_due(invoice.days_until_due)
        .auto_advance(false)
        .pending_invoice_items_behavior(CreateInvoicePendingInvoiceItemsBehavior::Exclude)
        .currency(USD)
        .metadata(stripe_metadata(&invoice.metadata))
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    stripe_invoice(created)
}

/// Adds one invoice item to the draft `line.invoice_id`.
pub(crate) async fn add_line(
    client: &StripeHttp,
    line: &NewInvoiceLine,
    key: &str,
) -> Result<String, PaymentError> {
    let item: Created = CreateInvoiceItem::new()
        .customer(line.customer_id.as_str())
        .invoice(line.invoice_id.as_str())
        .amount(line.amount_cents)
        .currency(USD)
        .description(line.description.as_str())
        .metadata(stripe_metadata(&line.metadata))
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    Ok(item.id)
}

/// Finalizes the draft, turning Stripe's automatic collection on: Stripe
/// emails the open invoice and its reminders to the customer.
pub(crate) async fn finalize(
    client: &StripeHttp,
    invoice_id: &str,
    key: &str,
) -> Result<StripeInvoice, PaymentError> {
    let invoice: Invoice = FinalizeInvoiceInvoice::new(invoice_id)
        .auto_advance(true)
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    stripe_invoice(invoice)
}

pub(crate) async fn void(
    client: &StripeHttp,
    invoice_id: &str,
    key: &str,
) -> Result<StripeInvoice, PaymentError> {
    let invoice: Invoice = VoidInvoiceInvoice::new(invoice_id)
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    stripe_invoice(invoice)
}

pub(crate) async fn get(
    client: &StripeHttp,
    invoice_id: &str,
) -> Result<StripeInvoice, PaymentError> {
    let invoice: Invoice = RetrieveInvoice::new(invoice_id)
        .build()
        .customize()
        .send(client)
        .await?;
    stripe_invoice(invoice)
}

/// What the system keeps of Stripe's invoice. Stripe leaves `id` and
/// `status` out only of previews, which this adapter never asks for.
fn stripe_invoice(invoice: Invoice) -> Result<StripeInvoice, PaymentError> {
    let id = invoice
        .id
        .ok_or_else(|| unexpected("an invoice without id"))?;
    let status = match invoice.status.as_deref() {
        Some("draft") => StripeInvoiceStatus::Draft,
        Some("open") => StripeInvoiceStatus::Open,
        Some("paid") => StripeInvoiceStatus::Paid,
        Some("uncollectible") => StripeInvoiceStatus::Uncollectible,
        Some("void") => StripeInvoiceStatus::Void,
        Some(other) => {
            return Err(unexpected(&format!("invoice {id} in status {other:?}")));
        }
        None => return Err(unexpected(&format!("invoice {id} without status"))),
    };
    let customer_id = invoice
        .customer
        .ok_or_else(|| unexpected(&format!("invoice {id} without customer")))?;
    Ok(StripeInvoice {
        id,
        customer_id,
        status,
        total_cents: invoice.total,
        amount_due_cents: invoice.amount_due,
        hosted_invoice_url: invoice.hosted_invoice_url,
        metadata: invoice.metadata.unwrap_or_default(),
    })
}

/// An answer this adapter cannot represent. Stripe's API version is fixed
/// by the client, so this means a change on Stripe's side: retrying later
/// is right, and the failure stays visible in the dead letters.
fn unexpected(what: &str) -> PaymentError {
    PaymentError::Unavailable(format!("unexpected answer from Stripe: {what}"))
}
