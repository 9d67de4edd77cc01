//! A partner's HubSpot access as the sync needs it: a usable token (from
//! the partner's connection, refreshed when near expiry), the portal, the
//! pipeline, and the stage mapping in force. A partner not connected, with
//! an unhealthy connection or without a pipeline has no access: nothing
//! of its leads is sent.

use pc_api::functions::WorkerError;
use pc_platform::AppContext;
use pc_platform::crm::AccessToken;
use pc_platform::store::{Index, Query, StoreError, from_item};

use crate::connection::{ConnectionRecord, EXPIRY_PARTITION, PartnerAccess, access_token};
use crate::error::ConnectionError;
use crate::stage_mapping::{StageMapping, mapping_in_force};

pub struct HubspotAccess {
    pub token: AccessToken,
    pub portal_id: String,
    pub pipeline_id: String,
}

/// The partner's access, if connected and healthy with a pipeline; an
/// error only when it cannot be told now (HubSpot or the store failing).
pub async fn partner_access(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<Option<HubspotAccess>, WorkerError> {
    match access_token(ctx, partner_id).await {
        Ok(PartnerAccess {
            token,
            portal_id,
            pipeline_id: Some(pipeline_id),
        }) => Ok(Some(HubspotAccess {
            token,
            portal_id,
            pipeline_id,
        })),
        Ok(_) | Err(ConnectionError::NotConnected | ConnectionError::Unhealthy) => Ok(None),
        Err(e) => Err(WorkerError::new(e)),
    }
}

/// The stage mapping in force for the partner's pipeline: one pipeline
/// read at HubSpot.
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

/// The stage mapping in force for a partner (empty when it has no access).
pub async fn partner_stage_mapping(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<StageMapping, WorkerError> {
    match partner_access(ctx, partner_id).await? {
        Some(access) => access_mapping(ctx, partner_id, &access).await,
        None => Ok(StageMapping::default()),
    }
}

/// The partners connected to HubSpot, healthy, with a pipeline: one read
/// of the connections' partition.
pub async fn connected_partners(ctx: &AppContext) -> Result<Vec<String>, StoreError> {
    let items = pc_leads::leads_store::query_all(
        &*ctx.store,
        Query::partition(Index::Gsi1, EXPIRY_PARTITION),
        usize::MAX,
    )
    .await?;
    Ok(items
        .into_iter()
        .filter_map(|i| from_item::<ConnectionRecord>(i).ok())
        .filter(|c| c.healthy && c.pipeline_id.is_some())
        .map(|c| c.partner_id)
        .collect())
}
