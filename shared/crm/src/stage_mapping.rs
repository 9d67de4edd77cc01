//! Which lead status each stage of the partner's HubSpot pipeline means.
//! A partner may set it (`PUT /v1/partners/{id}/stage-mapping`); until
//! then each stage the system created is the status it was made for (one
//! stage per status, recorded with the connection), and any other stage is
//! derived: a stage labelled as the system labels a status (`Meeting
//! scheduled` → `scheduled`) or like a status (`In touch` → `in_touch`)
//! is that status, a closed stage at probability 1 is `won`, another
//! closed stage `lost_no_potential`, any other stage `in_touch`. A status
//! goes to HubSpot as the first stage of the pipeline mapped to it; a
//! lead whose status no stage stands for is not sent (the sync counts it
//! as skipped and says why).
//!
//! Its items and their keys: [`crate::keys`].

use serde::{Deserialize, Serialize};

use pc_leads::DealStatus;
use pc_platform::crm::PipelineStage;
use pc_platform::store::{Store, StoreError, from_item, to_item};

use crate::keys::mapping_key;

/// Stage ids and the status each means, in pipeline order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageMapping {
    pub stages: Vec<MappedStage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappedStage {
    pub stage_id: String,
    pub deal_status: DealStatus,
}

impl StageMapping {
    /// The status a stage means, if it is mapped.
    pub fn status_of(&self, stage_id: &str) -> Option<DealStatus> {
        self.stages
            .iter()
            .find(|s| s.stage_id == stage_id)
            .map(|s| s.deal_status)
    }

    /// The first stage mapped to the status named `status`.
    pub fn stage_of_name(&self, status: &str) -> Option<String> {
        self.stages
            .iter()
            .find(|s| s.deal_status.as_str() == status)
            .map(|s| s.stage_id.clone())
    }

    /// The mapping a pipeline implies when the partner set none.
    pub fn derived(stages: &[PipelineStage]) -> Self {
        Self::with_created(stages, &[])
    }

    /// The mapping of a pipeline whose stages `created` the system made
    /// (each the status it was made for), the others derived.
    pub fn with_created(stages: &[PipelineStage], created: &[MappedStage]) -> Self {
        let mut ordered: Vec<&PipelineStage> = stages.iter().collect();
        ordered.sort_by_key(|s| s.display_order);
        let stages = ordered
            .into_iter()
            .map(|stage| MappedStage {
                stage_id: stage.id.clone(),
                deal_status: created
                    .iter()
                    .find(|c| c.stage_id == stage.id)
                    .map_or_else(|| derived_status(stage), |c| c.deal_status),
            })
            .collect();
        Self { stages }
    }

    /// The statuses no stage stands for.
    pub fn unmapped_statuses(&self) -> Vec<DealStatus> {
        DealStatus::ALL
            .into_iter()
            .filter(|status| !self.stages.iter().any(|s| s.deal_status == *status))
            .collect()
    }
}

fn derived_status(stage: &PipelineStage) -> DealStatus {
    if let Some(status) = crate::pipeline::status_of_label(&stage.label) {
        return status;
    }
    let name = stage.label.trim().to_lowercase().replace([' ', '-'], "_");
    if let Some(status) = DealStatus::parse(&name) {
        return status;
    }
    let won = stage
        .probability
        .as_deref()
        .and_then(|p| p.parse::<f64>().ok())
        .is_some_and(|p| p >= 1.0);
    match (stage.is_closed, won) {
        (true, true) => DealStatus::Won,
        (true, false) => DealStatus::LostNoPotential,
        (false, _) => DealStatus::InTouch,
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredMapping {
    pk: String,
    sk: String,
    entity: String,
    pipeline_id: String,
    #[serde(flatten)]
    mapping: StageMapping,
}

/// The partner's own mapping for `pipeline_id`, if it set one for that
/// pipeline (a mapping of another pipeline no longer applies).
pub async fn stored_mapping(
    store: &dyn Store,
    partner_id: &str,
    pipeline_id: &str,
) -> Result<Option<StageMapping>, StoreError> {
    let Some(item) = store.get(&mapping_key(partner_id)).await? else {
        return Ok(None);
    };
    let stored: StoredMapping = from_item(item)?;
    Ok((stored.pipeline_id == pipeline_id).then_some(stored.mapping))
}

/// Stores the partner's mapping of `pipeline_id`.
pub async fn save_mapping(
    store: &dyn Store,
    partner_id: &str,
    pipeline_id: &str,
    mapping: &StageMapping,
) -> Result<(), StoreError> {
    let key = mapping_key(partner_id);
    let item = to_item(&StoredMapping {
        pk: key.pk,
        sk: key.sk,
        entity: "hubspot_stage_mapping".into(),
        pipeline_id: pipeline_id.to_owned(),
        mapping: mapping.clone(),
    })?;
    store.put(item, None).await
}

/// The mapping in force: the partner's, else the one the stages the
/// system `created` and the rest of `stages` imply.
pub async fn mapping_in_force(
    store: &dyn Store,
    partner_id: &str,
    pipeline_id: &str,
    stages: &[PipelineStage],
    created: &[MappedStage],
) -> Result<StageMapping, StoreError> {
    Ok(stored_mapping(store, partner_id, pipeline_id)
        .await?
        .unwrap_or_else(|| StageMapping::with_created(stages, created)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(id: &str, label: &str, order: i64, closed: bool, p: &str) -> PipelineStage {
        PipelineStage {
            id: id.into(),
            label: label.into(),
            display_order: order,
            probability: Some(p.into()),
            is_closed: closed,
        }
    }

    #[test]
    fn a_pipeline_implies_a_mapping_by_label_then_by_closing() {
        let mapping = StageMapping::derived(&[
            stage("s2", "Scheduled", 1, false, "0.3"),
            stage("s1", "New", 0, false, "0.1"),
            stage("s3", "Closed won", 2, true, "1.0"),
            stage("s4", "Closed lost", 3, true, "0.0"),
            stage("s5", "Demo", 4, false, "0.5"),
        ]);
        assert_eq!(mapping.stages[0].stage_id, "s1");
        assert_eq!(mapping.status_of("s1"), Some(DealStatus::New));
        assert_eq!(mapping.status_of("s2"), Some(DealStatus::Scheduled));
        assert_eq!(mapping.status_of("s3"), Some(DealStatus::Won));
        assert_eq!(mapping.status_of("s4"), Some(DealStatus::LostNoPotential));
        assert_eq!(mapping.status_of("s5"), Some(DealStatus::InTouch));
        assert_eq!(mapping.status_of("nope"), None);
        assert_eq!(mapping.stage_of_name("won").as_deref(), Some("s3"));
        assert_eq!(mapping.stage_of_name("lost_no_show"), None);
    }

    #[test]
    fn the_systems_own_pipeline_maps_one_stage_to_each_status() {
        let labels = crate::pipeline::new_pipeline().stages;
        let stages: Vec<PipelineStage> = labels
            .iter()
            .enumerate()
            .map(|(i, s)| {
                stage(
                    &format!("id{i}"),
                    &s.label,
                    s.display_order,
                    s.is_closed,
                    &s.probability,
                )
            })
            .collect();
        // Labels alone (a pipeline created before the stages were recorded).
        let by_label = StageMapping::derived(&stages);
        for (i, status) in DealStatus::ALL.iter().enumerate() {
            assert_eq!(
                by_label.stage_of_name(status.as_str()),
                Some(format!("id{i}"))
            );
        }
        assert!(by_label.unmapped_statuses().is_empty());
        // Recorded stages win over labels the partner renamed in HubSpot.
        let mut renamed = stages.clone();
        renamed[1].label = "Demo booked".into();
        let created = crate::pipeline::created_stages(&stages);
        let mapping = StageMapping::with_created(&renamed, &created);
        assert_eq!(mapping, by_label);
        assert_eq!(
            StageMapping::derived(&renamed).unmapped_statuses(),
            [DealStatus::Scheduled]
        );
    }
}
