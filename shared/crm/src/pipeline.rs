//! The partner's deal pipeline in HubSpot: one stage per lead status, in
//! the order a deal moves (won and the lost reasons closed, at probability
//! 1 and 0). Created once per connection: a second request answers the
//! pipeline already recorded, and a pipeline with the system's label found
//! in the portal (created by a request that crashed before recording it)
//! is adopted rather than duplicated.

use serde::Serialize;
use utoipa::ToSchema;

use pc_leads::deal_status::DealStatus;
use pc_platform::AppContext;
use pc_platform::crm::{NewPipeline, NewStage, Pipeline, PipelineStage};

use crate::connection;
use crate::error::ConnectionError;
use crate::stage_mapping::MappedStage;

/// The label of the pipeline the system creates.
pub const PIPELINE_LABEL: &str = "Partner Connector";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageView {
    pub id: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineView {
    pub pipeline_id: String,
    pub label: String,
    pub stages: Vec<StageView>,
    /// False when the pipeline existed before this request.
    pub created: bool,
}

fn stage_label(status: DealStatus) -> &'static str {
    match status {
        DealStatus::New => "New",
        DealStatus::Scheduled => "Meeting scheduled",
        DealStatus::InTouch => "In touch",
        DealStatus::Won => "Won",
        DealStatus::LostNoShow => "Lost: no show",
        DealStatus::LostDisqualified => "Lost: disqualified",
        DealStatus::LostNoPotential => "Lost: no potential",
    }
}

/// The status a stage labelled as the system labels it was made for.
pub fn status_of_label(label: &str) -> Option<DealStatus> {
    DealStatus::ALL
        .into_iter()
        .find(|status| stage_label(*status) == label.trim())
}

/// The stages of the system's pipeline, each with the status it was made
/// for (the pipeline just created or adopted: its labels are the system's).
pub fn created_stages(stages: &[PipelineStage]) -> Vec<MappedStage> {
    stages
        .iter()
        .filter_map(|stage| {
            Some(MappedStage {
                stage_id: stage.id.clone(),
                deal_status: status_of_label(&stage.label)?,
            })
        })
        .collect()
}

/// The pipeline the system asks HubSpot for.
pub fn new_pipeline() -> NewPipeline {
    NewPipeline {
        label: PIPELINE_LABEL.into(),
        display_order: 1,
        stages: DealStatus::ALL
            .iter()
            .enumerate()
            .map(|(order, status)| NewStage {
                label: stage_label(*status).into(),
                display_order: order as i64,
                probability: match status {
                    DealStatus::Won => "1.0",
                    s if s.is_lost() => "0.0",
                    _ => "0.5",
                }
                .into(),
                is_closed: status.is_closed(),
            })
            .collect(),
    }
}

fn view(pipeline: &Pipeline, created: bool) -> PipelineView {
    PipelineView {
        pipeline_id: pipeline.id.clone(),
        label: pipeline.label.clone(),
        stages: pipeline
            .stages
            .iter()
            .map(|s| StageView {
                id: s.id.clone(),
                label: s.label.clone(),
            })
            .collect(),
        created,
    }
}

/// Creates the partner's pipeline unless it has one; answers it.
pub async fn ensure_pipeline(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<PipelineView, ConnectionError> {
    let access = connection::access_token(ctx, partner_id).await?;
    let existing = ctx.crm.list_pipelines(&access.token).await?;
    if let Some(id) = &access.pipeline_id
        && let Some(pipeline) = existing.iter().find(|p| &p.id == id)
    {
        return Ok(view(pipeline, false));
    }
    let (pipeline, created) = match existing.iter().find(|p| p.label == PIPELINE_LABEL) {
        Some(found) => (found.clone(), false),
        None => (
            ctx.crm
                .create_pipeline(&access.token, &new_pipeline())
                .await?,
            true,
        ),
    };
    let id = pipeline.id.clone();
    let stages = created_stages(&pipeline.stages);
    connection::update(ctx, partner_id, |record| {
        record.pipeline_id = Some(id.clone());
        record.pipeline_stages = stages.clone();
    })
    .await?;
    Ok(view(&pipeline, created))
}
