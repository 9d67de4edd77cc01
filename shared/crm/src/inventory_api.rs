//! `GET|PUT /v1/partners/{id}/inventory`: whether deals of the partner's
//! HubSpot portal in some stages become its leads, and whether they are
//! listed on the marketplace as they arrive. Admins of the partner and
//! platform staff; another partner's settings are a 404; a partner
//! without HubSpot connected gets a 409. Stage ids are checked against
//! every pipeline of the portal as HubSpot lists them now; an unknown one
//! is a 400 naming it.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_platform::AppContext;
use pc_platform::crm::CrmError;

use crate::connection::{PartnerAccess, access_token};
use crate::inventory_settings::{InventorySettings, get_settings, save_settings};

/// The partner's inventory settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InventoryBody {
    /// Deals in `stageIds` become the partner's leads.
    pub enabled: bool,
    /// Deal stage ids of any pipeline of the partner's portal.
    pub stage_ids: Vec<String>,
    /// Each new lead is listed on the marketplace at the pricing engine's
    /// suggested price.
    pub auto_list: bool,
}

impl InventoryBody {
    fn of(settings: &InventorySettings) -> Self {
        Self {
            enabled: settings.enabled,
            stage_ids: settings.stage_ids.clone(),
            auto_list: settings.auto_list,
        }
    }
}

/// The caller sees the partner, the partner exists and has HubSpot
/// connected: its access.
async fn connected_partner(
    ctx: &AppContext,
    principal: &Principal,
    partner_id: &str,
) -> Result<PartnerAccess, ApiError> {
    principal.ensure_sees_partner(Some(partner_id), "partner")?;
    get_partner(&*ctx.store, partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    Ok(access_token(ctx, partner_id).await?)
}

fn crm_failure(e: CrmError) -> ApiError {
    match e {
        CrmError::RateLimited { retry_after } => {
            ApiError::rate_limited(retry_after.as_secs().max(1))
        }
        other => ApiError::unavailable(other),
    }
}

/// The partner's inventory settings.
#[utoipa::path(get, path = "/v1/partners/{id}/inventory", tag = "hubspot",
    params(("id" = String, Path)),
    responses((status = 200, body = InventoryBody), (status = 404),
        (status = 409, description = "`hubspot_not_connected` or `hubspot_unhealthy`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_inventory(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<Json<InventoryBody>> {
    connected_partner(&ctx, &principal, &partner_id).await?;
    let settings = get_settings(&*ctx.store, &partner_id).await?;
    Ok(Json(InventoryBody::of(&settings)))
}

/// Sets the partner's inventory settings; the stages are checked against
/// the portal's pipelines.
#[utoipa::path(put, path = "/v1/partners/{id}/inventory", tag = "hubspot",
    params(("id" = String, Path)), request_body = InventoryBody,
    responses((status = 200, body = InventoryBody),
        (status = 400, description = "a stage id no pipeline of the portal has, or none while enabled"),
        (status = 404),
        (status = 409, description = "`hubspot_not_connected` or `hubspot_unhealthy`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn put_inventory(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
    ValidJson(body): ValidJson<InventoryBody>,
) -> ApiResult<Json<InventoryBody>> {
    let access = connected_partner(&ctx, &principal, &partner_id).await?;
    let pipelines = ctx
        .crm
        .list_pipelines(&access.token)
        .await
        .map_err(crm_failure)?;
    let mut errors = Vec::new();
    let mut stage_ids: Vec<String> = Vec::new();
    for (i, id) in body.stage_ids.iter().enumerate() {
        let id = id.trim();
        if !pipelines
            .iter()
            .any(|p| p.stages.iter().any(|s| s.id == id))
        {
            errors.push(FieldError::new(
                format!("stageIds[{i}]"),
                format!(
                    "{id:?} is not a deal stage of any pipeline of the partner's HubSpot portal"
                ),
            ));
        } else if !stage_ids.iter().any(|s| s == id) {
            stage_ids.push(id.to_owned());
        }
    }
    if body.enabled && body.stage_ids.is_empty() {
        errors.push(FieldError::new(
            "stageIds",
            "names at least one stage while enabled",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let before = get_settings(&*ctx.store, &partner_id).await?;
    let mut after = before.clone();
    after.enabled = body.enabled;
    after.auto_list = body.auto_list;
    after.stage_ids = stage_ids;
    let stages_changed = {
        let (mut a, mut b) = (before.stage_ids.clone(), after.stage_ids.clone());
        a.sort();
        b.sort();
        a != b
    };
    let saved = save_settings(&*ctx.store, &after, stages_changed, ctx.clock.now()).await?;
    tracing::info!(partner_id = %partner_id, enabled = saved.enabled, stages = saved.stage_ids.len(), "inventory settings saved");
    Ok(Json(InventoryBody::of(&saved)))
}
