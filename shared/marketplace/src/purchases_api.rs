//! `POST /v1/marketplace/purchases`: the admin of the partner holding an
//! active reservation pays for its lead. A Stripe PaymentIntent is made
//! for the reserved price, keeping the platform's fee (20%, 15% for a
//! seller past 100 sales this calendar month) and transferring the rest to
//! the seller's connected account (the platform seller's sale is a plain
//! charge: no fee, no transfer, all of it the platform's revenue); the
//! buyer's browser confirms it with
//! the client secret. Stripe's idempotency key is the reservation id and
//! the purchase's id is the reservation's, so a double click or a retry
//! answers the same purchase and never makes a second intent.
//!
//! `GET /v1/marketplace/purchases?role=buyer|seller`: the caller's
//! partner's purchases, or its sales.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use pc_platform::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_accounts::platform_seller::{Payee, payee};
use pc_http::{
    ApiError, ApiResult, AppState, FieldError, ListQuery, ListResponse, ListSpec, Principal,
    ValidJson,
};
use pc_platform::payments::{NewPaymentIntent, PaymentError};
use pc_platform::store::{Guard, Transaction};

use crate::purchases_store::{
    PurchaseRecord, PurchaseStatus, Purchaser, Side, fee_for, get_purchase, purchase_item,
    purchases_of, retry_item, sales_in_month, sales_month,
};
use crate::reservations_store::{ReservationStatus, load_buyer_reservation, mark_purchasing_item};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurchaseBody {
    reservation_id: Option<String>,
    /// Stripe's payment method of the buyer (`pm_...`).
    payment_method_id: Option<String>,
}

/// A purchase as its buyer sees it right after paying.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseStarted {
    id: String,
    #[schema(value_type = String)]
    status: PurchaseStatus,
    payment_intent_id: String,
    client_secret: Option<String>,
}

impl PurchaseStarted {
    fn of(p: &PurchaseRecord) -> Self {
        Self {
            id: p.id.clone(),
            status: p.status,
            payment_intent_id: p.payment_intent_id.clone(),
            client_secret: p.client_secret.clone(),
        }
    }
}

/// A purchase in a list (no client secret).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseView {
    id: String,
    reservation_id: String,
    lead_id: String,
    buyer_id: String,
    seller_id: String,
    #[schema(value_type = String)]
    status: PurchaseStatus,
    price_cents: i64,
    fee_percent: i64,
    fee_cents: i64,
    payment_intent_id: String,
    /// The buyer's copy of the lead, once completed (the buyer's only).
    bought_lead_id: Option<String>,
    created_at: String,
    completed_at: Option<String>,
    /// Why the payment was refunded, once it was.
    refund_reason: Option<String>,
    refunded_at: Option<String>,
}

impl PurchaseView {
    pub(crate) fn of(p: &PurchaseRecord, side: Side) -> Self {
        Self {
            id: p.id.clone(),
            reservation_id: p.reservation_id.clone(),
            lead_id: p.lead_id.clone(),
            buyer_id: p.buyer_id.clone(),
            seller_id: p.seller_id.clone(),
            status: p.status,
            price_cents: p.price_cents,
            fee_percent: p.fee_percent,
            fee_cents: p.fee_cents,
            payment_intent_id: p.payment_intent_id.clone(),
            bought_lead_id: p.bought_lead_id.clone().filter(|_| side == Side::Buyer),
            created_at: pc_platform::time::timestamp(p.created_at),
            completed_at: p.completed_at.map(pc_platform::time::timestamp),
            refund_reason: p.refund_reason.clone(),
            refunded_at: p.refunded_at.map(pc_platform::time::timestamp),
        }
    }
}

fn required(value: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> String {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        errors.push(FieldError::new(field, "is required"));
    } else if text.len() > 255 {
        errors.push(FieldError::new(field, "must be at most 255 characters"));
    }
    text.to_owned()
}

/// The buying partner: a partner admin (staff buy nothing).
fn buyer_of(principal: &Principal) -> ApiResult<&str> {
    principal
        .partner_id
        .as_deref()
        .ok_or_else(|| ApiError::forbidden("only a partner's admins buy leads"))
}

fn payment_refused(e: PaymentError) -> ApiError {
    match e {
        PaymentError::Declined(m) => {
            ApiError::new(StatusCode::PAYMENT_REQUIRED, ErrorCode::PaymentDeclined, m)
        }
        PaymentError::Refused(m) => ApiError::conflict(ErrorCode::PaymentRefused, m),
        PaymentError::Unavailable(m) => ApiError::unavailable(m),
    }
}

/// Pays for a reserved lead (see the module doc).
#[utoipa::path(post, path = "/v1/marketplace/purchases", tag = "marketplace",
    request_body = PurchaseBody,
    responses((status = 201, body = PurchaseStarted),
        (status = 200, body = PurchaseStarted, description = "the reservation's purchase, already begun"),
        (status = 400), (status = 402, description = "`payment_declined`"), (status = 403), (status = 404),
        (status = 409, description = "`reservation_not_active`, `already_purchased`, `seller_cannot_be_paid` or `payment_refused`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn create_purchase(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<PurchaseBody>,
) -> ApiResult<(StatusCode, Json<PurchaseStarted>)> {
    let buyer = buyer_of(&principal)?;
    let mut errors = Vec::new();
    let reservation_id = required(body.reservation_id.as_deref(), "reservationId", &mut errors);
    let method = required(
        body.payment_method_id.as_deref(),
        "paymentMethodId",
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let reservation = load_buyer_reservation(&*ctx.store, buyer, &reservation_id).await?;
    if let Some(earlier) = get_purchase(&*ctx.store, &reservation.id).await? {
        return answer_earlier(&ctx, earlier).await;
    }
    let now = ctx.clock.now();
    if reservation.status != ReservationStatus::Active || reservation.expires_at <= now {
        return Err(ApiError::conflict(
            ErrorCode::ReservationNotActive,
            format!("the reservation is {}", reservation.status.as_str()),
        ));
    }
    let payee = payee(&*ctx.store, &reservation.seller_id)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::SellerCannotBePaid,
                "the seller's Stripe account cannot receive payments right now",
            )
        })?;
    // The platform seller's sale is a plain charge to the platform's own
    // account: the whole price is the platform's, nothing is transferred.
    let (fee_percent, fee_cents, seller_account) = match payee {
        Payee::Platform => (100, reservation.price_cents, String::new()),
        Payee::Connected(account) => {
            let sales =
                sales_in_month(&*ctx.store, &reservation.seller_id, &sales_month(now)).await?;
            let (percent, cents) = fee_for(reservation.price_cents, sales);
            (percent, cents, account.account_id)
        }
    };
    let transferred = !seller_account.is_empty();
    let intent = NewPaymentIntent {
        amount_cents: reservation.price_cents,
        customer_id: None,
        payment_method_id: Some(method),
        application_fee_cents: transferred.then_some(fee_cents),
        destination_account: transferred.then(|| seller_account.clone()),
        description: format!("Marketplace lead {}", reservation.lead_id),
        // The Stripe webhook worker routes the intent's events by these.
        metadata: [
            ("purchaseId", reservation.id.as_str()),
            ("reservationId", reservation.id.as_str()),
            ("leadId", reservation.lead_id.as_str()),
            ("buyerId", buyer),
            ("sellerId", reservation.seller_id.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    };
    let made = ctx
        .payments
        .create_payment_intent(&intent, &reservation.id)
        .await
        .map_err(payment_refused)?;
    let purchase = PurchaseRecord {
        id: reservation.id.clone(),
        reservation_id: reservation.id.clone(),
        lead_id: reservation.lead_id.clone(),
        buyer_id: buyer.to_owned(),
        seller_id: reservation.seller_id.clone(),
        purchaser: Purchaser {
            user_id: principal.user_id.clone(),
            email: principal.email.clone(),
            name: principal.name.clone(),
        },
        status: PurchaseStatus::Pending,
        price_cents: reservation.price_cents,
        fee_percent,
        fee_cents,
        payment_intent_id: made.id,
        client_secret: made.client_secret,
        seller_account_id: seller_account,
        bought_lead_id: None,
        copy_made: false,
        refund_id: None,
        refund_reason: None,
        refunded_at: None,
        created_at: now,
        completed_at: None,
        updated_at: now,
    };
    /// A purchase of the reservation exists.
    const PURCHASE: Guard = Guard::new("purchase");
    /// The reservation is no longer active.
    const RESERVATION: Guard = Guard::new("reservation");
    let mut writes = Transaction::new();
    writes.guarded(
        PURCHASE,
        pc_platform::store::Write::put_new(purchase_item(&purchase)?),
    );
    writes.guarded(RESERVATION, mark_purchasing_item(&reservation.id, now));
    match writes.commit(&*ctx.store).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(PurchaseStarted::of(&purchase)))),
        // A concurrent request of the same reservation recorded it first.
        Err(e) if e.failed(PURCHASE) => {
            let earlier = get_purchase(&*ctx.store, &reservation.id)
                .await?
                .ok_or_else(|| ApiError::unavailable("the purchase vanished; retry"))?;
            answer_earlier(&ctx, earlier).await
        }
        Err(e) if e.failed(RESERVATION) => {
            // Nobody will confirm the intent just made: cancel it.
            crate::reservation_end::cancel_intent(&ctx, &purchase).await;
            Err(ApiError::conflict(
                ErrorCode::ReservationNotActive,
                "the reservation expired or was cancelled meanwhile",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// A second request for a reservation's purchase: a pending one is
/// answered as it is; a failed one is confirmed again with the same
/// intent (the reservation holds the lead again meanwhile); a completed
/// one cannot be paid again.
async fn answer_earlier(
    ctx: &AppState,
    earlier: PurchaseRecord,
) -> ApiResult<(StatusCode, Json<PurchaseStarted>)> {
    match earlier.status {
        PurchaseStatus::Pending => Ok((StatusCode::OK, Json(PurchaseStarted::of(&earlier)))),
        PurchaseStatus::Completed => Err(ApiError::conflict(
            ErrorCode::AlreadyPurchased,
            "this reservation's lead is already paid for",
        )),
        PurchaseStatus::Cancelled | PurchaseStatus::Refunded => Err(ApiError::conflict(
            ErrorCode::ReservationNotActive,
            format!(
                "this reservation's purchase is {}; reserve the lead again",
                earlier.status.as_str()
            ),
        )),
        PurchaseStatus::Failed => {
            let now = ctx.clock.now();
            let writes = vec![
                retry_item(&earlier.id, now),
                mark_purchasing_item(&earlier.reservation_id, now),
            ];
            match ctx.store.transact(writes).await {
                Ok(()) => {}
                Err(e) if e.is_condition_failure() => {
                    return Err(ApiError::conflict(
                        ErrorCode::ReservationNotActive,
                        "the reservation is no longer active",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
            let again = PurchaseRecord {
                status: PurchaseStatus::Pending,
                ..earlier
            };
            Ok((StatusCode::OK, Json(PurchaseStarted::of(&again))))
        }
    }
}

/// The purchases list takes `role` besides the paging parameters.
const PURCHASES_LIST: ListSpec = ListSpec::paging_only(&["role"]);

/// `role=buyer` (the default) or `role=seller`.
fn side_of(query: &ListQuery) -> ApiResult<Side> {
    match query.extra.get("role").map(String::as_str) {
        None | Some("buyer") => Ok(Side::Buyer),
        Some("seller") => Ok(Side::Seller),
        Some(_) => Err(ApiError::invalid_field("role", "must be buyer or seller")),
    }
}

/// The caller's partner's purchases or sales, newest first.
#[utoipa::path(get, path = "/v1/marketplace/purchases", tag = "marketplace",
    params(("role" = Option<String>, Query, description = "`buyer` (default): what the partner bought; `seller`: what it sold"),
        ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query)),
    responses((status = 200, body = ListResponse<PurchaseView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_purchases(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<PurchaseView>>> {
    let partner = buyer_of(&principal)?;
    let query = ListQuery::parse(raw.as_deref(), &PURCHASES_LIST)?;
    let side = side_of(&query)?;
    let found = purchases_of(&*ctx.store, side, partner).await?;
    let views = found.iter().map(|p| PurchaseView::of(p, side)).collect();
    Ok(Json(query.page_of(views)))
}
