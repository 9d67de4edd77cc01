//! `GET|PUT /v1/partners/{id}/stage-mapping`: which lead status each stage
//! of the partner's HubSpot pipeline means. Admins of the partner and
//! platform staff; another partner's mapping is a 404. A new mapping names
//! every stage of the pipeline (as HubSpot lists them now) exactly once,
//! each with a lead status.

use pc_platform::error_code::ErrorCode;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_leads::DealStatus;
use pc_platform::AppContext;
use pc_platform::crm::{CrmError, PipelineStage};

use crate::hubspot_access::{HubspotAccess, required_access};
use crate::stage_mapping::{
    MappedStage, StageMapping, mapping_in_force, save_mapping, stored_mapping,
};

/// One stage of the pipeline and the status it means.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageRow {
    pub stage_id: String,
    pub label: String,
    pub deal_status: DealStatus,
}

/// The mapping in force.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageMappingView {
    pub pipeline_id: String,
    pub stages: Vec<StageRow>,
    /// False while the mapping is the one derived from the stage labels.
    pub custom: bool,
}

/// A new mapping: `{"mapping": {"<stageId>": "<dealStatus>"}}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageMappingRequest {
    pub mapping: BTreeMap<String, String>,
}

async fn pipeline_of(
    ctx: &AppContext,
    principal: &Principal,
    partner_id: &str,
) -> Result<(HubspotAccess, Vec<PipelineStage>), ApiError> {
    principal.ensure_sees_partner(Some(partner_id), "partner")?;
    get_partner(&*ctx.store, partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    let access = required_access(ctx, partner_id).await?;
    let pipelines = ctx
        .crm
        .list_pipelines(&access.token)
        .await
        .map_err(|e| match e {
            CrmError::RateLimited { retry_after } => {
                ApiError::rate_limited(retry_after.as_secs().max(1))
            }
            other => ApiError::unavailable(other),
        })?;
    let stages = pipelines
        .into_iter()
        .find(|p| p.id == access.pipeline_id)
        .map(|p| p.stages)
        .ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::PipelineMissing,
                "the partner's pipeline is gone from HubSpot",
            )
        })?;
    Ok((access, stages))
}

fn view(
    pipeline_id: &str,
    stages: &[PipelineStage],
    mapping: &StageMapping,
    custom: bool,
) -> StageMappingView {
    let mut ordered: Vec<&PipelineStage> = stages.iter().collect();
    ordered.sort_by_key(|s| s.display_order);
    StageMappingView {
        pipeline_id: pipeline_id.to_owned(),
        stages: ordered
            .into_iter()
            .filter_map(|s| {
                Some(StageRow {
                    stage_id: s.id.clone(),
                    label: s.label.clone(),
                    deal_status: mapping.status_of(&s.id)?,
                })
            })
            .collect(),
        custom,
    }
}

/// The partner's stage mapping in force.
#[utoipa::path(get, path = "/v1/partners/{id}/stage-mapping", tag = "hubspot",
    params(("id" = String, Path)),
    responses((status = 200, body = StageMappingView), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_stage_mapping(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<Json<StageMappingView>> {
    let (access, stages) = pipeline_of(&ctx, &principal, &partner_id).await?;
    let custom = stored_mapping(&*ctx.store, &partner_id, &access.pipeline_id)
        .await?
        .is_some();
    let mapping = mapping_in_force(
        &*ctx.store,
        &partner_id,
        &access.pipeline_id,
        &stages,
        &access.pipeline_stages,
    )
    .await?;
    Ok(Json(view(&access.pipeline_id, &stages, &mapping, custom)))
}

/// Sets the partner's stage mapping: every stage of its pipeline, once.
#[utoipa::path(put, path = "/v1/partners/{id}/stage-mapping", tag = "hubspot",
    params(("id" = String, Path)), request_body = StageMappingRequest,
    responses((status = 200, body = StageMappingView), (status = 400), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn put_stage_mapping(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
    ValidJson(request): ValidJson<StageMappingRequest>,
) -> ApiResult<Json<StageMappingView>> {
    let (access, stages) = pipeline_of(&ctx, &principal, &partner_id).await?;
    let mut errors = Vec::new();
    for (stage_id, status) in &request.mapping {
        if !stages.iter().any(|s| &s.id == stage_id) {
            errors.push(FieldError::new(
                format!("mapping.{stage_id}"),
                "is not a stage of the partner's pipeline",
            ));
        }
        if DealStatus::parse(status).is_none() {
            errors.push(FieldError::new(
                format!("mapping.{stage_id}"),
                format!("is one of {}", DealStatus::NAMES.join(", ")),
            ));
        }
    }
    for stage in &stages {
        if !request.mapping.contains_key(&stage.id) {
            errors.push(FieldError::new(
                format!("mapping.{}", stage.id),
                "is required: every stage is mapped",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut ordered: Vec<&PipelineStage> = stages.iter().collect();
    ordered.sort_by_key(|s| s.display_order);
    let mapping = StageMapping {
        stages: ordered
            .into_iter()
            .filter_map(|s| {
                Some(MappedStage {
                    stage_id: s.id.clone(),
                    deal_status: DealStatus::parse(request.mapping.get(&s.id)?)?,
                })
            })
            .collect(),
    };
    save_mapping(&*ctx.store, &partner_id, &access.pipeline_id, &mapping).await?;
    Ok(Json(view(&access.pipeline_id, &stages, &mapping, true)))
}
