//! Development-only routes of the local server, never deployed: read the
//! mailbox, move the clock, clear an email's sign-in limits, run a
//! schedule now and wait for it, poison a queue (to see a dead letter),
//! and take uploads sent to the embedded object store's signed URLs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pc_platform::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_accounts::client_ip::ClientIp;
use pc_accounts::email_address::EmailAddress;
use pc_http::{ApiError, ApiResult, AppState, ListResponse, ValidJson};
use pc_platform::email::mailbox::{Mailbox, StoredEmail};
use pc_platform::queue::QueueName;

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
    ctx.clock.settable().ok_or_else(|| {
        ApiError::conflict(ErrorCode::ClockFixed, "this server's clock cannot be moved")
    })
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

/// Clears the sign-in limits of an email (per email, and per email from
/// the caller's address), so a lockout met while testing them ends now.
#[utoipa::path(delete, path = "/dev/sign-in-limits/{email}", tag = "dev",
    params(("email" = String, Path)), responses((status = 204), (status = 400)))]
pub async fn clear_sign_in_limits(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(email): Path<String>,
) -> ApiResult<StatusCode> {
    let email = EmailAddress::parse(&email).map_err(|m| ApiError::invalid_field("email", m))?;
    pc_accounts::auth_api::clear_sign_in_limits(&*ctx.store, &email, &ip, ctx.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body `POST /dev/queues/{queue}/poison` sends: no worker can read it.
pub const POISON_BODY: &str = "poison: not a message of this queue";

#[derive(Serialize, ToSchema)]
pub struct Poisoned {
    queue: &'static str,
    body: &'static str,
}

/// Sends a message no worker can read onto `queue`: its worker
/// dead-letters it after one try, so `GET /v1/admin/dead-letters` and the
/// redrive can be tried locally.
#[utoipa::path(post, path = "/dev/queues/{queue}/poison", tag = "dev",
    params(("queue" = String, Path)), responses((status = 202, body = Poisoned), (status = 404)))]
pub async fn poison_queue(
    State(ctx): State<AppState>,
    Path(queue): Path<String>,
) -> ApiResult<(StatusCode, Json<Poisoned>)> {
    let queue = QueueName::parse(&queue).ok_or_else(|| ApiError::not_found("queue"))?;
    ctx.queue.send(queue, POISON_BODY).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Poisoned {
            queue: queue.as_str(),
            body: POISON_BODY,
        }),
    ))
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
