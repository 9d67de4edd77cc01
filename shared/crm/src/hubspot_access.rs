//! A partner's HubSpot access as the sync needs it: a usable token (from
//! the partner's connection, refreshed when near expiry), the portal, the
//! pipeline, and the stage mapping in force. A partner not connected, with
//! an unhealthy connection or without a pipeline has no access: nothing
//! of its leads is sent.

use pc_http::functions::WorkerError;
use pc_platform::AppContext;
use pc_platform::crm::AccessToken;
use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;
use pc_platform::store::{Index, Query, StoreError, from_item};

use crate::connection::{ConnectionRecord, EXPIRY_PARTITION, PartnerAccess, access_token};
use crate::error::ConnectionError;
use crate::stage_mapping::{MappedStage, StageMapping, mapping_in_force};

pub struct HubspotAccess {
    pub token: AccessToken,
    pub portal_id: String,
    pub pipeline_id: String,
    /// The stages the system created in the pipeline, with their statuses.
    pub pipeline_stages: Vec<MappedStage>,
}

/// Why a partner has no access: what the partner has to do first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoAccess {
    NotConnected,
    /// HubSpot refused the connection's token: connect again.
    Unhealthy,
    NoPipeline,
}

impl From<NoAccess> for Failure {
    fn from(missing: NoAccess) -> Self {
        match missing {
            NoAccess::NotConnected => ConnectionError::NotConnected.into(),
            NoAccess::Unhealthy => ConnectionError::Unhealthy.into(),
            NoAccess::NoPipeline => Failure::conflict(
                ErrorCode::HubspotNoPipeline,
                "the partner has no HubSpot pipeline yet: create it first (POST /v1/integrations/hubspot/{partnerId}/create-pipeline)",
            ),
        }
    }
}

/// The partner's access, or what it lacks; an error only when it cannot
/// be told now (HubSpot or the store failing).
async fn access(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<Result<HubspotAccess, NoAccess>, ConnectionError> {
    match access_token(ctx, partner_id).await {
        Ok(PartnerAccess {
            token,
            portal_id,
            pipeline_id: Some(pipeline_id),
            pipeline_stages,
        }) => Ok(Ok(HubspotAccess {
            token,
            portal_id,
            pipeline_id,
            pipeline_stages,
        })),
        Ok(_) => Ok(Err(NoAccess::NoPipeline)),
        Err(ConnectionError::NotConnected) => Ok(Err(NoAccess::NotConnected)),
        Err(ConnectionError::Unhealthy) => Ok(Err(NoAccess::Unhealthy)),
        Err(e) => Err(e),
    }
}

/// The partner's access, if connected and healthy with a pipeline; an
/// error only when it cannot be told now (HubSpot or the store failing).
pub async fn partner_access(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<Option<HubspotAccess>, WorkerError> {
    Ok(access(ctx, partner_id).await?.ok())
}

/// The partner's access for an API call: without one, a 409 that says
/// what the partner has to do (connect, connect again, create the
/// pipeline).
pub async fn required_access(ctx: &AppContext, partner_id: &str) -> Result<HubspotAccess, Failure> {
    Ok(access(ctx, partner_id).await??)
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
    mapping_in_force(
        &*ctx.store,
        partner_id,
        &access.pipeline_id,
        &stages,
        &access.pipeline_stages,
    )
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
    let items = pc_platform::store::pages::query_all(
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
