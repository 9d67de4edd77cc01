//! `GET /v1/leads/sales-managers`: the values of the leads page's
//! sales-manager filter (`{"column": "sales_manager", "operator": "eq",
//! "value": …}`), read from the tallies every lead write keeps (see
//! `leads_store::sales_managers`), never from the leads themselves.

use axum::Json;
use axum::extract::{RawQuery, State};

use pc_http::{ApiResult, AppState, ListQuery, ListResponse, ListSpec, Principal};

use crate::leads_store::sales_managers::{SalesManager, sales_managers};

const SALES_MANAGERS_LIST: ListSpec = ListSpec::paging_only(&["partnerId"]);

/// The distinct sales managers of the caller's partner's leads, by name,
/// each with how many leads carry it. Staff get every partner's, or one
/// partner's with `partnerId`; a partner's users get their own partner's
/// (naming another partner is a 404).
#[utoipa::path(get, path = "/v1/leads/sales-managers", tag = "leads",
    params(("partnerId" = Option<String>, Query, description = "staff: only this partner's leads' managers"),
        ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query)),
    responses((status = 200, body = ListResponse<SalesManager>), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_sales_managers(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<SalesManager>>> {
    let query = ListQuery::parse(raw.as_deref(), &SALES_MANAGERS_LIST)?;
    let named = query.extra.get("partnerId").filter(|p| !p.is_empty());
    if let Some(named) = named {
        principal.ensure_sees_partner(Some(named), "partner")?;
    }
    let partner = principal.scope().or(named.map(String::as_str));
    if !principal.is_staff() && partner.is_none() {
        return Ok(Json(query.page_of(Vec::new())));
    }
    let managers = sales_managers(&*ctx.store, partner).await?;
    Ok(Json(query.page_of(managers)))
}
