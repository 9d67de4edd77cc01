//! Development-only routes of the fake Stripe, never deployed: act as the
//! customer (pay an invoice, fail its payment, confirm a payment intent or
//! have it declined) or as a seller on Stripe's onboarding form — each
//! sends its signed webhook event to the Stripe webhook function —
//! read every event sent with its body and `Stripe-Signature` header (to
//! replay it verbatim), and inject faults or latency for crash tests and
//! benchmarks.

use pc_platform::error_code::ErrorCode;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_accounts::stripe_connect::connect_state;
use pc_http::{ApiError, ApiResult, AppState, ListResponse, ValidJson};
use pc_platform::payments::PaymentError;
use pc_platform::payments::fake::{FakeStripe, FaultTiming, Operation, SentEvent};

fn fake(ctx: &AppState) -> ApiResult<&FakeStripe> {
    ctx.payments.fake().ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::StripeNotFake,
            "this server's payments are not the fake Stripe",
        )
    })
}

/// Stripe's refusals as Stripe answers them: unknown objects 404, the
/// rest (wrong state) 409.
fn refused(e: PaymentError) -> ApiError {
    match e {
        PaymentError::Refused(message) if message.starts_with("No such") => {
            ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
        }
        PaymentError::Refused(message) | PaymentError::Declined(message) => {
            ApiError::conflict(ErrorCode::StripeRefused, message)
        }
        PaymentError::Unavailable(message) => ApiError::unavailable(message),
    }
}

async fn object(fake: &FakeStripe, id: &str) -> ApiResult<Json<Value>> {
    let object = fake.object(id).await.map_err(refused)?;
    Ok(Json(object.unwrap_or(Value::Null)))
}

/// The customer pays an open invoice: it becomes `paid` and
/// `invoice.paid` is sent. Answers the invoice as Stripe shows it.
#[utoipa::path(post, path = "/dev/stripe/invoices/{id}/pay", tag = "dev",
    params(("id" = String, Path, description = "Stripe's invoice id (in_...)")),
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn pay_invoice(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let fake = fake(&ctx)?;
    fake.pay_invoice(&id).await.map_err(refused)?;
    object(fake, &id).await
}

/// A payment attempt of an open invoice fails: it stays open and
/// `invoice.payment_failed` is sent.
#[utoipa::path(post, path = "/dev/stripe/invoices/{id}/fail", tag = "dev",
    params(("id" = String, Path, description = "Stripe's invoice id (in_...)")),
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn fail_invoice(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let fake = fake(&ctx)?;
    fake.fail_invoice(&id).await.map_err(refused)?;
    object(fake, &id).await
}

/// The buyer confirms a payment intent: it succeeds and
/// `payment_intent.succeeded` is sent.
#[utoipa::path(post, path = "/dev/stripe/payment-intents/{id}/succeed", tag = "dev",
    params(("id" = String, Path, description = "Stripe's payment intent id (pi_...)")),
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn succeed_payment_intent(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let fake = fake(&ctx)?;
    fake.succeed_payment_intent(&id).await.map_err(refused)?;
    object(fake, &id).await
}

/// The buyer's confirmation of a payment intent is declined: it goes back
/// to `requires_payment_method` and `payment_intent.payment_failed` is sent.
#[utoipa::path(post, path = "/dev/stripe/payment-intents/{id}/fail", tag = "dev",
    params(("id" = String, Path, description = "Stripe's payment intent id (pi_...)")),
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn fail_payment_intent(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let fake = fake(&ctx)?;
    fake.fail_payment_intent(&id).await.map_err(refused)?;
    object(fake, &id).await
}

/// The partner's seller finishes Stripe's onboarding form of its connected
/// account: charges and payouts are enabled and `account.updated` is sent.
/// Answers the account as Stripe shows it.
#[utoipa::path(post, path = "/dev/stripe/connect/{partnerId}/complete", tag = "dev",
    params(("partnerId" = String, Path, description = "the partner that began connecting")),
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn complete_connect_onboarding(
    State(ctx): State<AppState>,
    Path(partner_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let fake = fake(&ctx)?;
    let state = connect_state(&*ctx.store, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Stripe Connect account of the partner"))?;
    fake.complete_onboarding(&state.account_id)
        .await
        .map_err(refused)?;
    object(fake, &state.account_id).await
}

/// Every event sent, oldest first, with its exact body and last signature.
#[utoipa::path(get, path = "/dev/stripe/events", tag = "dev", responses((status = 200)))]
pub async fn events(State(ctx): State<AppState>) -> ApiResult<Json<ListResponse<SentEvent>>> {
    let events = fake(&ctx)?.sent_events().await.map_err(refused)?;
    Ok(Json(ListResponse::all(events)))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct FaultBody {
    /// `create_customer`, `create_invoice`, `add_invoice_line`,
    /// `finalize_invoice`, `void_invoice`, `get_invoice`,
    /// `credit_balance`, `create_payment_intent`, `create_connected_account`,
    /// `create_account_link` or `get_connected_account`.
    #[schema(value_type = String)]
    operation: Operation,
    /// `before`: nothing applied; `after`: applied, then the caller fails.
    #[schema(value_type = String)]
    when: FaultTiming,
}

/// Makes the next call of `operation` fail with "unavailable", before or
/// after it applies.
#[utoipa::path(post, path = "/dev/stripe/faults", tag = "dev", request_body = FaultBody,
    responses((status = 200, body = FaultBody), (status = 400)))]
pub async fn inject_fault(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<FaultBody>,
) -> ApiResult<Json<FaultBody>> {
    fake(&ctx)?.inject_fault(body.operation, body.when);
    Ok(Json(body))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct LatencyBody {
    /// Added to every call, 0 to 10,000 ms.
    millis: u64,
}

/// Adds a fixed latency to every call of the fake Stripe.
#[utoipa::path(put, path = "/dev/stripe/latency", tag = "dev", request_body = LatencyBody,
    responses((status = 200, body = LatencyBody), (status = 400)))]
pub async fn set_latency(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<LatencyBody>,
) -> ApiResult<Json<LatencyBody>> {
    if body.millis > 10_000 {
        return Err(ApiError::invalid_field("millis", "must be 0 to 10000"));
    }
    fake(&ctx)?.set_latency(Duration::from_millis(body.millis));
    Ok(Json(body))
}
