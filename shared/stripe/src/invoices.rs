//! Invoices: a draft sent to the customer to pay (`send_invoice`), holding
//! only the invoice items added to it, then finalized or voided by us.

use pc_platform::payments::{
    NewInvoice, NewInvoiceLine, PaymentError, StripeInvoice, StripeInvoiceStatus,
};
use stripe::StripeRequest;
use stripe_billing::invoice::{
    CreateInvoice, CreateInvoicePendingInvoiceItemsBehavior, FinalizeInvoiceInvoice,
    RetrieveInvoice, VoidInvoiceInvoice,
};
use stripe_billing::invoice_item::CreateInvoiceItem;
use stripe_billing::{Invoice, InvoiceCollectionMethod, InvoiceStatus};

use crate::failures::payment_error;
use crate::{USD, idempotent, port_metadata, stripe_metadata};

/// Creates the draft. Stripe's automatic advance stays off so the draft
/// waits for its lines (Stripe would finalize it an hour after creation),
/// and the customer's other pending invoice items stay out of it.
pub(crate) async fn create(
    client: &stripe::Client,
    invoice: &NewInvoice,
    key: &str,
) -> Result<StripeInvoice, PaymentError> {
    let created = CreateInvoice::new()
        .customer(invoice.customer_id.as_str())
        .description(invoice.description.as_str())
        .collection_method(InvoiceCollectionMethod::SendInvoice)
        .days_until_due(invoice.days_until_due)
        .auto_advance(false)
        .pending_invoice_items_behavior(CreateInvoicePendingInvoiceItemsBehavior::Exclude)
        .currency(USD)
        .metadata(stripe_metadata(&invoice.metadata))
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    stripe_invoice(created)
}

/// Adds one invoice item to the draft `line.invoice_id`.
pub(crate) async fn add_line(
    client: &stripe::Client,
    line: &NewInvoiceLine,
    key: &str,
) -> Result<String, PaymentError> {
    let item = CreateInvoiceItem::new()
        .customer(line.customer_id.as_str())
        .invoice(line.invoice_id.as_str())
        .amount(line.amount_cents)
        .currency(USD)
        .description(line.description.as_str())
        .metadata(stripe_metadata(&line.metadata))
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    Ok(item.id.to_string())
}

/// Finalizes the draft, turning Stripe's automatic collection on: Stripe
/// emails the open invoice and its reminders to the customer.
pub(crate) async fn finalize(
    client: &stripe::Client,
    invoice_id: &str,
    key: &str,
) -> Result<StripeInvoice, PaymentError> {
    let invoice = FinalizeInvoiceInvoice::new(invoice_id)
        .auto_advance(true)
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    stripe_invoice(invoice)
}

pub(crate) async fn void(
    client: &stripe::Client,
    invoice_id: &str,
    key: &str,
) -> Result<StripeInvoice, PaymentError> {
    let invoice = VoidInvoiceInvoice::new(invoice_id)
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    stripe_invoice(invoice)
}

pub(crate) async fn get(
    client: &stripe::Client,
    invoice_id: &str,
) -> Result<StripeInvoice, PaymentError> {
    let invoice = RetrieveInvoice::new(invoice_id)
        .send(client)
        .await
        .map_err(payment_error)?;
    stripe_invoice(invoice)
}

/// What the system keeps of Stripe's invoice. Stripe leaves `id` and
/// `status` out only of previews, which this adapter never asks for.
fn stripe_invoice(invoice: Invoice) -> Result<StripeInvoice, PaymentError> {
    let id = invoice
        .id
        .ok_or_else(|| unexpected("an invoice without id"))?
        .to_string();
    let status = match invoice.status {
        Some(InvoiceStatus::Draft) => StripeInvoiceStatus::Draft,
        Some(InvoiceStatus::Open) => StripeInvoiceStatus::Open,
        Some(InvoiceStatus::Paid) => StripeInvoiceStatus::Paid,
        Some(InvoiceStatus::Uncollectible) => StripeInvoiceStatus::Uncollectible,
        Some(InvoiceStatus::Void) => StripeInvoiceStatus::Void,
        Some(other) => {
            return Err(unexpected(&format!(
                "invoice {id} in status {:?}",
                other.as_str()
            )));
        }
        None => return Err(unexpected(&format!("invoice {id} without status"))),
    };
    let customer_id = invoice
        .customer
        .map(|c| c.id().to_string())
        .ok_or_else(|| unexpected(&format!("invoice {id} without customer")))?;
    Ok(StripeInvoice {
        id,
        customer_id,
        status,
        total_cents: invoice.total,
        amount_due_cents: invoice.amount_due,
        hosted_invoice_url: invoice.hosted_invoice_url,
        metadata: port_metadata(invoice.metadata.unwrap_or_default()),
    })
}

/// An answer this adapter cannot represent. Stripe's API version is fixed
/// by the client, so this means a change on Stripe's side: retrying later
/// is right, and the failure stays visible in the dead letters.
fn unexpected(what: &str) -> PaymentError {
    PaymentError::Unavailable(format!("unexpected answer from Stripe: {what}"))
}
