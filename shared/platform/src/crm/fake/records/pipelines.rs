//! Deal pipelines and their stages: the stored pipelines of a portal,
//! HubSpot's default sales pipeline every portal starts with, and the check
//! that a deal's stage belongs to its pipeline.

use super::all_with_prefix;
use crate::crm::fake::keys::{PIPELINE_PREFIX, pipeline_sk, portal_pk};
use crate::crm::{CrmError, Pipeline, PipelineStage, Properties};
use crate::store::{Item, Store, Write};

pub(in super::super) async fn pipelines(
    store: &dyn Store,
    portal_id: &str,
) -> Result<Vec<Pipeline>, CrmError> {
    let mut found: Vec<Pipeline> = all_with_prefix(store, portal_id, PIPELINE_PREFIX)
        .await?
        .iter()
        .filter_map(|item| serde_json::from_value(item.get("pipeline")?.clone()).ok())
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

pub(in super::super) fn pipeline_write(portal_id: &str, pipeline: &Pipeline) -> Write {
    let mut item = Item::new();
    item.insert("pk".into(), portal_pk(portal_id).into());
    item.insert("sk".into(), pipeline_sk(&pipeline.id).into());
    item.insert("entity".into(), "hubspot_fake_pipeline".into());
    item.insert(
        "pipeline".into(),
        serde_json::to_value(pipeline).unwrap_or_default(),
    );
    Write::put_new(item)
}

/// HubSpot's default sales pipeline, which every portal starts with.
pub(in super::super) fn default_pipeline() -> Pipeline {
    let stages = [
        (
            "appointmentscheduled",
            "Appointment Scheduled",
            "0.2",
            false,
        ),
        ("qualifiedtobuy", "Qualified To Buy", "0.4", false),
        (
            "presentationscheduled",
            "Presentation Scheduled",
            "0.6",
            false,
        ),
        (
            "decisionmakerboughtin",
            "Decision Maker Bought-In",
            "0.8",
            false,
        ),
        ("contractsent", "Contract Sent", "0.9", false),
        ("closedwon", "Closed Won", "1.0", true),
        ("closedlost", "Closed Lost", "0.0", true),
    ];
    Pipeline {
        id: "default".into(),
        label: "Sales Pipeline".into(),
        stages: stages
            .iter()
            .enumerate()
            .map(|(i, (id, label, probability, closed))| PipelineStage {
                id: (*id).into(),
                label: (*label).into(),
                display_order: i as i64,
                probability: Some((*probability).into()),
                is_closed: *closed,
            })
            .collect(),
    }
}

/// Why a deal's pipeline and stage cannot be, if they cannot.
pub(in super::super) fn invalid_stage(
    pipelines: &[Pipeline],
    properties: &Properties,
) -> Option<String> {
    let stage = properties.get("dealstage")?;
    let pipeline_id = properties
        .get("pipeline")
        .map(String::as_str)
        .unwrap_or("default");
    let Some(pipeline) = pipelines.iter().find(|p| p.id == pipeline_id) else {
        return Some(format!("pipeline {pipeline_id} does not exist"));
    };
    if pipeline.stages.iter().any(|s| &s.id == stage) {
        None
    } else {
        Some(format!("{stage} is not a stage of pipeline {pipeline_id}"))
    }
}
