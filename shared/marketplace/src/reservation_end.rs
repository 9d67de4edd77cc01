//! Ending an open reservation unpaid — the buyer cancels it, or the expiry
//! job finds it past its time — whether or not a payment was begun: one
//! transaction moves the reservation to `cancelled` or `expired`, relists
//! the lead, gives the buyer's hold back, cancels the purchase begun
//! (`PENDING` or `FAILED`) and, for an expiry, puts the buyer's email in
//! the outbox. Once it committed, the purchase's payment intent is
//! canceled at Stripe, so the buyer's browser can no longer confirm it. If
//! that call fails, or the buyer confirmed in between, the payment that
//! succeeds anyway finds its purchase cancelled and is refunded in full
//! ([`crate::purchase_payments`]): an abandoned checkout never locks a
//! listing, and a late payment is never kept.

use chrono::{DateTime, Utc};

use pc_platform::AppContext;
use pc_platform::email::{EmailJob, add_to_outbox, data};
use pc_platform::outbox::Outbox;
use pc_platform::payments::PaymentError;

use crate::MarketError;
use crate::browse_index::{IndexChange, change_write};
use crate::listing_store::get_listing;
use crate::purchases_store::{PurchaseRecord, get_purchase};
use crate::reservations_store::{Ending, ReservationRecord, end_writes};

/// Ends `reservation` (as read) at `at`; `false` when something else moved
/// it first (a purchase completed, another ending, a payment begun).
pub async fn end_reservation(
    ctx: &AppContext,
    reservation: &ReservationRecord,
    ending: Ending,
    at: DateTime<Utc>,
) -> Result<bool, MarketError> {
    let listing = get_listing(&*ctx.store, &reservation.lead_id)
        .await?
        .ok_or(MarketError::LeadNotFound)?;
    let purchase = get_purchase(&*ctx.store, &reservation.id).await?;
    if purchase.as_ref().is_some_and(|p| !p.status.is_open()) {
        return Ok(false);
    }
    let mut writes = end_writes(reservation, &listing, purchase.as_ref(), ending, at);
    // Back on the market: back in every buyer's browse index.
    let change = IndexChange::listing(&reservation.lead_id);
    writes.push(change_write(ctx.ids.new_id(), &change, at)?);
    if ending == Ending::Expired {
        let mut outbox = Outbox::new(ctx.ids.new_id(), at);
        add_to_outbox(
            &mut outbox,
            &EmailJob::new(
                format!("reservation-expired:{}", reservation.id),
                reservation.reserved_by.email.clone(),
                &data::ReservationExpired {
                    name: reservation.reserved_by.name.clone(),
                    lead: data::LeadCompany {
                        company: listing.contact.company.clone().unwrap_or_default(),
                    },
                    link: "/marketplace".into(),
                },
            ),
        )?;
        outbox.add_to(&mut writes)?;
    }
    match ctx.store.transact(writes).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    if let Some(purchase) = &purchase {
        cancel_intent(ctx, purchase).await;
    }
    Ok(true)
}

/// Cancels the intent of a purchase whose reservation ended. A failure is
/// logged, not raised: the reservation has ended, and a payment that
/// still succeeds is refunded when its event arrives.
pub async fn cancel_intent(ctx: &AppContext, purchase: &PurchaseRecord) {
    let key = format!("cancel-intent:{}", purchase.id);
    match ctx
        .payments
        .cancel_payment_intent(&purchase.payment_intent_id, &key)
        .await
    {
        Ok(_) => {}
        // Succeeded (refunded on its event) or canceled already.
        Err(PaymentError::Refused(m)) => {
            tracing::info!(purchase = %purchase.id, reason = %m, "payment intent not canceled");
        }
        Err(e) => {
            tracing::warn!(purchase = %purchase.id, error = %e, "payment intent not canceled; a late payment will be refunded");
        }
    }
}
