//! `hubspot-sync` (every 15 minutes): an incremental sync of every
//! partner connected to HubSpot with a pipeline whose leads changed since
//! a sync last took them (a one-item read of its change markers decides;
//! a partner with none gets no task).

use chrono::{DateTime, Utc};

use pc_http::AppState;
use pc_http::functions::{JobError, JobReport};
use pc_leads::keys::change_markers_pk;
use pc_platform::store::{Index, Query};

use crate::hubspot_access::connected_partners;
use crate::sync_api::begin_sync;
use crate::sync_tasks::SyncMode;

pub async fn hubspot_sync(ctx: &AppState, _at: DateTime<Utc>) -> Result<JobReport, JobError> {
    let partners = connected_partners(ctx).await.map_err(JobError::new)?;
    let (mut started, mut unchanged) = (0, 0);
    for partner_id in &partners {
        let changed = ctx
            .store
            .query(&Query::partition(Index::Table, change_markers_pk(partner_id)).limit(1))
            .await
            .map_err(JobError::new)?;
        if changed.items.is_empty() {
            unchanged += 1;
            continue;
        }
        let task_id = begin_sync(ctx, partner_id, SyncMode::Incremental)
            .await
            .map_err(|e| JobError::new(e.message))?;
        tracing::info!(partner_id = %partner_id, task_id = %task_id, "incremental hubspot sync started");
        started += 1;
    }
    Ok(JobReport::default()
        .count("partners", partners.len() as u64)
        .count("started", started)
        .count("unchanged", unchanged))
}
