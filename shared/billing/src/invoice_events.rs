//! The audit events of an invoice's life that its partner hears about:
//! created, paid, payment failed. Each goes into the outbox of the change
//! it describes, on the `events` queue; the `events` worker stores it once
//! and records the partner's activity and webhook event with it. Ids
//! derive from the invoice and the transition (and for Stripe's events,
//! Stripe's event id), so a retried change announces once.

use serde_json::json;

use pc_http::audit::{self, AuditEvent};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::StoreError;

use crate::invoices_store::{InvoiceRecord, InvoiceStatus};

/// Adds the audit event of `invoice` reaching `action` (`created`, `paid`,
/// `payment_failed`) to `outbox`; `source` names what caused it (a Stripe
/// event id), when the same transition may happen more than once.
pub fn announce_invoice(
    ctx: &AppContext,
    outbox: &mut Outbox,
    invoice: &InvoiceRecord,
    action: &str,
    status: InvoiceStatus,
    source: Option<&str>,
) -> Result<(), StoreError> {
    let mut event = AuditEvent::new(
        ctx,
        None,
        action,
        "invoice",
        &invoice.id,
        Some(&invoice.partner_id),
        json!({"status": invoice.stripe_status.as_str()}),
        json!({
            "status": status.as_str(),
            "billingPeriod": invoice.billing_period,
            "description": invoice.description,
            "amountCents": invoice.amount_cents,
            "amountDueCents": invoice.amount_due_cents,
            "hostedInvoiceUrl": invoice.hosted_invoice_url,
        }),
    );
    event.id = match source {
        Some(source) => format!("invoice:{}:{action}:{source}", invoice.id),
        None => format!("invoice:{}:{action}", invoice.id),
    };
    audit::add_to_outbox(outbox, &event)
}
