//! The `sync-leads` worker of lead imports: each message names one stored
//! page of rows; the worker upserts its rows by partner and email, counts
//! them on the task once (a redelivered page is not counted twice), and
//! sends the next page, so an import of 50,000 rows is many short runs
//! rather than one long one. Import pages travel on `sync-leads` as
//! `{"kind": "lead_import_page", "taskId", "page"}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_accounts::partners_store::PartnerRecord;
use pc_http::audit::{self, AuditEvent};
use pc_http::functions::WorkerError;
use pc_http::{AppState, QueueMessage};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::queue::{MAX_RECEIVES, Message, QueueName};
use pc_platform::store::{StoreError, Write, retry_until_won};

use crate::deal_status::LeadSource;
use crate::import_file::ImportRow;
use crate::import_store::{
    ImportTask, MAX_STORED_ERRORS, RowError, TaskStatus, get_task, mark_failed, page_rows,
    save_progress,
};
use crate::lead::{Contact, LeadEmail, LeadRecord, parse_dollars, parse_text};
use crate::lead_notices::lead_event;
use crate::leads_store::{self, LeadWriteError, find_by_email};
use crate::referral_commission::{ChangedBy, StaffOnly};

/// The message of one import page on `sync-leads`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename = "lead_import_page", rename_all = "camelCase")]
pub struct ImportPageMessage {
    pub task_id: String,
    pub page: usize,
}

/// One of the `sync-leads` messages, told apart by `kind`.
impl Message for ImportPageMessage {
    const QUEUE: QueueName = QueueName::SyncLeads;
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
    let fields = match parse_row(row) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(RowOutcome::Failed(errors)),
    };
    retry_until_won(|_| upsert_once(ctx, task, row, &fields)).await
}

/// One attempt at upserting the row's lead, from what is stored now;
/// `None` when it lost a race (read again and retry).
async fn upsert_once(
    ctx: &AppContext,
    task: &ImportTask,
    row: &ImportRow,
    fields: &RowFields,
) -> Result<Option<RowOutcome>, StoreError> {
    let RowFields {
        email,
        contact,
        sales_manager,
        amount,
    } = fields;
    let store = &*ctx.store;
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
        lead.deal_amount_cents = *amount;
        let audit = audit_row(ctx, task, "created", None, &lead)?;
        match leads_store::create_with(store, &lead, audit).await {
            Ok(()) => return Ok(Some(RowOutcome::Created)),
            Err(LeadWriteError::EmailTaken) => return Ok(None),
            Err(LeadWriteError::NoPartner) => {
                return Ok(Some(RowOutcome::Failed(vec![RowError {
                    row: row.row,
                    field: "partnerId".into(),
                    message: "the partner no longer exists".into(),
                }])));
            }
            Err(LeadWriteError::Stale) => return Ok(None),
            Err(LeadWriteError::StaffOnly(refusal)) => {
                return Ok(Some(RowOutcome::Failed(staff_only_errors(row, &refusal))));
            }
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
        after.deal_amount_cents = *amount;
    }
    if after.same_content(&before) {
        return Ok(Some(RowOutcome::Unchanged));
    }
    after.version = before.version + 1;
    after.updated_at = now;
    let audit = audit_row(ctx, task, "updated", Some(&before), &after)?;
    let by = if task.created_by_staff {
        ChangedBy::Staff
    } else {
        ChangedBy::Partner
    };
    match leads_store::update_with(store, &before, &after, by, audit).await {
        Ok(()) => Ok(Some(RowOutcome::Updated)),
        Err(LeadWriteError::Stale | LeadWriteError::EmailTaken) => Ok(None),
        Err(LeadWriteError::NoPartner) => Ok(None),
        Err(LeadWriteError::StaffOnly(refusal)) => {
            Ok(Some(RowOutcome::Failed(staff_only_errors(row, &refusal))))
        }
        Err(LeadWriteError::Store(e)) => Err(e),
    }
}

/// A row refused for setting a referred lead's commission fields: it
/// fails whole, one error per field, and the lead keeps its values.
fn staff_only_errors(row: &ImportRow, refusal: &StaffOnly) -> Vec<RowError> {
    refusal
        .fields
        .iter()
        .map(|field| RowError {
            row: row.row,
            field: (*field).to_owned(),
            message: refusal.to_string(),
        })
        .collect()
}

/// The outbox write of a row's audit event, committed with the row's lead.
fn audit_row(
    ctx: &AppContext,
    task: &ImportTask,
    action: &str,
    before: Option<&LeadRecord>,
    after: &LeadRecord,
) -> Result<Vec<Write>, StoreError> {
    let mut event: AuditEvent = lead_event(ctx, None, action, before, after);
    event.user_id = Some(task.created_by.clone());
    event.user_name = Some(task.created_by_name.clone());
    event.id = format!("import:{}:{}:v{}", task.id, after.id, after.version);
    if let Value::Object(map) = &mut event.after {
        map.insert("importTaskId".into(), task.id.clone().into());
    }
    let mut outbox = Outbox::new(ctx.ids.new_id(), ctx.clock.now());
    audit::add_to_outbox(&mut outbox, &event)?;
    Ok(outbox.write()?.into_iter().collect())
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
        ctx.queue
            .send_message(&next)
            .await
            .map_err(WorkerError::new)?;
    }
    Ok(())
}

/// The `sync-leads` worker: import pages (the only kind sent today). A
/// page failing on its last receive, before the queue dead-letters it,
/// fails its task with the reason, so the task does not stay `running`.
pub async fn import_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let page: ImportPageMessage = message.parse()?;
    let outcome = process_page(ctx, &page).await;
    if let Err(error) = &outcome
        && message.receive_count >= MAX_RECEIVES
    {
        let reason = format!(
            "page {} failed {MAX_RECEIVES} times: {error}",
            page.page + 1
        );
        match mark_failed(&*ctx.store, &page.task_id, &reason, ctx.clock.now()).await {
            Ok(_) => tracing::warn!(task_id = %page.task_id, %reason, "import failed"),
            Err(e) => {
                tracing::error!(task_id = %page.task_id, error = %e, "could not mark the import failed")
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pc_platform::EmbeddedParts;
    use pc_platform::config::Config;
    use pc_platform::store::embedded::EmbeddedStore;
    use pc_platform::store::{Item, Store};

    use super::*;
    use crate::import_store::{store_import, task_item};
    use crate::keys::import_page_key;

    /// A task of two pages whose first page item cannot be read.
    async fn task_with_a_broken_page(ctx: &AppContext) -> ImportTask {
        let now = ctx.clock.now();
        let task = ImportTask {
            id: "T1".into(),
            partner_id: "P1".into(),
            status: TaskStatus::Pending,
            total: 2,
            processed: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
            errors: vec![],
            failure_reason: None,
            pages: 2,
            pages_done: 0,
            created_by: "U1".into(),
            created_by_name: "Una".into(),
            created_by_staff: false,
            created_at: now,
            updated_at: now,
        };
        store_import(&*ctx.store, &task, vec![], &Outbox::new("O1".into(), now))
            .await
            .unwrap();
        ctx.store
            .put(task_item(&task).unwrap(), None)
            .await
            .unwrap();
        let key = import_page_key(&task.id, 0);
        let mut broken = Item::new();
        broken.insert("pk".into(), key.pk.into());
        broken.insert("sk".into(), key.sk.into());
        broken.insert("rows".into(), "not rows".into());
        ctx.store.put(broken, None).await.unwrap();
        task
    }

    fn delivery(receive_count: u32) -> QueueMessage {
        QueueMessage {
            id: "m1".into(),
            body: r#"{"kind":"lead_import_page","taskId":"T1","page":0}"#.into(),
            receive_count,
        }
    }

    #[tokio::test]
    async fn a_page_failing_on_its_last_receive_fails_its_task() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let ctx = EmbeddedParts::new(store, Config::local_defaults()).context;
        let task = task_with_a_broken_page(&ctx).await;

        for attempt in 1..MAX_RECEIVES {
            assert!(import_worker(&ctx, &delivery(attempt)).await.is_err());
            let now = get_task(&*ctx.store, &task.id).await.unwrap().unwrap();
            assert_eq!(now.status, TaskStatus::Pending, "attempt {attempt}");
        }
        assert!(import_worker(&ctx, &delivery(MAX_RECEIVES)).await.is_err());
        let failed = get_task(&*ctx.store, &task.id).await.unwrap().unwrap();
        assert_eq!(failed.status, TaskStatus::Failed);
        let reason = failed.failure_reason.expect("a reason");
        assert!(reason.starts_with("page 1 failed 5 times"), "{reason}");
    }
}
