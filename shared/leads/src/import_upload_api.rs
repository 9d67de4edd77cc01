//! Imports of files too large for a request body: the deployed API takes
//! at most 6 MB in a request, so a client asks
//! `POST /v1/leads/import/upload-url` for a presigned PUT URL (15 minutes),
//! sends the file straight to object storage, then starts the import with
//! `POST /v1/leads/import {uploadKey, partnerId}`. Upload keys are
//! `imports/{partnerId}/{id}.{csv|xlsx}`: a key outside the caller's
//! partner is not found, whatever it names.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_platform::objects::ObjectError;

use crate::import_api::{ImportStarted, begin_import, file_error};
use crate::import_file::{ImportFileError, MAX_FILE_BYTES, read_upload};
use crate::leads_api::target_partner;

/// How long an upload URL stays valid.
pub const UPLOAD_URL_MINUTES: i64 = 15;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadUrlRequest {
    /// The partner (platform staff only; a partner's users import for
    /// their own).
    pub partner_id: Option<String>,
    /// The file's name: `.csv` or `.xlsx`.
    pub file_name: String,
    pub content_type: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrl {
    /// `PUT` the file here (with the same `Content-Type`, if one was given).
    pub upload_url: String,
    pub upload_key: String,
    #[schema(value_type = String)]
    pub expires_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportFromUpload {
    pub upload_key: String,
    pub partner_id: Option<String>,
}

fn extension_of(file_name: &str) -> Option<&'static str> {
    let name = file_name.trim().to_lowercase();
    if name.ends_with(".csv") {
        Some("csv")
    } else if name.ends_with(".xlsx") {
        Some("xlsx")
    } else {
        None
    }
}

fn object_error(e: ObjectError) -> ApiError {
    match e {
        ObjectError::TooLarge(_) => file_error(ImportFileError::TooLarge),
        other => ApiError::unavailable(other),
    }
}

/// A URL to upload an import file to (admin), valid for 15 minutes.
#[utoipa::path(post, path = "/v1/leads/import/upload-url", tag = "leads",
    request_body = UploadUrlRequest,
    responses((status = 200, body = UploadUrl), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn upload_url(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<UploadUrlRequest>,
) -> ApiResult<Json<UploadUrl>> {
    let mut errors = Vec::new();
    let partner = target_partner(&ctx, &principal, body.partner_id.as_deref(), &mut errors).await?;
    let extension = extension_of(&body.file_name);
    if extension.is_none() {
        errors.push(FieldError::new("fileName", "must end in .csv or .xlsx"));
    }
    let content_type = body.content_type.as_deref().map(str::trim);
    if content_type
        .is_some_and(|c| c.is_empty() || c.len() > 200 || c.chars().any(char::is_control))
    {
        errors.push(FieldError::new("contentType", "must be a media type"));
    }
    let (Some(partner), Some(extension), true) = (partner, extension, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let key = format!("imports/{}/{}.{extension}", partner.id, ctx.ids.new_id());
    let expires_at = ctx.clock.now() + Duration::minutes(UPLOAD_URL_MINUTES);
    let upload_url = ctx
        .objects
        .presign_put(&key, content_type, expires_at)
        .await
        .map_err(object_error)?;
    Ok(Json(UploadUrl {
        upload_url,
        upload_key: key,
        expires_at,
    }))
}

/// `POST /v1/leads/import` with a JSON body: the import of an uploaded
/// file, which is removed once its rows are stored.
pub(crate) async fn start_from_upload(
    ctx: AppState,
    principal: Principal,
    request: Request,
) -> ApiResult<(StatusCode, Json<ImportStarted>)> {
    let ValidJson(body) = ValidJson::<ImportFromUpload>::from_request(request, &ctx).await?;
    let mut errors = Vec::new();
    let partner = target_partner(&ctx, &principal, body.partner_id.as_deref(), &mut errors).await?;
    let Some(partner) = partner.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let key = body.upload_key.trim();
    let scope = format!("imports/{}/", partner.id);
    let name = key.strip_prefix(&scope).unwrap_or_default();
    if name.is_empty() || name.contains('/') || extension_of(name).is_none() {
        return Err(ApiError::not_found("upload"));
    }
    let bytes = ctx
        .objects
        .get(key, MAX_FILE_BYTES)
        .await
        .map_err(object_error)?
        .ok_or_else(|| ApiError::not_found("upload"))?;
    let rows = read_upload(name, &bytes).map_err(file_error)?;
    let task_id = begin_import(&ctx, &principal, &partner.id, rows).await?;
    if let Err(e) = ctx.objects.delete(key).await {
        // The bucket's lifecycle rule removes it within a day anyway.
        tracing::warn!(key, error = %e, "could not remove an imported upload");
    }
    Ok((StatusCode::ACCEPTED, Json(ImportStarted { task_id })))
}
