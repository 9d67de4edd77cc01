//! `POST /v1/billing/add-credit`: finance credits a partner's Stripe
//! customer balance (its next invoices use it up) and records the credit.
//!
//! The whole body is checked before anything is written or sent. The
//! credit's id is the request's `Idempotency-Key` header (or `requestId`
//! in the body) when given, else a new id: Stripe's call carries
//! `credit:<id>` as its idempotency key and the record is created on
//! condition that the id is free, so a client retrying the same request
//! gets the first credit back, never a second one. The same key with a
//! different partner, amount or description is a 409.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pc_platform::error_code::ErrorCode;

use pc_accounts::partners_store::{PartnerRecord, get_partner};
use pc_http::{ApiError, ApiResult, AppState, Principal, ValidJson};
use pc_platform::payments::NewCredit;
use pc_platform::store::Condition;

use crate::credits_store::{CreditRecord, CreditView, get_credit};
use crate::customers::{billing_config, ensure_customer};
use crate::finance_request::{FinanceBody, FinanceRequest, idempotency_key, parse_request};

/// Credits the partner's Stripe balance and records it; answers the credit.
#[utoipa::path(post, path = "/v1/billing/add-credit", tag = "billing", request_body = FinanceBody,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "the same key on a retry answers the first credit instead of making a second")),
    responses((status = 201, body = CreditView), (status = 400), (status = 403),
        (status = 409, description = "`billing_not_configured`, `idempotency_key_reused` or `payment_refused`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn add_credit(
    State(ctx): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ValidJson(body): ValidJson<FinanceBody>,
) -> ApiResult<(StatusCode, Json<CreditView>)> {
    let header_key = idempotency_key(&headers)?;
    let request = parse_request(&body, header_key).map_err(ApiError::validation)?;
    let partner = get_partner(&*ctx.store, &request.partner_id)
        .await?
        .ok_or_else(|| ApiError::invalid_field("partnerId", "no such partner"))?;
    if let Some(id) = &request.request_id
        && let Some(first) = get_credit(&*ctx.store, id).await?
    {
        return replay(&first, &request, &partner);
    }
    let config = billing_config(&ctx, &partner.id).await?;
    let customer_id = ensure_customer(&ctx, &config).await?;
    let id = request
        .request_id
        .clone()
        .unwrap_or_else(|| ctx.ids.new_id());
    let credit = NewCredit {
        customer_id: customer_id.clone(),
        amount_cents: request.amount_cents,
        description: request.description.clone(),
        metadata: [
            ("partnerId".to_owned(), partner.id.clone()),
            ("creditId".to_owned(), id.clone()),
        ]
        .into(),
    };
    let transaction_id = ctx
        .payments
        .credit_balance(&credit, &format!("credit:{id}"))
        .await
        .map_err(crate::BillingError::from)?;
    let record = CreditRecord {
        id: id.clone(),
        partner_id: partner.id.clone(),
        amount_cents: request.amount_cents,
        description: request.description.clone(),
        stripe_customer_id: customer_id,
        stripe_balance_transaction_id: transaction_id,
        created_by: principal.user_id.clone(),
        created_at: ctx.clock.now(),
    };
    match ctx
        .store
        .put(record.item()?, Some(Condition::NotExists))
        .await
    {
        Ok(()) => Ok((
            StatusCode::CREATED,
            Json(CreditView::of(&record, &partner.name)),
        )),
        // The same request, retried concurrently, recorded it first.
        Err(e) if e.is_condition_failure() => match get_credit(&*ctx.store, &id).await? {
            Some(first) => replay(&first, &request, &partner),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// The answer to a retry: the first credit, or 409 when the id was reused
/// for a different credit.
fn replay(
    first: &CreditRecord,
    request: &FinanceRequest,
    partner: &PartnerRecord,
) -> ApiResult<(StatusCode, Json<CreditView>)> {
    if first.answers(
        &request.partner_id,
        request.amount_cents,
        &request.description,
    ) {
        Ok((
            StatusCode::CREATED,
            Json(CreditView::of(first, &partner.name)),
        ))
    } else {
        Err(ApiError::conflict(
            ErrorCode::IdempotencyKeyReused,
            "this idempotency key was used for a different credit",
        ))
    }
}
