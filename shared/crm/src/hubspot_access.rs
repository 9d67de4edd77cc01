//! A partner's HubSpot access for the sync: a usable token, the portal,
//! the pipeline and the stage mapping in force.

use pc_api::functions::WorkerError;
use pc_platform::AppContext;
use pc_platform::crm::AccessToken;

use crate::stage_mapping::{StageMapping, mapping_in_force};

pub struct HubspotAccess {
    pub token: AccessToken,
    pub portal_id: String,
    pub pipeline_id: String,
}

/// The partner's access, if connected with a pipeline.
pub async fn partner_access(
    _ctx: &AppContext,
    _partner_id: &str,
) -> Result<Option<HubspotAccess>, WorkerError> {
    Ok(None)
}

/// The stage mapping in force for the partner's pipeline.
pub async fn access_mapping(
    ctx: &AppContext,
    partner_id: &str,
    access: &HubspotAccess,
) -> Result<StageMapping, WorkerError> {
    let pipelines = ctx
        .crm
        .list_pipelines(&access.token)
        .await
        .map_err(WorkerError::new)?;
    let stages = pipelines
        .into_iter()
        .find(|p| p.id == access.pipeline_id)
        .map(|p| p.stages)
        .unwrap_or_default();
    mapping_in_force(&*ctx.store, partner_id, &access.pipeline_id, &stages)
        .await
        .map_err(WorkerError::new)
}

/// The stage mapping in force for a partner (empty when not connected).
pub async fn partner_stage_mapping(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<StageMapping, WorkerError> {
    match partner_access(ctx, partner_id).await? {
        Some(access) => access_mapping(ctx, partner_id, &access).await,
        None => Ok(StageMapping::default()),
    }
}

/// The partners connected to HubSpot, healthy, with a pipeline.
pub async fn connected_partners(
    _ctx: &AppContext,
) -> Result<Vec<String>, pc_platform::store::StoreError> {
    Ok(Vec::new())
}
