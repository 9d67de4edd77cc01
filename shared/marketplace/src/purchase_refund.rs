//! Refunding a completed purchase in full: how platform staff settle a
//! complaint (`POST /v1/marketplace/purchases/{id}/refund` is its HTTP face,
//! in `purchase_refund_api`).
//!
//! The payment is refunded at Stripe the way a late payment is
//! ([`full_refund`]: the seller's transfer reversed and the platform's fee
//! refunded where the payment had them; idempotency key
//! `refund:<purchaseId>`), then ONE transaction: the purchase `COMPLETED`
//! → `REFUNDED` with the reason, the seller's listing `sold` → `listed`
//! again (`relist`) or `delisted`, the buyer's copy of the lead removed
//! with every index, guard and counter it kept (only a copy the purchase
//! made: a buyer that already had the email keeps its own lead), `-1` on
//! the seller's sales of the month the sale counted in (its fee tier), the
//! sale taken back out of the seller's, buyer's and marketplace's
//! analytics, and the outbox with the buyer's email and the audit event.
//!
//! Every write there is conditional on what was read: the purchase on
//! being `COMPLETED`, so of concurrent refunds one commits and the others
//! answer 409 `already_refunded` (Stripe, given the same key, made one
//! refund for all of them); the copy on its version, so a buyer's edit in
//! between makes the refund read it again. A second refund of a refunded
//! purchase is a 409 `already_refunded`, never a second refund. A copy
//! the buyer itself put on the marketplace and someone reserved or bought
//! meanwhile is a 409 `copy_on_marketplace`, checked before any money
//! moves.

use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;
use serde_json::json;

use pc_analytics::tally::{Sale, merged, sale_refunded};
use pc_http::audit::{self, AuditEvent};
use pc_http::{AppState, Principal};
use pc_leads::leads_store::{
    self,
    removal::{LeadRemoval, delete_notes},
};
use pc_platform::outbox::Outbox;
use pc_platform::payments::{PaymentError, Refund};
use pc_platform::store::{
    Guard, Key, MAX_TRANSACTION_WRITES, StoreError, Transaction, Write, retry_on_conflict,
};

use crate::listing_store::{MarketplaceStatus, get_listing, remove_listing_write, unsell_write};
use crate::purchase_payments::{full_refund, refund_email};
use crate::purchases_store::{
    PurchaseRecord, PurchaseStatus, get_purchase, purchase_key, refund_item, sales_month,
    uncount_sale,
};

/// Refunds the completed purchase `id` (see the module doc) and answers it
/// as it now stands, `REFUNDED`.
pub async fn refund(
    ctx: &AppState,
    principal: &Principal,
    id: &str,
    reason: &str,
    relist: bool,
) -> Result<PurchaseRecord, Failure> {
    // A refund whose transaction lost a race (the buyer changed its copy
    // meanwhile) is read and tried again.
    let refunded = retry_on_conflict(|_| async {
        let purchase = completed_purchase(ctx, id).await?;
        let plan = plan(ctx, principal, &purchase, reason, relist).await?;
        let refund = refund_at_stripe(ctx, &purchase).await?;
        match commit(ctx, plan, &refund).await? {
            Committed::Yes => Ok(Some(())),
            Committed::AlreadyRefunded => Err(already_refunded()),
            Committed::Raced => Ok(None),
        }
    })
    .await?;
    if refunded.is_none() {
        return Err(Failure::unavailable(
            "the purchase's lead kept changing; the payment is refunded at Stripe, retry to finish",
        ));
    }
    get_purchase(&*ctx.store, id)
        .await?
        .ok_or(Failure::NotFound("purchase"))
}

fn already_refunded() -> Failure {
    Failure::conflict(
        ErrorCode::AlreadyRefunded,
        "this purchase is refunded already",
    )
}

/// The purchase, which must be `COMPLETED`.
async fn completed_purchase(ctx: &AppState, id: &str) -> Result<PurchaseRecord, Failure> {
    let purchase = get_purchase(&*ctx.store, id)
        .await?
        .ok_or(Failure::NotFound("purchase"))?;
    match purchase.status {
        PurchaseStatus::Completed => Ok(purchase),
        PurchaseStatus::Refunded => Err(already_refunded()),
        other => Err(Failure::conflict(
            ErrorCode::PurchaseNotCompleted,
            format!(
                "only a completed purchase can be refunded; this one is {}",
                other.as_str()
            ),
        )),
    }
}

/// The refund's transaction as read, before any money moves.
struct Plan {
    purchase: PurchaseRecord,
    reason: String,
    /// The purchase's own write (its Stripe refund id is filled in at
    /// commit, see [`PURCHASE`]) and the rest.
    writes: Vec<Write>,
    /// Notes of the copy that did not fit in the transaction.
    leftover_notes: Vec<Key>,
}

/// The purchase's own write: it was refunded meanwhile.
const PURCHASE: Guard = Guard::new("purchase");

async fn plan(
    ctx: &AppState,
    principal: &Principal,
    purchase: &PurchaseRecord,
    reason: &str,
    relist: bool,
) -> Result<Plan, Failure> {
    let now = ctx.clock.now();
    let completed_at = purchase.completed_at.unwrap_or(purchase.updated_at);
    let mut writes = vec![refund_item(
        &purchase.id,
        PurchaseStatus::Completed,
        "",
        reason,
        now,
    )];
    let seller_lead = leads_store::get(&*ctx.store, &purchase.lead_id).await?;
    if let Some(sold) = get_listing(&*ctx.store, &purchase.lead_id)
        .await?
        .filter(|l| l.marketplace_status == MarketplaceStatus::Sold)
        .filter(|l| l.reservation_id.as_deref() == Some(purchase.reservation_id.as_str()))
    {
        writes.push(unsell_write(
            &sold,
            &purchase.reservation_id,
            seller_lead.as_ref(),
            relist,
            now,
        )?);
    }
    writes.push(uncount_sale(
        &purchase.seller_id,
        &sales_month(completed_at),
    ));
    writes.extend(sale_refunded(&Sale {
        seller_id: &purchase.seller_id,
        buyer_id: &purchase.buyer_id,
        price_cents: purchase.price_cents,
        fee_cents: purchase.fee_cents,
        completed_at,
    }));
    let copy = withdrawn_copy(ctx, purchase).await?;
    if let Some(copy) = &copy
        && let Some(listing) = get_listing(&*ctx.store, &copy.id).await?
    {
        match listing.marketplace_status {
            MarketplaceStatus::Listed | MarketplaceStatus::Delisted => {
                writes.push(remove_listing_write(&listing));
            }
            state => {
                return Err(Failure::conflict(
                    ErrorCode::CopyOnMarketplace,
                    format!(
                        "the buyer's copy of the lead is {} on the marketplace; settle that sale first",
                        state.as_str()
                    ),
                ));
            }
        }
    }
    let event = AuditEvent::new(
        ctx,
        Some(principal),
        "refunded",
        "purchase",
        &purchase.id,
        Some(&purchase.buyer_id),
        json!({"status": purchase.status.as_str(), "boughtLeadId": purchase.bought_lead_id}),
        json!({
            "status": PurchaseStatus::Refunded.as_str(), "reason": reason, "relisted": relist,
            "priceCents": purchase.price_cents, "sellerId": purchase.seller_id,
            "copyWithdrawn": copy.is_some(),
        }),
    );
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    audit::add_to_outbox(&mut outbox, &event)?;
    refund_email(ctx, &mut outbox, purchase, reason).await?;
    outbox.add_to(&mut writes)?;
    // Last, so its notes fill what room is left; merging the counters of
    // one item (the buyer's month counts both the copy and the purchase)
    // only ever shortens the list.
    let leftover_notes = match &copy {
        Some(copy) => LeadRemoval::of(&*ctx.store, copy)
            .await?
            .append_to(&mut writes),
        None => Vec::new(),
    };
    let writes = merged(writes);
    if writes.len() > MAX_TRANSACTION_WRITES {
        return Err(Failure::internal(format!(
            "a refund of {} writes is over the transaction limit",
            writes.len()
        )));
    }
    Ok(Plan {
        purchase: purchase.clone(),
        reason: reason.to_owned(),
        writes,
        leftover_notes,
    })
}

/// The buyer's copy the purchase made, if it is still there.
async fn withdrawn_copy(
    ctx: &AppState,
    purchase: &PurchaseRecord,
) -> Result<Option<pc_leads::lead::LeadRecord>, StoreError> {
    match (&purchase.bought_lead_id, purchase.copy_made) {
        (Some(id), true) => Ok(leads_store::get(&*ctx.store, id)
            .await?
            .filter(|l| l.partner_id == purchase.buyer_id)),
        _ => Ok(None),
    }
}

async fn refund_at_stripe(ctx: &AppState, purchase: &PurchaseRecord) -> Result<Refund, Failure> {
    // The same key and parameters as a late payment's refund: Stripe
    // answers every retry and every concurrent request with one refund.
    let key = format!("refund:{}", purchase.id);
    ctx.payments
        .refund_payment(&full_refund(purchase, None), &key)
        .await
        .map_err(|e| match e {
            PaymentError::Unavailable(m) => Failure::Unavailable(m),
            PaymentError::Declined(m) | PaymentError::Refused(m) => Failure::conflict(
                ErrorCode::RefundRefused,
                format!("Stripe refused the refund: {m}"),
            ),
        })
}

enum Committed {
    Yes,
    AlreadyRefunded,
    /// The copy or the listing changed since they were read.
    Raced,
}

async fn commit(ctx: &AppState, mut plan: Plan, refund: &Refund) -> Result<Committed, Failure> {
    let own = Some(purchase_key(&plan.purchase.id));
    let mut writes = Transaction::new();
    for write in std::mem::take(&mut plan.writes) {
        if write.key() == own {
            let refunded = refund_item(
                &plan.purchase.id,
                PurchaseStatus::Completed,
                &refund.id,
                &plan.reason,
                ctx.clock.now(),
            );
            writes.guarded(PURCHASE, refunded);
        } else {
            writes.push(write);
        }
    }
    match writes.commit(&*ctx.store).await {
        Ok(()) => {}
        Err(e) if e.failed(PURCHASE) => return Ok(Committed::AlreadyRefunded),
        Err(e) if e.lost_race() => {
            tracing::info!(purchase = %plan.purchase.id, error = %e, "refund raced a change; reading again");
            return Ok(Committed::Raced);
        }
        Err(e) => return Err(e.into()),
    }
    if let Err(e) = delete_notes(&*ctx.store, plan.leftover_notes).await {
        // The copy is gone; its leftover notes are unreachable.
        tracing::warn!(purchase = %plan.purchase.id, error = %e, "notes of a withdrawn copy left behind");
    }
    Ok(Committed::Yes)
}
