//! `POST /v1/marketplace/purchases/{id}/refund`: platform staff settle a
//! complaint about a completed purchase by refunding it in full.
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

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use pc_analytics::tally::{Sale, merged, sale_refunded};
use pc_api::audit::{self, AuditEvent};
use pc_api::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_leads::leads_store::{
    self,
    removal::{LeadRemoval, delete_notes},
};
use pc_platform::outbox::Outbox;
use pc_platform::payments::{PaymentError, Refund};
use pc_platform::store::{Guard, Key, MAX_TRANSACTION_WRITES, StoreError, Transaction, Write};

use crate::listing_store::{MarketplaceStatus, get_listing, remove_listing_write, unsell_write};
use crate::purchase_payments::{full_refund, refund_email};
use crate::purchases_api::PurchaseView;
use crate::purchases_store::{
    PurchaseRecord, PurchaseStatus, Side, get_purchase, purchase_key, refund_item, sales_month,
    uncount_sale,
};

/// Longest refund reason, in characters.
const REASON_MAX: usize = 1_000;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundBody {
    /// Why the purchase is refunded (the complaint settled): kept on the
    /// purchase, audited and told to the buyer.
    reason: Option<String>,
    /// `true`: the seller's lead goes back on the market at its price;
    /// `false` (default): it is delisted, and its seller may list it again.
    #[serde(default)]
    relist: bool,
}

fn reason_of(body: &RefundBody) -> ApiResult<String> {
    let reason = body.reason.as_deref().map(str::trim).unwrap_or_default();
    let problem = if reason.is_empty() {
        "is required"
    } else if reason.chars().count() > REASON_MAX {
        "must be at most 1,000 characters"
    } else {
        return Ok(reason.to_owned());
    };
    Err(ApiError::validation(vec![FieldError::new(
        "reason", problem,
    )]))
}

/// How many times a refund whose transaction lost a race (the buyer
/// changed its copy meanwhile) is read and tried again.
const REFUND_TRIES: usize = 3;

/// Refunds a completed purchase in full (see the module doc).
#[utoipa::path(post, path = "/v1/marketplace/purchases/{id}/refund", tag = "marketplace",
    params(("id" = String, Path, description = "purchase id")), request_body = RefundBody,
    responses((status = 200, body = PurchaseView, description = "the purchase, `REFUNDED`"),
        (status = 400), (status = 403, description = "not platform staff"), (status = 404),
        (status = 409, description = "`already_refunded`, `purchase_not_completed`, `copy_on_marketplace` or `refund_refused` (Stripe refused it)")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn refund_purchase(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<RefundBody>,
) -> ApiResult<Json<PurchaseView>> {
    let reason = reason_of(&body)?;
    for _ in 0..REFUND_TRIES {
        let purchase = completed_purchase(&ctx, &id).await?;
        let plan = plan(&ctx, &principal, &purchase, &reason, body.relist).await?;
        let refund = refund_at_stripe(&ctx, &purchase).await?;
        match commit(&ctx, plan, &refund).await? {
            Committed::Yes => {
                let refunded = get_purchase(&*ctx.store, &id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("purchase"))?;
                return Ok(Json(PurchaseView::of(&refunded, Side::Buyer)));
            }
            Committed::AlreadyRefunded => return Err(already_refunded()),
            Committed::Raced => continue,
        }
    }
    Err(ApiError::unavailable(
        "the purchase's lead kept changing; the payment is refunded at Stripe, retry to finish",
    ))
}

fn already_refunded() -> ApiError {
    ApiError::conflict("already_refunded", "this purchase is refunded already")
}

/// The purchase, which must be `COMPLETED`.
async fn completed_purchase(ctx: &AppState, id: &str) -> ApiResult<PurchaseRecord> {
    let purchase = get_purchase(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("purchase"))?;
    match purchase.status {
        PurchaseStatus::Completed => Ok(purchase),
        PurchaseStatus::Refunded => Err(already_refunded()),
        other => Err(ApiError::conflict(
            "purchase_not_completed",
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
) -> ApiResult<Plan> {
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
                return Err(ApiError::conflict(
                    "copy_on_marketplace",
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
        return Err(ApiError::internal(format!(
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

async fn refund_at_stripe(ctx: &AppState, purchase: &PurchaseRecord) -> ApiResult<Refund> {
    // The same key and parameters as a late payment's refund: Stripe
    // answers every retry and every concurrent request with one refund.
    let key = format!("refund:{}", purchase.id);
    ctx.payments
        .refund_payment(&full_refund(purchase, None), &key)
        .await
        .map_err(|e| match e {
            PaymentError::Unavailable(m) => ApiError::unavailable(m),
            PaymentError::Declined(m) | PaymentError::Refused(m) => {
                ApiError::conflict("refund_refused", format!("Stripe refused the refund: {m}"))
            }
        })
}

enum Committed {
    Yes,
    AlreadyRefunded,
    /// The copy or the listing changed since they were read.
    Raced,
}

async fn commit(ctx: &AppState, mut plan: Plan, refund: &Refund) -> ApiResult<Committed> {
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
