//! `POST /v1/billing/manual-charge`: finance charges a partner once,
//! outside its monthly invoice. The request stores a manual invoice with
//! its one line and the billing-queue message that makes it at Stripe, in
//! one transaction, and answers 202 with the invoice (`Draft`); the
//! billing worker drafts, adds the line and finalizes it like a monthly
//! invoice, and Stripe's webhooks move it on. With an idempotency key the
//! invoice's id is the key, so a retried request answers the first
//! invoice; the same key with a different charge is a 409.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use pc_accounts::partners_store::get_partner;
use pc_http::{ApiError, ApiResult, AppState, Principal, ValidJson};

use crate::finance_request::{FinanceBody, idempotency_key, parse_request};
use crate::invoice_views::InvoiceView;
use crate::manual_charges::{ManualCharge, Planned, plan_manual_invoice};

/// Charges a partner once; answers the manual invoice being made.
#[utoipa::path(post, path = "/v1/billing/manual-charge", tag = "billing", request_body = FinanceBody,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "the same key on a retry answers the first invoice instead of making a second")),
    responses((status = 202, body = InvoiceView, description = "the manual invoice, made at Stripe by the billing worker"),
        (status = 400), (status = 403),
        (status = 409, description = "`billing_not_configured` or `idempotency_key_reused`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn manual_charge(
    State(ctx): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ValidJson(body): ValidJson<FinanceBody>,
) -> ApiResult<(StatusCode, Json<InvoiceView>)> {
    let request = parse_request(&body, idempotency_key(&headers)?).map_err(ApiError::validation)?;
    let partner = get_partner(&*ctx.store, &request.partner_id)
        .await?
        .ok_or_else(|| ApiError::invalid_field("partnerId", "no such partner"))?;
    let charge = ManualCharge {
        invoice_id: request.request_id.unwrap_or_else(|| ctx.ids.new_id()),
        partner_id: partner.id.clone(),
        amount_cents: request.amount_cents,
        description: request.description,
        created_by: principal.user_id,
    };
    let invoice = match plan_manual_invoice(&ctx, &charge).await? {
        Planned::New(invoice) | Planned::Existing(invoice) => invoice,
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(InvoiceView::of(&invoice, &partner.name)),
    ))
}
