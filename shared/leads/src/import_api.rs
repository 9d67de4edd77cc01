//! Lead imports over HTTP: `POST /v1/leads/import` (multipart CSV/XLSX,
//! refused whole before any write when unfit) and
//! `GET /v1/leads/import/{taskId}`; the pages are worked through by
//! [`crate::import_worker`].

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use pc_platform::error_code::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::outbox::Outbox;

use crate::import_file::{ImportFileError, ImportRow, MAX_FILE_BYTES, read_upload};
use crate::import_store::{ImportTask, TaskStatus, get_task, paginate, store_import};
use crate::import_worker::ImportPageMessage;
use crate::leads_api::target_partner;

/// `{taskId}` of a started import.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportStarted {
    pub task_id: String,
}

/// A refused file: 413 when it is too big in bytes, rows or text, 400 when
/// its shape breaks a cap or it cannot be read; a broken cap is named in the
/// code (`file_cap_exceeded`) and in the detail (`file: maxColumns …`).
pub(crate) fn file_error(e: ImportFileError) -> ApiError {
    let message = e.to_string();
    let status = match e {
        ImportFileError::TooLarge
        | ImportFileError::TooManyRows
        | ImportFileError::TooMuchText
        | ImportFileError::ArchiveTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    match e.cap() {
        Some(cap) => ApiError {
            details: vec![pc_http::FieldError::new(
                "file",
                format!("{cap}: {message}"),
            )],
            ..ApiError::new(
                status,
                pc_platform::error_code::ErrorCode::FileCapExceeded,
                message,
            )
        },
        None => ApiError::invalid_field("file", message),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large("the file is larger than 10 MB")
    } else {
        ApiError::bad_request(
            ErrorCode::InvalidMultipart,
            format!("unreadable upload: {e}"),
        )
    }
}

/// The multipart body of `POST /v1/leads/import`, as documented (read
/// field by field by [`start_import`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The CSV or XLSX file (at most 10 MB and 50,000 rows, with an email
    /// column), with its file name.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// The partner whose leads these are: platform staff only (a partner's
    /// admin imports into their own partner).
    #[schema(rename = "partnerId")]
    partner_id: Option<String>,
}

/// Starts an import (admin), from either body:
/// - multipart with `file` (CSV or XLSX, ≤ 10 MB, ≤ 50,000 rows, an email
///   column) and `partnerId` (staff), for files that fit a request;
/// - JSON `{uploadKey, partnerId}` naming a file uploaded through
///   `POST /v1/leads/import/upload-url` (the deployed API takes at most
///   6 MB in a request, so larger files go this way).
#[utoipa::path(post, path = "/v1/leads/import", tag = "leads",
    request_body(content(
        (ImportUpload = "multipart/form-data"),
        (crate::import_upload_api::ImportFromUpload = "application/json")),
        description = "multipart: `file` (CSV or XLSX) and `partnerId` (platform staff only); \
            JSON: `uploadKey` from the upload URL and `partnerId`"),
    responses((status = 202, body = ImportStarted), (status = 400), (status = 404), (status = 413)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn start_import(
    State(ctx): State<AppState>,
    principal: Principal,
    request: Request,
) -> ApiResult<(StatusCode, Json<ImportStarted>)> {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if json {
        return crate::import_upload_api::start_from_upload(ctx, principal, request).await;
    }
    let mut multipart = Multipart::from_request(request, &ctx)
        .await
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidMultipart, e.body_text()))?;
    let mut partner_id = None;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("partnerId") => {
                partner_id = Some(
                    field
                        .text()
                        .await
                        .map_err(multipart_error)?
                        .trim()
                        .to_owned(),
                )
            }
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(multipart_error)?;
                if bytes.len() > MAX_FILE_BYTES {
                    return Err(file_error(ImportFileError::TooLarge));
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let partner = target_partner(&ctx, &principal, partner_id.as_deref(), &mut errors).await?;
    let Some((name, bytes)) = file else {
        errors.push(pc_http::FieldError::new("file", "is required"));
        return Err(ApiError::validation(errors));
    };
    let rows = read_upload(&name, &bytes).map_err(file_error)?;
    let Some(partner) = partner.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let task_id = begin_import(&ctx, &principal, &partner.id, rows).await?;
    Ok((StatusCode::ACCEPTED, Json(ImportStarted { task_id })))
}

/// Stores the rows of a checked file as a new task of `partner_id`, with
/// its first page's message in the same transaction; answers the task id.
pub(crate) async fn begin_import(
    ctx: &AppState,
    principal: &Principal,
    partner_id: &str,
    rows: Vec<ImportRow>,
) -> ApiResult<String> {
    let now = ctx.clock.now();
    let total = rows.len();
    let row_pages = paginate(rows);
    let pages = row_pages.len();
    let task = ImportTask {
        id: ctx.ids.new_id(),
        partner_id: partner_id.to_owned(),
        status: if pages == 0 {
            TaskStatus::Completed
        } else {
            TaskStatus::Pending
        },
        total,
        processed: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: 0,
        errors: Vec::new(),
        failure_reason: None,
        pages,
        pages_done: 0,
        created_by: principal.user_id.clone(),
        created_by_name: principal.name.clone(),
        created_by_staff: principal.is_staff(),
        created_at: now,
        updated_at: now,
    };
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    if pages > 0 {
        let message = ImportPageMessage {
            task_id: task.id.clone(),
            page: 0,
        };
        let id = format!("import:{}:page:0", task.id);
        outbox.push_message(&id, &message)?;
    }
    store_import(&*ctx.store, &task, row_pages, &outbox).await?;
    Ok(task.id)
}

/// The status of an import: counts, progress and row errors.
#[utoipa::path(get, path = "/v1/leads/import/{taskId}", tag = "leads",
    params(("taskId" = String, Path)),
    responses((status = 200, body = ImportTask), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn import_status(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(task_id): Path<String>,
) -> ApiResult<Json<ImportTask>> {
    let task = get_task(&*ctx.store, &task_id)
        .await?
        .ok_or_else(|| ApiError::not_found("import task"))?;
    principal.ensure_sees_partner(Some(&task.partner_id), "import task")?;
    Ok(Json(task))
}
