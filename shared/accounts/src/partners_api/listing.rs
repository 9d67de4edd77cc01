//! Reading partners: the list (with the counters on every row, one
//! query), one partner by id or slug, and its counters.

use axum::Json;
use axum::extract::{Path, RawQuery, State};

use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{ApiError, ApiResult, AppState, ListQuery, ListResponse, Principal};
use pc_platform::time::timestamp;

use crate::partner_views::{PartnerStats, PartnerView};
use crate::partners_store::{self, PartnerKind};

use super::visible_partner;

const STATUSES: &[&str] = &[
    "pending_verification",
    "pending_approval",
    "active",
    "inactive",
];

const PARTNERS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("name", ColumnKind::Text),
        Column::new("slug", ColumnKind::Text),
        Column::new("website", ColumnKind::Text),
        Column::new("status", ColumnKind::Enum(STATUSES)),
        Column::new("kind", ColumnKind::Enum(&PartnerKind::NAMES)),
        Column::new("totalLeads", ColumnKind::Number),
        Column::new("totalAppointments", ColumnKind::Number),
        Column::new("lastAppointmentDate", ColumnKind::Date),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("updatedAt", ColumnKind::Date),
    ],
    search_fields: &["name", "slug"],
    default_sort: ("name", Direction::Asc),
    extra_params: &[],
};

/// Partners with `totalLeads`, `totalAppointments` and
/// `lastAppointmentDate` on every row, read from the partner items (one
/// query; the counters are kept by the leads capability).
#[utoipa::path(get, path = "/v1/partners", tag = "partners",
    responses((status = 200, body = ListResponse<PartnerView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_partners(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<serde_json::Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &PARTNERS_LIST)?;
    let partners = match principal.scope() {
        None => partners_store::list_partners(&*ctx.store).await?,
        Some(pid) => partners_store::get_partner(&*ctx.store, pid)
            .await?
            .into_iter()
            .collect(),
    };
    let rows = partners
        .iter()
        .map(|p| serde_json::to_value(PartnerView::from(p)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    Ok(Json(query.apply(rows, &PARTNERS_LIST)))
}

/// One partner, by id or slug.
#[utoipa::path(get, path = "/v1/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "partner id or slug")),
    responses((status = 200, body = PartnerView), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_partner(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id_or_slug): Path<String>,
) -> ApiResult<Json<PartnerView>> {
    let partner = partners_store::find_partner(&*ctx.store, &id_or_slug)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    Ok(Json(PartnerView::from(&partner)))
}

/// The partner's appointment and lead counters.
#[utoipa::path(get, path = "/v1/partners/{id}/stats", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = PartnerStats), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn partner_stats(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerStats>> {
    let partner = visible_partner(&ctx, &principal, &id).await?;
    Ok(Json(PartnerStats {
        last_appointment_date: partner.last_appointment_date.map(timestamp),
        total_leads: partner.total_leads,
        total_appointments: partner.total_appointments,
    }))
}
