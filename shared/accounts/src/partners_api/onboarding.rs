//! Getting a partner going: how far it is through onboarding, and its
//! activation once its registration was verified.

use axum::Json;
use axum::extract::{Path, State};
use pc_platform::error_code::ErrorCode;

use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::store::{Condition, from_item};
use pc_platform::time::timestamp;

use crate::partner_views::{Onboarding, OnboardingSteps, PartnerView};
use crate::partners_store::{self, PartnerRecord, PartnerStatus};

use super::billing::partner_billing_hubspot;

/// How far the partner is through onboarding.
#[utoipa::path(get, path = "/v1/partners/{id}/onboarding", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = Onboarding), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn onboarding(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Onboarding>> {
    let (partner, billing, hubspot_connected) = partner_billing_hubspot(&ctx, &id).await?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    let steps = OnboardingSteps {
        email_verified: partner.status != PartnerStatus::PendingVerification,
        icp_configured: !partner.icp.is_empty(),
        hubspot_connected,
        billing_configured: billing.is_some(),
    };
    Ok(Json(Onboarding {
        percent: steps.percent(),
        steps,
    }))
}

/// Activates a partner whose registration was verified (or reactivates one).
#[utoipa::path(post, path = "/v1/partners/{id}/activate", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = PartnerView), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn activate_partner(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerView>> {
    let update = partners_store::profile_update(&id)
        .set("status", "active")
        .set("updatedAt", timestamp(ctx.clock.now()))
        .when(Condition::Exists.and(Condition::not_equals("status", "pending_verification")));
    match ctx.store.update(update).await {
        Ok(item) => Ok(Json(PartnerView::from(&from_item::<PartnerRecord>(item)?))),
        Err(e) if e.is_condition_failure() => {
            match partners_store::get_partner(&*ctx.store, &id).await? {
                None => Err(ApiError::not_found("partner")),
                Some(_) => Err(ApiError::conflict(
                    ErrorCode::NotVerified,
                    "the partner has not verified its email yet",
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}
