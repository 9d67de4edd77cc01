//! Making a planned invoice at Stripe, one stored step at a time: draft
//! (with the partner's customer), lines, finalize. Each step's result is
//! stored on condition that the invoice is still at the step it was read
//! at, so concurrent or repeated runs of the same invoice agree, and every
//! Stripe call carries a key derived from what it makes
//! (`invoice:<partnerId>:<period>`, `line:<invoiceId>:<lineId>`,
//! `finalize:<invoiceId>`), so a run that dies between a Stripe call and
//! its store write repeats the call and gets the same object back.

use chrono::Duration;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::payments::{
    Metadata, NewInvoice, NewInvoiceLine, PaymentError, StripeInvoice, StripeInvoiceStatus,
};
use pc_platform::store::{Condition, Update, Write};
use pc_platform::time::timestamp;

use crate::BillingError;
use crate::customers::{billing_config, ensure_customer};
use crate::invoice_events::announce_invoice;
use crate::invoices_store::{
    InvoiceLineRecord, InvoiceRecord, InvoiceStatus, InvoiceType, Stage, get_invoice, invoice_key,
    invoice_lines,
};
use crate::keys::stripe_invoice_partition;

/// Days a partner has to pay an invoice.
pub const DAYS_UNTIL_DUE: u32 = 30;

/// Lines added to a Stripe draft at once: an invoice of a busy month has
/// hundreds, and with the billing worker's ten invoices at once this keeps
/// under Stripe's 100 requests a second.
const LINES_IN_FLIGHT: usize = 4;

/// How long Stripe keeps an idempotency key, less a margin.
fn idempotency_window() -> Duration {
    Duration::hours(23)
}

/// Takes a planned invoice through Stripe until it is finalized; answers
/// it as stored at the end.
pub async fn make_invoice(
    ctx: &AppContext,
    invoice_id: &str,
) -> Result<InvoiceRecord, BillingError> {
    loop {
        let invoice = get_invoice(&*ctx.store, invoice_id)
            .await?
            .ok_or_else(|| BillingError::InvoiceNotFound(invoice_id.to_owned()))?;
        let step = match invoice.stage {
            Stage::Planning => return Err(BillingError::InvoiceNotFound(invoice_id.to_owned())),
            Stage::Planned => draft(ctx, &invoice).await?,
            Stage::StripeDrafted => add_lines(ctx, &invoice).await?,
            Stage::LinesAdded => finalize(ctx, &invoice).await?,
            Stage::Finalized => return Ok(invoice),
        };
        if let Some(update) = step {
            advance(ctx, &invoice, update).await?;
        }
    }
}

/// Stores a step's result if the invoice is still at the stage it was
/// read at; another run that got there first is as good.
async fn advance(
    ctx: &AppContext,
    invoice: &InvoiceRecord,
    update: Update,
) -> Result<(), BillingError> {
    let stage = serde_json::to_value(invoice.stage).unwrap_or(Value::Null);
    let update = update
        .set("updatedAt", timestamp(ctx.clock.now()))
        .when(Condition::equals("stage", stage));
    match ctx.store.update(update).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_condition_failure() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn stage_value(stage: Stage) -> Value {
    serde_json::to_value(stage).unwrap_or(Value::Null)
}

fn metadata(invoice: &InvoiceRecord) -> Metadata {
    let invoice_type = match invoice.invoice_type {
        InvoiceType::Monthly => "monthly",
        InvoiceType::Manual => "manual",
    };
    [
        ("invoiceId", invoice.id.as_str()),
        ("partnerId", invoice.partner_id.as_str()),
        ("billingPeriod", invoice.billing_period.as_str()),
        ("invoiceType", invoice_type),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The key of the Stripe draft: one per partner and month for a monthly
/// invoice, whatever invoice record asks.
fn draft_key(invoice: &InvoiceRecord) -> String {
    match invoice.invoice_type {
        InvoiceType::Monthly => {
            format!("invoice:{}:{}", invoice.partner_id, invoice.billing_period)
        }
        InvoiceType::Manual => format!("invoice:{}", invoice.id),
    }
}

async fn draft(ctx: &AppContext, invoice: &InvoiceRecord) -> Result<Option<Update>, BillingError> {
    let now = ctx.clock.now();
    match invoice.drafting_since {
        Some(since) if now - since > idempotency_window() => {
            return Err(BillingError::NeedsReview(invoice.id.clone()));
        }
        Some(_) => {}
        None => {
            let mark = Update::new(invoice_key(&invoice.id))
                .set("draftingSince", timestamp(now))
                .when(
                    Condition::equals("stage", stage_value(Stage::Planned))
                        .and(Condition::missing("draftingSince")),
                );
            match ctx.store.update(mark).await {
                Ok(_) => {}
                // Another run began first (or moved on): read again.
                Err(e) if e.is_condition_failure() => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }
    let config = billing_config(ctx, &invoice.partner_id).await?;
    let customer_id = ensure_customer(ctx, &config).await?;
    let request = NewInvoice {
        customer_id: customer_id.clone(),
        description: invoice.description.clone(),
        days_until_due: DAYS_UNTIL_DUE,
        metadata: metadata(invoice),
    };
    let made = ctx
        .payments
        .create_invoice(&request, &draft_key(invoice))
        .await?;
    Ok(Some(
        Update::new(invoice_key(&invoice.id))
            .set("stage", stage_value(Stage::StripeDrafted))
            .set("stripeInvoiceId", made.id.clone())
            .set("stripeCustomerId", customer_id)
            .set("gsi3pk", stripe_invoice_partition(&made.id))
            .set("gsi3sk", "INVOICE"),
    ))
}

async fn add_lines(
    ctx: &AppContext,
    invoice: &InvoiceRecord,
) -> Result<Option<Update>, BillingError> {
    let (Some(stripe_id), Some(customer_id)) =
        (&invoice.stripe_invoice_id, &invoice.stripe_customer_id)
    else {
        return Err(BillingError::InvoiceNotFound(invoice.id.clone()));
    };
    let lines = invoice_lines(&*ctx.store, &invoice.id).await?;
    // Owned futures (see `monthly_invoices::fan_out`).
    let calls: Vec<_> = stripe_items(&invoice.id, &lines)
        .into_iter()
        .map(|item| {
            let payments = ctx.payments.clone();
            let request = NewInvoiceLine {
                customer_id: customer_id.clone(),
                invoice_id: stripe_id.clone(),
                amount_cents: item.amount_cents,
                description: item.description,
                metadata: item.metadata,
            };
            async move { payments.add_invoice_line(&request, &item.key).await }
        })
        .collect();
    futures::stream::iter(calls)
        .buffer_unordered(LINES_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(Some(
        Update::new(invoice_key(&invoice.id)).set("stage", stage_value(Stage::LinesAdded)),
    ))
}

/// Most invoice items Stripe takes on one invoice.
pub const MAX_STRIPE_ITEMS: usize = 250;

/// Longest description Stripe takes on an invoice item.
const MAX_DESCRIPTION_CHARS: usize = 500;

/// One invoice item to add at Stripe, with its idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeItem {
    pub key: String,
    pub description: String,
    pub amount_cents: i64,
    pub metadata: Metadata,
}

fn clip(text: &str) -> String {
    text.chars().take(MAX_DESCRIPTION_CHARS).collect()
}

/// The Stripe items of an invoice's lines: one per line, or, past
/// Stripe's 250 items, the lines in order in at most 250 groups of
/// consecutive lines (the invoice's own lines keep one per lead).
pub fn stripe_items(invoice_id: &str, lines: &[InvoiceLineRecord]) -> Vec<StripeItem> {
    let base: Metadata = [("invoiceId".to_owned(), invoice_id.to_owned())].into();
    if lines.len() <= MAX_STRIPE_ITEMS {
        return lines
            .iter()
            .map(|line| {
                let mut metadata = base.clone();
                if let Some(lead) = &line.lead_id {
                    metadata.insert("leadId".into(), lead.clone());
                }
                StripeItem {
                    key: format!("line:{invoice_id}:{}", line.line_id),
                    description: clip(&line.description),
                    amount_cents: line.amount_cents,
                    metadata,
                }
            })
            .collect();
    }
    let size = lines.len().div_ceil(MAX_STRIPE_ITEMS);
    lines
        .chunks(size)
        .enumerate()
        .map(|(n, group)| {
            let first = n * size + 1;
            let last = first + group.len() - 1;
            StripeItem {
                key: format!("line:{invoice_id}:group-{n}"),
                description: clip(&format!(
                    "Lines {first}-{last} of {}: {}",
                    lines.len(),
                    group
                        .iter()
                        .map(|l| l.description.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                amount_cents: group.iter().map(|l| l.amount_cents).sum(),
                metadata: base.clone(),
            }
        })
        .collect()
}

async fn finalize(
    ctx: &AppContext,
    invoice: &InvoiceRecord,
) -> Result<Option<Update>, BillingError> {
    let Some(stripe_id) = &invoice.stripe_invoice_id else {
        return Err(BillingError::InvoiceNotFound(invoice.id.clone()));
    };
    let key = format!("finalize:{}", invoice.id);
    let finalized = match ctx.payments.finalize_invoice(stripe_id, &key).await {
        Ok(made) => made,
        // Finalized by an earlier try whose key Stripe no longer keeps.
        Err(PaymentError::Refused(_)) => match ctx.payments.get_invoice(stripe_id).await? {
            made if made.status != StripeInvoiceStatus::Draft => made,
            _ => {
                return Err(PaymentError::Refused(format!(
                    "Stripe would not finalize {stripe_id}"
                ))
                .into());
            }
        },
        Err(e) => return Err(e.into()),
    };
    record_finalized(ctx, invoice, &finalized).await?;
    Ok(None)
}

/// Stores what finalizing answered: the amount due, the customer's page,
/// and the status (open, or paid when credit covered it all) unless a
/// webhook already moved the invoice on.
async fn record_finalized(
    ctx: &AppContext,
    invoice: &InvoiceRecord,
    stripe: &StripeInvoice,
) -> Result<(), BillingError> {
    let now = ctx.clock.now();
    let mut update = Update::new(invoice_key(&invoice.id))
        .set("stage", stage_value(Stage::Finalized))
        .set("amountDueCents", stripe.amount_due_cents);
    if let Some(url) = &stripe.hosted_invoice_url {
        update = update.set("hostedInvoiceUrl", url.clone());
    }
    let status = match stripe.status {
        StripeInvoiceStatus::Paid => Some(InvoiceStatus::Paid),
        StripeInvoiceStatus::Open => Some(InvoiceStatus::Open),
        _ => None,
    };
    if let Some(status) = status {
        let mut with_status = update
            .clone()
            .set("stripeStatus", status.as_str())
            .set("updatedAt", timestamp(now))
            .when(
                Condition::equals("stage", stage_value(Stage::LinesAdded)).and(Condition::equals(
                    "stripeStatus",
                    InvoiceStatus::Draft.as_str(),
                )),
            );
        let mut writes = Vec::new();
        if status == InvoiceStatus::Paid {
            with_status = with_status.set("paymentDate", timestamp(now));
            // Credit covered it all: paid without a Stripe event to say so.
            let mut outbox = Outbox::new(ctx.ids.new_id(), now);
            announce_invoice(ctx, &mut outbox, invoice, "paid", status, None)?;
            outbox.add_to(&mut writes)?;
        }
        writes.insert(0, Write::Update(with_status));
        match ctx.store.transact(writes).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_condition_failure() => {}
            Err(e) => return Err(e.into()),
        }
    }
    advance(ctx, invoice, update).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> Vec<InvoiceLineRecord> {
        (0..n)
            .map(|i| InvoiceLineRecord {
                invoice_id: "inv".into(),
                line_id: format!("lead{i:04}"),
                lead_id: Some(format!("lead{i:04}")),
                description: format!("Qualified lead {i}"),
                amount_cents: 100 + i as i64,
                billing_period: "2024-05".into(),
            })
            .collect()
    }

    #[test]
    fn a_line_per_lead_up_to_stripes_limit_then_groups_of_consecutive_lines() {
        let few = stripe_items("inv", &lines(250));
        assert_eq!(few.len(), 250);
        assert_eq!(few[7].key, "line:inv:lead0007");
        assert_eq!(few[7].metadata["leadId"], "lead0007");
        let many = lines(1_001);
        let grouped = stripe_items("inv", &many);
        assert!(grouped.len() <= MAX_STRIPE_ITEMS, "{}", grouped.len());
        let total = |items: &[StripeItem]| items.iter().map(|i| i.amount_cents).sum::<i64>();
        assert_eq!(
            total(&grouped),
            many.iter().map(|l| l.amount_cents).sum::<i64>()
        );
        assert!(
            grouped[0]
                .description
                .starts_with("Lines 1-5 of 1001: Qualified lead 0;")
        );
        assert!(grouped.iter().all(|i| i.description.chars().count() <= 500));
        assert_eq!(
            grouped,
            stripe_items("inv", &many),
            "the same keys on every try"
        );
    }
}
