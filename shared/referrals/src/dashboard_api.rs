//! `GET /api/partner/dashboard`: the referrer's partner with its rank, its
//! referral and earnings figures (from the counters kept in the
//! transactions that refer, convert and pay) and its latest referrals.
//! Any partner's user gets an answer; `canAccessDashboard` says whether
//! the portal is theirs (an active referral partner), and when it is not
//! the figures are empty. Platform staff have no partner: 403.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_http::{ApiResult, AppState, Principal};
use pc_leads::lead::dollars;
use pc_leads::referral_commission::{ReferralCounters, counters};

use crate::portal_access::{callers_partner, may_use_portal, not_a_referral_partner};
use crate::referral_leads_api::referred_leads;
use crate::referral_views::{PortalPartnerView, ReferralLeadView};

/// Latest referrals on the dashboard.
const RECENT: usize = 5;

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DashboardStats {
    pub total_referrals: i64,
    pub converted_referrals: i64,
    /// Percent of referrals converted, two decimals.
    #[schema(value_type = f64)]
    pub conversion_rate: Value,
    #[schema(value_type = f64)]
    pub total_earnings: Value,
    #[schema(value_type = f64)]
    pub pending_earnings: Value,
    #[schema(value_type = f64)]
    pub paid_earnings: Value,
}

impl DashboardStats {
    pub fn of(c: &ReferralCounters) -> Self {
        // Hundredths of a percent, in integers, then shown like money.
        let rate = (c.converted_referrals * 10_000)
            .checked_div(c.total_referrals)
            .unwrap_or(0);
        Self {
            total_referrals: c.total_referrals,
            converted_referrals: c.converted_referrals,
            conversion_rate: dollars(rate),
            total_earnings: dollars(c.earned_cents),
            pending_earnings: dollars(c.pending_cents),
            paid_earnings: dollars(c.paid_cents),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DashboardView {
    pub partner: PortalPartnerView,
    pub stats: DashboardStats,
    pub recent_leads: Vec<ReferralLeadView>,
    pub can_access_dashboard: bool,
}

/// The caller's referral dashboard.
#[utoipa::path(get, path = "/api/partner/dashboard", tag = "referral portal",
    responses((status = 200, body = DashboardView), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn dashboard(
    State(ctx): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<DashboardView>> {
    let partner = callers_partner(&ctx, &principal)
        .await?
        .ok_or_else(not_a_referral_partner)?;
    if !may_use_portal(&partner) {
        return Ok(Json(DashboardView {
            partner: PortalPartnerView::of(&partner, 0),
            stats: DashboardStats::of(&ReferralCounters::default()),
            recent_leads: Vec::new(),
            can_access_dashboard: false,
        }));
    }
    let (totals, leads) = tokio::try_join!(
        async { Ok::<_, pc_http::ApiError>(counters(&*ctx.store, &partner.id).await?) },
        referred_leads(&ctx, &partner.id),
    )?;
    Ok(Json(DashboardView {
        partner: PortalPartnerView::of(&partner, totals.converted_referrals),
        stats: DashboardStats::of(&totals),
        recent_leads: leads
            .iter()
            .filter_map(ReferralLeadView::of)
            .take(RECENT)
            .collect(),
        can_access_dashboard: true,
    }))
}
