//! `GET /v1/analytics/partner/{id}` and `GET /v1/analytics/marketplace`:
//! each reads its month range's aggregates in one query (the partner's
//! report also reads the partner, for its 404), so an answer costs the
//! same few round trips for ten leads or a million.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};

use pc_http::identity::partner_key;
use pc_http::{ApiError, ApiResult, AppState, Principal};

use crate::month_range::MonthRange;
use crate::reports::{
    MarketplaceAnalytics, PartnerAnalytics, marketplace_analytics, partner_analytics,
};

/// A partner's leads by deal status per month (leads count in the month
/// they were created, in the status they have now), its conversion rate
/// (of the leads created in the range, the share now `won`), its
/// marketplace sales and purchases (in the month each completed, amounts
/// in cents) and its revenue: what its sales earned it, the sale amounts
/// less the platform fee. Partner users see their own partner only
/// (another partner is a 404); platform staff see any.
#[utoipa::path(get, path = "/v1/analytics/partner/{id}", tag = "analytics",
    params(("id" = String, Path, description = "partner id"),
        ("from" = Option<String>, Query, description = "first month, YYYY-MM (default: 11 months before `to`)"),
        ("to" = Option<String>, Query, description = "last month, YYYY-MM (default: this month); at most 24 months from `from`")),
    responses((status = 200, body = PartnerAnalytics),
        (status = 400, description = "`validation_failed`: `from` or `to` not YYYY-MM, `to` before `from`, or more than 24 months"),
        (status = 401), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_partner_analytics(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<PartnerAnalytics>> {
    principal.ensure_sees_partner(Some(&partner_id), "partner")?;
    let range = MonthRange::from_query(&params, ctx.clock.now())?;
    if ctx.store.get(&partner_key(&partner_id)).await?.is_none() {
        return Err(ApiError::not_found("partner"));
    }
    Ok(Json(
        partner_analytics(&*ctx.store, &partner_id, &range).await?,
    ))
}

/// The marketplace per month and over the range (owners only): completed
/// sales and their volume in cents, the platform's fee revenue, active
/// partners (with a lead created, a sale or a purchase; a partner counts
/// once in the totals however many months it was active) and the match
/// rate (of the leads newly listed, the share that matched at least one
/// partner's ICP well enough to be announced to it).
#[utoipa::path(get, path = "/v1/analytics/marketplace", tag = "analytics",
    params(("from" = Option<String>, Query, description = "first month, YYYY-MM (default: 11 months before `to`)"),
        ("to" = Option<String>, Query, description = "last month, YYYY-MM (default: this month); at most 24 months from `from`")),
    responses((status = 200, body = MarketplaceAnalytics),
        (status = 400, description = "`validation_failed`: `from` or `to` not YYYY-MM, `to` before `from`, or more than 24 months"),
        (status = 401), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_marketplace_analytics(
    State(ctx): State<AppState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<MarketplaceAnalytics>> {
    let range = MonthRange::from_query(&params, ctx.clock.now())?;
    Ok(Json(marketplace_analytics(&*ctx.store, &range).await?))
}
