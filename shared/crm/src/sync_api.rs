//! `POST /v1/sync/{partnerId}/hubspot` starts a sync of the partner's
//! leads with HubSpot and answers its task at once; `GET
//! /v1/sync/tasks/{taskId}` shows its progress. Admins of the partner and
//! platform staff may; another partner's sync is a 404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::AppContext;

use crate::hubspot_access::required_access;
use crate::sync_tasks::{SyncMode, SyncStatus, SyncTask, SyncTaskView, create_task, get_task};
use crate::sync_worker::SyncStartMessage;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncStarted {
    pub task_id: String,
}

/// Creates a sync task of `partner_id` and sends its start.
pub async fn begin_sync(
    ctx: &AppContext,
    partner_id: &str,
    mode: SyncMode,
) -> Result<String, ApiError> {
    let now = ctx.clock.now();
    let task = SyncTask {
        id: ctx.ids.new_id(),
        partner_id: partner_id.to_owned(),
        mode,
        status: SyncStatus::Pending,
        total: 0,
        synced: 0,
        failed: 0,
        conflicts: 0,
        skipped: 0,
        skipped_reason: None,
        pages: None,
        pages_done: 0,
        failure_reason: None,
        created_at: now,
        updated_at: now,
    };
    create_task(&*ctx.store, &task).await?;
    let start = SyncStartMessage {
        task_id: task.id.clone(),
    };
    ctx.queue.send_message(&start).await?;
    Ok(task.id)
}

/// Starts a full sync of the partner's leads with its HubSpot portal.
#[utoipa::path(post, path = "/v1/sync/{partnerId}/hubspot", tag = "hubspot",
    params(("partnerId" = String, Path)),
    responses((status = 202, body = SyncStarted), (status = 404),
        (status = 409, description = "the partner cannot sync yet: not connected (`hubspot_not_connected`), HubSpot refused the connection's token and the partner must connect again (`hubspot_unhealthy`), or no pipeline yet (`hubspot_no_pipeline`)")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn start_sync(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<(StatusCode, Json<SyncStarted>)> {
    principal.ensure_sees_partner(Some(&partner_id), "partner")?;
    get_partner(&*ctx.store, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    required_access(&ctx, &partner_id).await?;
    let task_id = begin_sync(&ctx, &partner_id, SyncMode::Full).await?;
    Ok((StatusCode::ACCEPTED, Json(SyncStarted { task_id })))
}

/// A sync's progress: `{status, total, synced, failed, conflicts}`.
#[utoipa::path(get, path = "/v1/sync/tasks/{taskId}", tag = "hubspot",
    params(("taskId" = String, Path)),
    responses((status = 200, body = SyncTaskView), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn sync_status(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(task_id): Path<String>,
) -> ApiResult<Json<SyncTaskView>> {
    let task = get_task(&*ctx.store, &task_id)
        .await?
        .ok_or_else(|| ApiError::not_found("sync task"))?;
    principal.ensure_sees_partner(Some(&task.partner_id), "sync task")?;
    Ok(Json(SyncTaskView::of(&task)))
}
