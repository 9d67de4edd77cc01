//! `PATCH /v1/billing/invoices/{id}/void`: finance cancels an invoice the
//! customer has not paid. Only an invoice that may still become void (open,
//! or failed) is voided; anything else is a 409 naming its status.
//!
//! Stripe is asked first (idempotency key `void:<invoiceId>`, so a retried
//! request voids once), then the local invoice moves to `Void` on condition
//! that it is still in a status that may become void. Stripe's
//! `invoice.voided` webhook may have moved it first, or a payment may have
//! landed meanwhile: then the invoice as it now stands is the answer. The
//! item also records `voidedBy` (the staff user) and `voidedAt`.

use axum::Json;
use axum::extract::{Path, State};
use pc_platform::error_code::ErrorCode;

use pc_accounts::partners_store::partner_names;
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::AppContext;
use pc_platform::payments::{PaymentError, StripeInvoiceStatus};
use pc_platform::store::{Condition, Update, from_item};
use pc_platform::time::timestamp;

use crate::BillingError;
use crate::invoice_views::InvoiceView;
use crate::invoices_store::{InvoiceRecord, InvoiceStatus, get_invoice, invoice_key};

/// 409 for an invoice that cannot be voided from `status`.
pub fn not_open(status: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::InvoiceNotOpen,
        format!("the invoice is {status}; only an open or failed invoice can be voided"),
    )
}

/// The condition that the stored invoice may still become void.
pub fn still_voidable() -> Condition {
    Condition::Or(
        InvoiceStatus::sources_of(InvoiceStatus::Void)
            .into_iter()
            .map(|s| Condition::equals("stripeStatus", s.as_str()))
            .collect(),
    )
}

/// Voids an open or failed invoice at Stripe and here; answers the invoice.
#[utoipa::path(patch, path = "/v1/billing/invoices/{id}/void", tag = "billing",
    params(("id" = String, Path, description = "invoice id")),
    responses((status = 200, body = InvoiceView), (status = 403), (status = 404),
        (status = 409, description = "`invoice_not_open`: the invoice is draft, paid or already void")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn void_invoice(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<InvoiceView>> {
    let invoice = get_invoice(&*ctx.store, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))?;
    if !invoice.stripe_status.may_become(InvoiceStatus::Void) {
        return Err(not_open(invoice.stripe_status.as_str()));
    }
    let Some(stripe_id) = invoice.stripe_invoice_id.clone() else {
        // Open means finalized at Stripe; without Stripe's id there is
        // nothing Stripe could void.
        return Err(ApiError::conflict(
            ErrorCode::InvoiceNotAtStripe,
            "the invoice has no Stripe invoice to void",
        ));
    };
    void_at_stripe(&ctx, &invoice, &stripe_id).await?;
    let now = ctx.clock.now();
    let update = Update::new(invoice_key(&invoice.id))
        .set("stripeStatus", InvoiceStatus::Void.as_str())
        .set("updatedAt", timestamp(now))
        .set("voidedAt", timestamp(now))
        .set("voidedBy", principal.user_id.clone())
        .when(still_voidable());
    let stored: InvoiceRecord = match ctx.store.update(update).await {
        Ok(item) => from_item(item)?,
        // A webhook (or another request) got there first: its state stands.
        Err(e) if e.is_condition_failure() => get_invoice(&*ctx.store, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("invoice"))?,
        Err(e) => return Err(e.into()),
    };
    Ok(Json(view(&ctx, &stored).await?))
}

/// Asks Stripe to void the invoice. When Stripe refuses, its own state
/// decides: already void is fine; anything else (paid meanwhile) is the
/// 409 naming Stripe's status.
async fn void_at_stripe(
    ctx: &AppContext,
    invoice: &InvoiceRecord,
    stripe_id: &str,
) -> ApiResult<()> {
    let key = format!("void:{}", invoice.id);
    match ctx.payments.void_invoice(stripe_id, &key).await {
        Ok(_) => Ok(()),
        Err(PaymentError::Refused(reason)) => {
            let at_stripe = ctx
                .payments
                .get_invoice(stripe_id)
                .await
                .map_err(BillingError::from)?;
            match at_stripe.status {
                StripeInvoiceStatus::Void => Ok(()),
                other => {
                    tracing::warn!(invoice = %invoice.id, %reason, "Stripe refused to void");
                    Err(not_open(&format!("{} at Stripe", other.as_str())))
                }
            }
        }
        Err(e) => Err(BillingError::from(e).into()),
    }
}

async fn view(ctx: &AppContext, invoice: &InvoiceRecord) -> ApiResult<InvoiceView> {
    let names = partner_names(&*ctx.store, [invoice.partner_id.clone()]).await?;
    let name = names.get(&invoice.partner_id).map_or("", String::as_str);
    Ok(InvoiceView::of(invoice, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::Item;

    fn stored(status: InvoiceStatus) -> Item {
        let mut item = Item::new();
        item.insert("stripeStatus".into(), status.as_str().into());
        item
    }

    #[test]
    fn only_open_and_failed_invoices_may_be_voided() {
        use InvoiceStatus::*;
        let condition = still_voidable();
        for (status, voidable) in [
            (Draft, false),
            (Open, true),
            (Failed, true),
            (Paid, false),
            (Void, false),
        ] {
            assert_eq!(
                condition.holds(Some(&stored(status))),
                voidable,
                "{status:?}"
            );
            assert_eq!(status.may_become(Void), voidable, "{status:?}");
        }
        assert!(!condition.holds(None), "a missing invoice is not voided");
    }

    #[test]
    fn the_refusal_names_the_status() {
        let e = not_open("Paid");
        assert_eq!(e.status.as_u16(), 409);
        assert_eq!(e.code, "invoice_not_open");
        assert!(e.message.contains("Paid"));
    }
}
