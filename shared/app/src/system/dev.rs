//! Development-only routes of the local server, never deployed: read the
//! mailbox, move the clock, run a schedule now and wait for it, and take
//! uploads sent to the embedded object store's signed URLs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_api::{ApiError, ApiResult, AppState, ListResponse, ValidJson};
use pc_platform::email::mailbox::{Mailbox, StoredEmail};

use crate::catalog;
use crate::jobs::{self, JobRun};

/// Every email sent, newest first.
#[utoipa::path(get, path = "/dev/mailbox", tag = "dev", responses((status = 200)))]
pub async fn mailbox(State(ctx): State<AppState>) -> ApiResult<Json<ListResponse<StoredEmail>>> {
    let mails = Mailbox::list(&*ctx.store, 1000)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ListResponse::all(mails)))
}

#[derive(Deserialize, ToSchema)]
pub struct ClockBody {
    now: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClockView {
    now: String,
}

fn settable(ctx: &AppState) -> ApiResult<&pc_platform::clock::SettableClock> {
    ctx.clock
        .settable()
        .ok_or_else(|| ApiError::conflict("clock_fixed", "this server's clock cannot be moved"))
}

/// Moves the clock to `now` (time keeps flowing from there).
#[utoipa::path(put, path = "/dev/clock", tag = "dev", request_body = ClockBody, responses((status = 200, body = ClockView)))]
pub async fn set_clock(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<ClockBody>,
) -> ApiResult<Json<ClockView>> {
    let at = DateTime::parse_from_rfc3339(&body.now)
        .map_err(|_| ApiError::invalid_field("now", "must be an RFC 3339 time"))?
        .with_timezone(&Utc);
    settable(&ctx)?.set(at);
    Ok(Json(ClockView {
        now: pc_platform::time::timestamp(ctx.clock.now()),
    }))
}

/// Back to system time.
#[utoipa::path(delete, path = "/dev/clock", tag = "dev", responses((status = 200, body = ClockView)))]
pub async fn reset_clock(State(ctx): State<AppState>) -> ApiResult<Json<ClockView>> {
    settable(&ctx)?.reset();
    Ok(Json(ClockView {
        now: pc_platform::time::timestamp(ctx.clock.now()),
    }))
}

/// Runs a schedule now and answers its finished run.
#[utoipa::path(post, path = "/dev/jobs/{name}/run", tag = "dev", params(("name" = String, Path)),
    responses((status = 200, body = JobRun), (status = 404)))]
pub async fn run_job(
    State(ctx): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<JobRun>)> {
    let (_, job) =
        jobs::find_job(catalog::all(), &name).ok_or_else(|| ApiError::not_found("job"))?;
    let run = jobs::execute(&ctx, &name, job, None).await?;
    Ok((StatusCode::OK, Json(run)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UploadSignature {
    expires: i64,
    signature: String,
}

/// Takes a file sent to an upload URL the embedded object store signed
/// (the stand-in for S3's presigned PUT).
#[utoipa::path(put, path = "/dev/uploads/{key}", tag = "dev",
    params(("key" = String, Path), UploadSignature),
    responses((status = 200), (status = 403), (status = 413)))]
pub async fn upload(
    State(ctx): State<AppState>,
    Path(key): Path<String>,
    axum::extract::Query(query): axum::extract::Query<UploadSignature>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    use pc_platform::objects::ObjectError;
    let now = ctx.clock.now();
    match ctx
        .objects
        .accept_upload(&key, query.expires, &query.signature, now, body.to_vec())
        .await
    {
        Ok(()) => Ok(StatusCode::OK),
        Err(ObjectError::BadSignature) => {
            Err(ApiError::forbidden("the upload URL is invalid or expired"))
        }
        Err(e @ ObjectError::TooLarge(_)) => Err(ApiError::payload_too_large(e.to_string())),
        Err(ObjectError::Unsupported) => Err(ApiError::not_found("upload target")),
        Err(e) => Err(ApiError::internal(e)),
    }
}
