//! `GET /api/partner/commissions` (the referrer's own) and
//! `GET /v1/referral-partners/{id}/commissions` (platform staff): the
//! totals from the referrer's counters, kept exact in the transactions
//! that earn and pay, and every commission, newest first.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_accounts::partners_store::{PartnerKind, get_partner};
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_leads::lead::dollars;
use pc_leads::referral_commission::{commissions, counters};

use crate::portal_access::referral_partner;
use crate::referral_views::CommissionView;

/// A referrer's earnings, in dollars.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommissionsView {
    #[schema(value_type = f64)]
    pub total_earned: Value,
    #[schema(value_type = f64)]
    pub pending_commission: Value,
    #[schema(value_type = f64)]
    pub paid_commission: Value,
    pub commissions: Vec<CommissionView>,
}

pub async fn commissions_of(ctx: &AppState, partner_id: &str) -> ApiResult<CommissionsView> {
    let totals = counters(&*ctx.store, partner_id).await?;
    let list = commissions(&*ctx.store, partner_id).await?;
    Ok(CommissionsView {
        total_earned: dollars(totals.earned_cents),
        pending_commission: dollars(totals.pending_cents),
        paid_commission: dollars(totals.paid_cents),
        commissions: list.iter().map(CommissionView::from).collect(),
    })
}

/// The caller's commissions and earnings.
#[utoipa::path(get, path = "/api/partner/commissions", tag = "referral portal",
    responses((status = 200, body = CommissionsView), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn my_commissions(
    State(ctx): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<CommissionsView>> {
    let partner = referral_partner(&ctx, &principal).await?;
    Ok(Json(commissions_of(&ctx, &partner.id).await?))
}

/// A referral partner's commissions (platform staff).
#[utoipa::path(get, path = "/v1/referral-partners/{id}/commissions", tag = "referral portal",
    params(("id" = String, Path, description = "referral partner id")),
    responses((status = 200, body = CommissionsView), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn partner_commissions(
    State(ctx): State<AppState>,
    _staff: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CommissionsView>> {
    get_partner(&*ctx.store, &id)
        .await?
        .filter(|p| p.kind == PartnerKind::Referral)
        .ok_or_else(|| ApiError::not_found("referral partner"))?;
    Ok(Json(commissions_of(&ctx, &id).await?))
}
