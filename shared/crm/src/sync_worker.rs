//! The HubSpot sync on `sync-leads`. A start message lists the leads to
//! sync — every lead of the partner (full), or the partner's change
//! markers (incremental: the leads changed since a sync last took them, one
//! partition read, no scan) — and sends them as pages of 100 ids with the
//! portal, the pipeline and the stage mapping in force. Each page is then
//! synced ([`crate::sync_pages`]) and counted on its task once. A page a
//! rate limit stopped goes back on the queue with HubSpot's delay; a page
//! failing on its last receive counts its leads failed so the task ends.

use serde::{Deserialize, Serialize};

use pc_http::functions::WorkerError;
use pc_http::{AppState, QueueMessage};
use pc_leads::keys::{Partition, change_markers_pk};
use pc_platform::AppContext;
use pc_platform::crm::{BATCH_LIMIT, CrmError};
use pc_platform::queue::{MAX_RECEIVES, Message, QueueName};
use pc_platform::store::pages::query_all;
use pc_platform::store::{Index, Query};

use crate::hubspot_access::{access_mapping, partner_access};
use crate::stage_mapping::StageMapping;
use crate::sync_pages::{PageError, PageScope, sync_leads};
use crate::sync_tasks::{PageCounts, SyncMode, count_page, get_task, mark_failed, set_planned};

/// Starts a sync task: lists its leads and sends its pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename = "hubspot_sync_start", rename_all = "camelCase")]
pub struct SyncStartMessage {
    pub task_id: String,
}

/// One page of a sync task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename = "hubspot_sync_page", rename_all = "camelCase")]
pub struct SyncPageMessage {
    pub task_id: String,
    pub partner_id: String,
    pub page: u64,
    pub lead_ids: Vec<String>,
    pub portal_id: String,
    pub pipeline_id: String,
    pub mapping: StageMapping,
}

/// `sync-leads` carries the HubSpot sync's messages beside the lead
/// import's, each told apart by `kind`.
impl Message for SyncStartMessage {
    const QUEUE: QueueName = QueueName::SyncLeads;
}

impl Message for SyncPageMessage {
    const QUEUE: QueueName = QueueName::SyncLeads;
}

/// The ids of the leads a task syncs.
async fn leads_to_sync(
    ctx: &AppContext,
    partner_id: &str,
    mode: SyncMode,
) -> Result<Vec<String>, WorkerError> {
    let (query, attr) = match mode {
        SyncMode::Full => {
            let partition = Partition::Created;
            (
                Query::partition(partition.index(true), partition.key(Some(partner_id))),
                "id",
            )
        }
        SyncMode::Incremental => (
            Query::partition(Index::Table, change_markers_pk(partner_id)),
            "leadId",
        ),
    };
    let items = query_all(&*ctx.store, query, usize::MAX)
        .await
        .map_err(WorkerError::new)?;
    Ok(items
        .iter()
        .filter_map(|i| i.get(attr).and_then(|v| v.as_str()).map(str::to_owned))
        .collect())
}

async fn start(ctx: &AppContext, message: &SyncStartMessage) -> Result<(), WorkerError> {
    let Some(task) = get_task(&*ctx.store, &message.task_id)
        .await
        .map_err(WorkerError::new)?
    else {
        return Err(WorkerError::new(format!(
            "no sync task {}",
            message.task_id
        )));
    };
    if task.pages.is_some() {
        // A redelivered start: its pages are out already.
        return Ok(());
    }
    let now = ctx.clock.now();
    let Some(access) = partner_access(ctx, &task.partner_id).await? else {
        mark_failed(
            &*ctx.store,
            &task.id,
            "the partner is not connected to HubSpot",
            now,
        )
        .await
        .map_err(WorkerError::new)?;
        return Ok(());
    };
    let mapping = access_mapping(ctx, &task.partner_id, &access).await?;
    let ids = leads_to_sync(ctx, &task.partner_id, task.mode).await?;
    let pages: Vec<&[String]> = ids.chunks(BATCH_LIMIT).collect();
    for (page, lead_ids) in pages.iter().enumerate() {
        let message = SyncPageMessage {
            task_id: task.id.clone(),
            partner_id: task.partner_id.clone(),
            page: page as u64,
            lead_ids: lead_ids.to_vec(),
            portal_id: access.portal_id.clone(),
            pipeline_id: access.pipeline_id.clone(),
            mapping: mapping.clone(),
        };
        ctx.queue
            .send_message(&message)
            .await
            .map_err(WorkerError::new)?;
    }
    set_planned(
        &*ctx.store,
        &task.id,
        ids.len() as u64,
        pages.len() as u64,
        now,
    )
    .await
    .map_err(WorkerError::new)
}

async fn page(
    ctx: &AppContext,
    message: &SyncPageMessage,
    receive_count: u32,
) -> Result<(), WorkerError> {
    let Some(access) = partner_access(ctx, &message.partner_id).await? else {
        let counts = PageCounts {
            failed: message.lead_ids.len() as u64,
            ..PageCounts::default()
        };
        return count_page(
            &*ctx.store,
            &message.task_id,
            message.page,
            counts,
            None,
            ctx.clock.now(),
        )
        .await
        .map_err(WorkerError::new);
    };
    let scope = PageScope {
        token: &access.token,
        partner_id: &message.partner_id,
        portal_id: &message.portal_id,
        pipeline_id: &message.pipeline_id,
        mapping: &message.mapping,
    };
    match sync_leads(ctx, &scope, &message.lead_ids).await {
        Ok(counts) => count_page(
            &*ctx.store,
            &message.task_id,
            message.page,
            counts,
            Some(skipped_reason(&message.mapping).as_str()),
            ctx.clock.now(),
        )
        .await
        .map_err(WorkerError::new),
        Err(PageError::Crm(CrmError::RateLimited { retry_after })) => {
            tracing::info!(task_id = %message.task_id, page = message.page, ?retry_after, "hubspot rate limit: page put back");
            ctx.queue
                .send_message_delayed(message, retry_after)
                .await
                .map_err(WorkerError::new)
        }
        Err(e) if receive_count >= MAX_RECEIVES => {
            tracing::warn!(task_id = %message.task_id, page = message.page, error = %e, "sync page failed for good");
            let counts = PageCounts {
                failed: message.lead_ids.len() as u64,
                ..PageCounts::default()
            };
            count_page(
                &*ctx.store,
                &message.task_id,
                message.page,
                counts,
                None,
                ctx.clock.now(),
            )
            .await
            .map_err(WorkerError::new)?;
            Err(WorkerError::new(e))
        }
        Err(e) => Err(WorkerError::new(e)),
    }
}

/// Why leads of a page were not sent: the statuses no stage stands for.
fn skipped_reason(mapping: &StageMapping) -> String {
    let statuses: Vec<&str> = mapping
        .unmapped_statuses()
        .into_iter()
        .map(|s| s.as_str())
        .collect();
    format!(
        "no stage of the partner's HubSpot pipeline stands for the status {}: leads in it are not sent until a stage is mapped to it (PUT /v1/partners/{{id}}/stage-mapping)",
        statuses.join(", ")
    )
}

/// What kind of message a `sync-leads` body is.
#[derive(Deserialize)]
struct Kind {
    kind: String,
}

/// The `sync-leads` worker: lead import pages (the leads capability's)
/// and HubSpot sync starts and pages, told apart by `kind`.
pub async fn sync_leads_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let kind: Kind = message.parse()?;
    match kind.kind.as_str() {
        "lead_import_page" => pc_leads::import_worker::import_worker(ctx, message).await,
        "hubspot_sync_start" => {
            let start_message: SyncStartMessage = message.parse()?;
            start(ctx, &start_message).await
        }
        "hubspot_sync_page" => {
            let page_message: SyncPageMessage = message.parse()?;
            page(ctx, &page_message, message.receive_count).await
        }
        other => Err(WorkerError::poison(format!(
            "unknown sync-leads message kind {other}"
        ))),
    }
}
