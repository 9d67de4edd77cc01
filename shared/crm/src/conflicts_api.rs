//! `GET /v1/sync/conflicts` (list conventions; a partner's admins see its
//! conflicts only) and `POST /v1/sync/conflicts/{id}/resolve`
//! `{resolution: "pc"|"hubspot"|"merge", values?}`: the chosen value goes
//! to both sides — HubSpot's through the lead rules, ours by a HubSpot
//! update — and becomes the agreed value the next sync judges changes
//! against. `merge` takes `values: {<field>: <value>}` for the conflict's
//! field.

use pc_platform::error_code::ErrorCode;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{
    ApiError, ApiResult, AppState, FieldError, ListQuery, ListResponse, Principal, ValidJson,
};
use pc_platform::store::pages::query_all;
use pc_platform::store::{Index, Query, from_item};

use crate::conflicts_resolve::resolve;
use crate::conflicts_store::{ConflictRecord, get_conflict};
use crate::keys::{ALL_CONFLICTS_PARTITION, partner_conflicts_partition};

pub const CONFLICTS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("id", ColumnKind::Text),
        Column::new("partnerId", ColumnKind::Text),
        Column::new("leadId", ColumnKind::Text),
        Column::new("field", ColumnKind::Text),
        Column::new("status", ColumnKind::Text),
        Column::new("resolution", ColumnKind::Text),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("resolvedAt", ColumnKind::Date),
    ],
    search_fields: &["field", "pcValue", "hubspotValue"],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

/// Most conflicts one list reads before filtering and paging.
const LIST_LIMIT: usize = 10_000;

/// Sync conflicts, newest first; filter `status` for the open ones.
#[utoipa::path(get, path = "/v1/sync/conflicts", tag = "hubspot",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query),
        ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<crate::conflicts_store::ConflictRecord>), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_conflicts(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &CONFLICTS_LIST)?;
    let scope = principal.scope();
    let partition = match (principal.is_staff(), scope) {
        (true, _) => Query::partition(Index::Gsi2, ALL_CONFLICTS_PARTITION),
        (false, Some(pid)) => Query::partition(Index::Gsi1, partner_conflicts_partition(pid)),
        (false, None) => return Ok(Json(query.page_of(Vec::new()))),
    };
    let rows = query_all(&*ctx.store, partition.descending(), LIST_LIMIT)
        .await?
        .into_iter()
        .filter_map(|item| from_item::<ConflictRecord>(item).ok())
        .filter(|c| scope.is_none_or(|p| c.partner_id == p))
        .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
        .collect();
    Ok(Json(query.apply(rows, &CONFLICTS_LIST)))
}

/// How to resolve a conflict.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolveRequest {
    /// `pc`, `hubspot` or `merge`.
    pub resolution: String,
    /// For `merge`: the value of the conflict's field, `{<field>: <value>}`.
    pub values: Option<BTreeMap<String, Value>>,
}

/// The value a resolution settles on, in the lead's terms.
fn settled_value(conflict: &ConflictRecord, request: &ResolveRequest) -> Result<String, ApiError> {
    match request.resolution.as_str() {
        "pc" => Ok(conflict.pc_value.clone()),
        "hubspot" => Ok(conflict.hubspot_value.clone()),
        "merge" => {
            let Some(value) = request.values.as_ref().and_then(|v| v.get(&conflict.field)) else {
                return Err(ApiError::validation(vec![FieldError::new(
                    "values",
                    format!("must hold the merged value of `{}`", conflict.field),
                )]));
            };
            crate::conflicts_resolve::merged_value(&conflict.field, value).map_err(|m| {
                ApiError::validation(vec![FieldError::new(
                    format!("values.{}", conflict.field),
                    m,
                )])
            })
        }
        _ => Err(ApiError::validation(vec![FieldError::new(
            "resolution",
            "is one of pc, hubspot, merge",
        )])),
    }
}

/// Resolves a conflict: the chosen value goes to both sides.
#[utoipa::path(post, path = "/v1/sync/conflicts/{id}/resolve", tag = "hubspot",
    params(("id" = String, Path)), request_body = ResolveRequest,
    responses((status = 200, body = ConflictRecord), (status = 400), (status = 404),
        (status = 409, description = "already resolved (`conflict_resolved`), or the lead rules refuse the value (`invalid_transition`)")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn resolve_conflict(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<ResolveRequest>,
) -> ApiResult<Json<ConflictRecord>> {
    let conflict = get_conflict(&*ctx.store, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("conflict"))?;
    principal.ensure_sees_partner(Some(&conflict.partner_id), "conflict")?;
    let value = settled_value(&conflict, &request)?;
    if conflict.status != crate::conflicts_store::ConflictStatus::Open {
        return Err(ApiError::conflict(
            ErrorCode::ConflictResolved,
            "this conflict is already resolved",
        ));
    }
    let resolved = resolve(&ctx, &principal, &conflict, &request.resolution, &value).await?;
    Ok(Json(resolved))
}
