//! One-off charges by finance staff: a manual invoice with one line,
//! planned and stored with its billing-queue message in one transaction,
//! then made at Stripe by the billing worker like a monthly invoice (draft,
//! line, finalize), so the request never waits on Stripe and nothing is
//! lost if Stripe is down.

use pc_accounts::billing_config::Month;
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{Guard, Transaction, Write};

use crate::BillingError;
use crate::customers::billing_config;
use crate::invoice_events::announce_invoice;
use crate::invoices_store::{InvoiceLineRecord, InvoiceRecord, InvoiceType, get_invoice};
use crate::monthly_invoices::{BillingMessage, month_of};

/// The one line of a manual invoice.
pub const CHARGE_LINE: &str = "charge";

/// What staff asked to charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManualCharge {
    /// The invoice's id: the client's idempotency key when it sent one.
    pub invoice_id: String,
    pub partner_id: String,
    pub amount_cents: i64,
    pub description: String,
    pub created_by: String,
}

/// Whether a charge may be stored (the same request again is answered
/// with the invoice it made).
#[derive(Debug)]
pub enum Planned {
    New(InvoiceRecord),
    Existing(InvoiceRecord),
}

/// Stores the manual invoice and its message; answers it. The same id
/// with another charge is a conflict.
pub async fn plan_manual_invoice(
    ctx: &AppContext,
    charge: &ManualCharge,
) -> Result<Planned, BillingError> {
    billing_config(ctx, &charge.partner_id).await?;
    let now = ctx.clock.now();
    let period: Month = month_of(now);
    let invoice = InvoiceRecord {
        description: charge.description.clone(),
        amount_cents: charge.amount_cents,
        line_count: 1,
        created_by: Some(charge.created_by.clone()),
        ..InvoiceRecord::new(
            &charge.invoice_id,
            &charge.partner_id,
            InvoiceType::Manual,
            period.as_str(),
            now,
        )
    };
    let line = InvoiceLineRecord {
        invoice_id: invoice.id.clone(),
        line_id: CHARGE_LINE.to_owned(),
        lead_id: None,
        description: charge.description.clone(),
        amount_cents: charge.amount_cents,
        billing_period: invoice.billing_period.clone(),
    };
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    outbox.push_message(
        &format!("invoice:{}", invoice.id),
        &BillingMessage::Invoice {
            invoice_id: invoice.id.clone(),
        },
    )?;
    announce_invoice(
        ctx,
        &mut outbox,
        &invoice,
        "created",
        invoice.stripe_status,
        None,
    )?;
    /// The invoice exists already.
    const INVOICE: Guard = Guard::new("invoice");
    let mut writes = vec![Write::put(line.item()?)];
    outbox.add_to(&mut writes)?;
    let mut transaction = Transaction::new();
    transaction.guarded(INVOICE, Write::put_new(invoice.item()?));
    transaction.extend(writes);
    match transaction.commit(&*ctx.store).await {
        Ok(()) => Ok(Planned::New(invoice)),
        Err(e) if e.failed(INVOICE) => {
            let existing = get_invoice(&*ctx.store, &invoice.id)
                .await?
                .ok_or_else(|| BillingError::InvoiceNotFound(invoice.id.clone()))?;
            let same = existing.invoice_type == InvoiceType::Manual
                && existing.partner_id == charge.partner_id
                && existing.amount_cents == charge.amount_cents
                && existing.description == charge.description;
            if same {
                Ok(Planned::Existing(existing))
            } else {
                Err(BillingError::KeyReused)
            }
        }
        Err(e) => Err(e.into()),
    }
}
