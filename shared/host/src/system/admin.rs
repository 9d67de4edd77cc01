//! Owner operations every capability relies on: scheduled jobs (list, run
//! now, run status) and dead letters (list, redrive).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use pc_http::functions::Schedule;
use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{ApiError, ApiResult, AppState, ListQuery, ListResponse, Principal};
use pc_platform::queue::QueueName;

use crate::jobs::{self, JobRun};

/// A scheduled job and its latest runs.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    name: String,
    /// EventBridge Scheduler expression.
    schedule: String,
    timezone: String,
    recent_runs: Vec<JobRun>,
}

/// `{taskId}` of work started in the background.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskStarted {
    pub task_id: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterView {
    id: String,
    queue: String,
    body: String,
    receive_count: u32,
    last_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Redriven {
    queue: String,
    moved: usize,
}

const JOBS_LIST: ListSpec = ListSpec {
    columns: &[Column::new("name", ColumnKind::Text)],
    search_fields: &[],
    default_sort: ("name", Direction::Asc),
    extra_params: &[],
};

/// Every schedule of the system, by function name.
fn schedules() -> impl Iterator<Item = &'static (&'static str, Schedule)> {
    super::functions::SCHEDULES
        .iter()
        .chain(pc_notify::SCHEDULES.iter())
        .chain(pc_billing::SCHEDULES.iter())
        .chain(pc_marketplace::SCHEDULES.iter())
        .chain(pc_crm::SCHEDULES.iter())
        .chain(pc_webhooks::SCHEDULES.iter())
}

/// Every scheduled job with its ten latest runs.
#[utoipa::path(get, path = "/v1/admin/jobs", tag = "admin",
    responses((status = 200, body = ListResponse<JobSummary>)), security(("cookie" = []), ("bearer" = [])))]
pub async fn list_jobs(
    State(ctx): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<JobSummary>>> {
    let query = ListQuery::parse(raw.as_deref(), &JOBS_LIST)?;
    let runs = jobs::recent_runs(&ctx, 200).await?;
    let mut summaries: Vec<JobSummary> = schedules()
        .map(|(name, schedule)| JobSummary {
            name: (*name).to_owned(),
            schedule: schedule.expression(),
            timezone: schedule.timezone.to_owned(),
            recent_runs: runs
                .iter()
                .filter(|r| r.job == *name)
                .take(10)
                .cloned()
                .collect(),
        })
        .collect();
    if query.sort[0].direction == Direction::Desc {
        summaries.reverse();
    }
    Ok(Json(query.page_of(summaries)))
}

/// Starts a run of a job now; answers its task id at once.
#[utoipa::path(post, path = "/v1/admin/jobs/{name}/run", tag = "admin",
    params(("name" = String, Path, description = "job name, e.g. daily-lead-reminders")),
    responses((status = 202, body = TaskStarted), (status = 404, description = "no such job")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn run_job(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<TaskStarted>)> {
    if !schedules().any(|(job, _)| *job == name) {
        return Err(ApiError::not_found("job"));
    }
    let run = jobs::request_run(&ctx, &name, Some(principal.user_id)).await?;
    Ok((StatusCode::ACCEPTED, Json(TaskStarted { task_id: run.id })))
}

/// The status of one job run.
#[utoipa::path(get, path = "/v1/admin/jobs/runs/{id}", tag = "admin",
    params(("id" = String, Path)), responses((status = 200, body = JobRun), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_job_run(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobRun>> {
    jobs::get_run(&ctx, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("job run"))
}

const DEAD_LETTERS_LIST: ListSpec = ListSpec {
    columns: &[],
    search_fields: &[],
    default_sort: ("", Direction::Asc),
    extra_params: &["queue"],
};

fn parse_queue(name: &str) -> Result<QueueName, ApiError> {
    QueueName::parse(name).ok_or_else(|| {
        let known: Vec<_> = QueueName::ALL.iter().map(|q| q.as_str()).collect();
        ApiError::invalid_field(
            "queue",
            format!("unknown queue; one of {}", known.join(", ")),
        )
    })
}

/// Dead letters of one queue (`?queue=`) or of all queues.
#[utoipa::path(get, path = "/v1/admin/dead-letters", tag = "admin",
    params(("queue" = Option<String>, Query)), responses((status = 200, body = ListResponse<DeadLetterView>)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_dead_letters(
    State(ctx): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<DeadLetterView>>> {
    let query = ListQuery::parse(raw.as_deref(), &DEAD_LETTERS_LIST)?;
    let queues = match query.extra.get("queue") {
        Some(name) => vec![parse_queue(name)?],
        None => QueueName::ALL.to_vec(),
    };
    let mut all = Vec::new();
    for queue in queues {
        for d in ctx.queue.dead_letters(queue, 100).await? {
            all.push(DeadLetterView {
                id: d.id,
                queue: d.queue,
                body: d.body,
                receive_count: d.receive_count,
                last_error: d.last_error,
            });
        }
    }
    Ok(Json(query.page_of(all)))
}

/// Moves every dead letter of a queue back onto it.
#[utoipa::path(post, path = "/v1/admin/dead-letters/{queue}/redrive", tag = "admin",
    params(("queue" = String, Path)), responses((status = 200, body = Redriven), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn redrive(
    State(ctx): State<AppState>,
    Path(queue): Path<String>,
) -> ApiResult<Json<Redriven>> {
    let name = parse_queue(&queue)?;
    let moved = ctx.queue.redrive(name).await?;
    tracing::info!(queue = %name, moved, "dead letters redriven");
    Ok(Json(Redriven { queue, moved }))
}
