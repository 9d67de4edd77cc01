//! Lead imports: `POST /v1/leads/import` (multipart CSV/XLSX, refused whole
//! before any write when unfit), `GET /v1/leads/import/{taskId}`, and the
//! worker that upserts one page of rows per message.
//!
//! SPEC §9 has no import queue, so pages travel on `sync-leads` as
//! `{"kind": "lead_import_page", "taskId", "page"}`; each page, once
//! counted, sends the next one, so an import of 50,000 rows is 100 short
//! worker runs rather than one long one.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_accounts::partners_store::PartnerRecord;
use pc_api::audit::{self, AuditEvent};
use pc_api::functions::WorkerError;
use pc_api::{ApiError, ApiResult, AppState, Principal, QueueMessage};
use pc_platform::AppContext;
use pc_platform::queue::{QueueName, send_json};
use pc_platform::store::StoreError;

use crate::deal_status::LeadSource;
use crate::import_file::{ImportFileError, ImportRow, MAX_FILE_BYTES, read_upload};
use crate::import_store::{
    ImportTask, MAX_STORED_ERRORS, PAGE_ROWS, RowError, TaskStatus, get_task, page_rows,
    save_progress, store_import,
};
use crate::lead::{Contact, LeadEmail, LeadRecord, parse_dollars, parse_text};
use crate::lead_notices::lead_event;
use crate::leads_api::target_partner;
use crate::leads_store::{LeadWriteError, create_lead, find_by_email, update_lead};

/// The message of one import page on `sync-leads`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename = "lead_import_page", rename_all = "camelCase")]
pub struct ImportPageMessage {
    pub task_id: String,
    pub page: usize,
}

/// `{taskId}` of a started import.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportStarted {
    pub task_id: String,
}

/// A refused file: 413 when it is too big in bytes, rows or text, 400 when
/// its shape breaks a cap or it cannot be read; a broken cap is named in the
/// code (`file_cap_exceeded`) and in the detail (`file: maxColumns …`).
fn file_error(e: ImportFileError) -> ApiError {
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
            details: vec![pc_api::FieldError::new("file", format!("{cap}: {message}"))],
            ..ApiError::new(status, "file_cap_exceeded", message)
        },
        None => ApiError::invalid_field("file", message),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large("the file is larger than 10 MB")
    } else {
        ApiError::bad_request("invalid_multipart", format!("unreadable upload: {e}"))
    }
}

/// Starts an import (admin): multipart with `file` (CSV or XLSX, ≤ 10 MB,
/// ≤ 50,000 rows, an email column) and `partnerId` (staff).
#[utoipa::path(post, path = "/v1/leads/import", tag = "leads",
    request_body(content_type = "multipart/form-data", content = Object,
        description = "`file`: CSV or XLSX; `partnerId`: the partner (platform staff only)"),
    responses((status = 202, body = ImportStarted), (status = 400), (status = 413)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn start_import(
    State(ctx): State<AppState>,
    principal: Principal,
    mut multipart: Multipart,
) -> ApiResult<(StatusCode, Json<ImportStarted>)> {
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
        errors.push(pc_api::FieldError::new("file", "is required"));
        return Err(ApiError::validation(errors));
    };
    let rows = read_upload(&name, &bytes).map_err(file_error)?;
    let Some(partner) = partner.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let now = ctx.clock.now();
    let pages = rows.len().div_ceil(PAGE_ROWS);
    let task = ImportTask {
        id: ctx.ids.new_id(),
        partner_id: partner.id.clone(),
        status: if pages == 0 {
            TaskStatus::Completed
        } else {
            TaskStatus::Pending
        },
        total: rows.len(),
        processed: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: 0,
        errors: Vec::new(),
        pages,
        pages_done: 0,
        created_by: principal.user_id.clone(),
        created_by_name: principal.name.clone(),
        created_at: now,
        updated_at: now,
    };
    store_import(&*ctx.store, &task, rows).await?;
    if pages > 0 {
        let message = ImportPageMessage {
            task_id: task.id.clone(),
            page: 0,
        };
        send_json(&*ctx.queue, QueueName::SyncLeads, &message).await?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(ImportStarted { task_id: task.id }),
    ))
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

/// What one row did.
#[derive(Debug, PartialEq, Eq)]
pub enum RowOutcome {
    Created,
    Updated,
    Unchanged,
    Failed(Vec<RowError>),
}

/// The lead fields of one row, checked.
struct RowFields {
    email: LeadEmail,
    contact: Contact,
    sales_manager: Option<String>,
    amount: Option<i64>,
}

/// The lead fields of a row, checked; every bad field is named.
fn parse_row(row: &ImportRow) -> Result<RowFields, Vec<RowError>> {
    let mut errors = Vec::new();
    let error = |field: &str, message: &str| RowError {
        row: row.row,
        field: field.to_owned(),
        message: message.to_owned(),
    };
    let email = match row.values.get("email").map(|e| LeadEmail::parse(e)) {
        Some(Ok(e)) => Some(e),
        Some(Err(m)) => {
            errors.push(error("email", m));
            None
        }
        None => {
            errors.push(error("email", "is required"));
            None
        }
    };
    let mut contact = Contact::default();
    for field in Contact::FIELDS {
        if let Some(value) = row.values.get(field) {
            match parse_text(value) {
                Ok(v) => *contact.field_mut(field).expect("a contact field") = v,
                Err(m) => errors.push(error(field, &m)),
            }
        }
    }
    let sales_manager = match row.values.get("salesManager").map(|v| parse_text(v)) {
        Some(Ok(v)) => v,
        Some(Err(m)) => {
            errors.push(error("salesManager", &m));
            None
        }
        None => None,
    };
    let amount = match row.values.get("dealAmount") {
        Some(text) => match text
            .trim()
            .trim_start_matches('$')
            .replace(',', "")
            .parse::<serde_json::Number>()
            .map_err(|_| "must be an amount")
            .and_then(|n| parse_dollars(&n))
        {
            Ok(c) => Some(c),
            Err(m) => {
                errors.push(error("dealAmount", m));
                None
            }
        },
        None => None,
    };
    match (email, errors.is_empty()) {
        (Some(email), true) => Ok(RowFields {
            email,
            contact,
            sales_manager,
            amount,
        }),
        _ => Err(errors),
    }
}

/// Upserts one row's lead by partner and email: new leads are created;
/// existing ones take the row's non-empty values; the same values change
/// nothing (so re-importing a file is a no-op).
pub async fn upsert_row(
    ctx: &AppContext,
    task: &ImportTask,
    row: &ImportRow,
) -> Result<RowOutcome, StoreError> {
    let RowFields {
        email,
        contact,
        sales_manager,
        amount,
    } = match parse_row(row) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(RowOutcome::Failed(errors)),
    };
    let store = &*ctx.store;
    for _ in 0..5 {
        let now = ctx.clock.now();
        let existing = find_by_email(store, &task.partner_id, email.as_str()).await?;
        let Some(before) = existing else {
            let mut lead = LeadRecord::new(
                ctx.ids.new_id(),
                task.partner_id.clone(),
                email.clone(),
                LeadSource::Import,
                now,
            );
            lead.contact = contact.clone();
            lead.sales_manager = sales_manager.clone();
            lead.deal_amount_cents = amount;
            match create_lead(store, &lead).await {
                Ok(()) => {
                    audit_row(ctx, task, "created", None, &lead).await?;
                    return Ok(RowOutcome::Created);
                }
                Err(LeadWriteError::EmailTaken) => continue,
                Err(LeadWriteError::NoPartner) => {
                    return Ok(RowOutcome::Failed(vec![RowError {
                        row: row.row,
                        field: "partnerId".into(),
                        message: "the partner no longer exists".into(),
                    }]));
                }
                Err(LeadWriteError::Stale) => continue,
                Err(LeadWriteError::Store(e)) => return Err(e),
            }
        };
        let mut after = before.clone();
        let mut raw = contact.clone();
        for field in Contact::FIELDS {
            if let Some(value) = raw.field_mut(field).and_then(Option::take) {
                *after.contact.field_mut(field).expect("a contact field") = Some(value);
            }
        }
        if sales_manager.is_some() {
            after.sales_manager = sales_manager.clone();
        }
        if amount.is_some() {
            after.deal_amount_cents = amount;
        }
        if after.same_content(&before) {
            return Ok(RowOutcome::Unchanged);
        }
        after.version = before.version + 1;
        after.updated_at = now;
        match update_lead(store, &before, &after).await {
            Ok(()) => {
                audit_row(ctx, task, "updated", Some(&before), &after).await?;
                return Ok(RowOutcome::Updated);
            }
            Err(LeadWriteError::Stale | LeadWriteError::EmailTaken) => continue,
            Err(LeadWriteError::NoPartner) => continue,
            Err(LeadWriteError::Store(e)) => return Err(e),
        }
    }
    Err(StoreError::TransactionConflict)
}

async fn audit_row(
    ctx: &AppContext,
    task: &ImportTask,
    action: &str,
    before: Option<&LeadRecord>,
    after: &LeadRecord,
) -> Result<(), StoreError> {
    let mut event: AuditEvent = lead_event(ctx, None, action, before, after);
    event.user_id = Some(task.created_by.clone());
    event.user_name = Some(task.created_by_name.clone());
    event.id = format!("import:{}:{}:v{}", task.id, after.id, after.version);
    if let Value::Object(map) = &mut event.after {
        map.insert("importTaskId".into(), task.id.clone().into());
    }
    audit::record(ctx, &event)
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))
}

/// Processes one page of an import and sends the next.
pub async fn process_page(
    ctx: &AppContext,
    message: &ImportPageMessage,
) -> Result<(), WorkerError> {
    let store = &*ctx.store;
    let Some(mut task) = get_task(store, &message.task_id)
        .await
        .map_err(WorkerError::new)?
    else {
        return Err(WorkerError::new(format!(
            "no import task {}",
            message.task_id
        )));
    };
    if task.pages_done > message.page {
        // Counted already (a redelivery); make sure the chain goes on.
        return send_next(ctx, &task, message.page).await;
    }
    if task.pages_done < message.page {
        return Err(WorkerError::new(
            "an earlier page is not counted yet; retry",
        ));
    }
    let rows = page_rows(store, &task.id, message.page)
        .await
        .map_err(WorkerError::new)?;
    let partner: Option<PartnerRecord> =
        pc_accounts::partners_store::get_partner(store, &task.partner_id)
            .await
            .map_err(WorkerError::new)?;
    for row in &rows {
        let outcome = if partner.is_some() {
            upsert_row(ctx, &task, row)
                .await
                .map_err(WorkerError::new)?
        } else {
            RowOutcome::Failed(vec![RowError {
                row: row.row,
                field: "partnerId".into(),
                message: "the partner no longer exists".into(),
            }])
        };
        task.processed += 1;
        match outcome {
            RowOutcome::Created => task.created += 1,
            RowOutcome::Updated => task.updated += 1,
            RowOutcome::Unchanged => task.unchanged += 1,
            RowOutcome::Failed(errors) => {
                task.failed += 1;
                let room = MAX_STORED_ERRORS.saturating_sub(task.errors.len());
                task.errors.extend(errors.into_iter().take(room));
            }
        }
    }
    task.pages_done = message.page + 1;
    task.status = if task.pages_done >= task.pages {
        TaskStatus::Completed
    } else {
        TaskStatus::Running
    };
    task.updated_at = ctx.clock.now();
    if save_progress(store, &task, message.page)
        .await
        .map_err(WorkerError::new)?
    {
        send_next(ctx, &task, message.page).await?;
    }
    Ok(())
}

async fn send_next(ctx: &AppContext, task: &ImportTask, page: usize) -> Result<(), WorkerError> {
    if page + 1 < task.pages {
        let next = ImportPageMessage {
            task_id: task.id.clone(),
            page: page + 1,
        };
        send_json(&*ctx.queue, QueueName::SyncLeads, &next)
            .await
            .map_err(WorkerError::new)?;
    }
    Ok(())
}

/// The `sync-leads` worker: import pages (the only kind sent today).
pub async fn import_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let page: ImportPageMessage = serde_json::from_str(&message.body)
        .map_err(|e| WorkerError::new(format!("not a lead import page: {e}")))?;
    process_page(ctx, &page).await
}
