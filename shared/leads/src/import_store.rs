//! Lead imports in the single table: the task with its counts and errors,
//! and the uploaded rows in pages the worker goes through one at a time.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! A page holds at most [`PAGE_ROWS`] rows and [`MAX_PAGE_BYTES`] of
//! serialized rows, well under DynamoDB's 400 KB item limit whatever the
//! cells hold. Pages expire by TTL [`PAGE_TTL_DAYS`] after the upload, so
//! those of a failed or abandoned import do not stay. The task's counts
//! move forward with a write conditional on `pagesDone`, so a page
//! delivered twice is counted once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_platform::outbox::Outbox;
use pc_platform::store::{
    Condition, Item, Key, Store, StoreError, Write, from_item, retry_until_won, to_item,
};
use pc_platform::time::serde_millis;

use crate::import_file::ImportRow;
use crate::keys::{import_page_key, import_task_key};

/// Most rows per stored page (and per worker message).
pub const PAGE_ROWS: usize = 500;
/// Most serialized row bytes per stored page.
pub const MAX_PAGE_BYTES: usize = 300 * 1024;
/// Days a stored page lives (the `ttl` attribute), processed or not.
pub const PAGE_TTL_DAYS: i64 = 7;
/// Most row errors a task keeps (the counts stay exact beyond it).
pub const MAX_STORED_ERRORS: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Pending,
    Running,
    Completed,
    Failed,
}

/// One rejected field of one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// An import as stored and as `GET /v1/leads/import/{taskId}` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportTask {
    pub id: String,
    pub partner_id: String,
    pub status: TaskStatus,
    pub total: usize,
    pub processed: usize,
    pub created: usize,
    pub updated: usize,
    /// Rows that matched a lead with the same values (a re-import).
    pub unchanged: usize,
    pub failed: usize,
    pub errors: Vec<RowError>,
    /// Why the import stopped, when its status is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub pages: usize,
    pub pages_done: usize,
    pub created_by: String,
    pub created_by_name: String,
    /// Whether platform staff started the import: its rows may then set a
    /// referred lead's deal amount (see `referral_commission`).
    #[serde(default)]
    pub created_by_staff: bool,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RowPage {
    rows: Vec<ImportRow>,
}

fn with_key(mut item: Item, key: Key, entity: &str) -> Item {
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), entity.into());
    item
}

pub fn task_item(task: &ImportTask) -> Result<Item, StoreError> {
    Ok(with_key(
        to_item(task)?,
        import_task_key(&task.id),
        "import_task",
    ))
}

/// Splits rows into pages of at most [`PAGE_ROWS`] rows and
/// [`MAX_PAGE_BYTES`] serialized bytes (a row alone is always smaller: its
/// cells are capped when the file is read).
pub fn paginate(rows: Vec<ImportRow>) -> Vec<Vec<ImportRow>> {
    let mut pages = Vec::new();
    let mut page = Vec::new();
    let mut bytes = 0;
    for row in rows {
        // One more byte for the comma between rows.
        let size = serde_json::to_vec(&row).map_or(0, |b| b.len()) + 1;
        if !page.is_empty() && (page.len() == PAGE_ROWS || bytes + size > MAX_PAGE_BYTES) {
            pages.push(std::mem::take(&mut page));
            bytes = 0;
        }
        bytes += size;
        page.push(row);
    }
    if !page.is_empty() {
        pages.push(page);
    }
    pages
}

/// Stores the pages, then the task (the worker only starts once the task
/// exists, and the task only exists once every page does).
/// Stores the row pages, then the task in one transaction with `outbox`
/// (the first page's message), so a stored task always has its message on
/// the way and a failed send cannot leave it pending for ever.
pub async fn store_import(
    store: &dyn Store,
    task: &ImportTask,
    pages: Vec<Vec<ImportRow>>,
    outbox: &Outbox,
) -> Result<(), StoreError> {
    let expires = task.created_at + chrono::Duration::days(PAGE_TTL_DAYS);
    for (page, rows) in pages.into_iter().enumerate() {
        let mut item = with_key(
            to_item(&RowPage { rows })?,
            import_page_key(&task.id, page),
            "import_rows",
        );
        item.insert("ttl".into(), expires.timestamp().into());
        store.put(item, None).await?;
    }
    let mut writes = vec![Write::put_new(task_item(task)?)];
    outbox.add_to(&mut writes)?;
    store.transact(writes).await
}

pub async fn get_task(store: &dyn Store, id: &str) -> Result<Option<ImportTask>, StoreError> {
    store.get_as(&import_task_key(id)).await
}

pub async fn page_rows(
    store: &dyn Store,
    task_id: &str,
    page: usize,
) -> Result<Vec<ImportRow>, StoreError> {
    Ok(store
        .get(&import_page_key(task_id, page))
        .await?
        .map(from_item::<RowPage>)
        .transpose()?
        .map(|p| p.rows)
        .unwrap_or_default())
}

/// Saves `task` after one more page, if no other delivery of that page
/// did first; answers whether this write counted.
pub async fn save_progress(
    store: &dyn Store,
    task: &ImportTask,
    page_done: usize,
) -> Result<bool, StoreError> {
    let condition = Condition::equals("pagesDone", page_done as i64);
    match store.put(task_item(task)?, Some(condition)).await {
        Ok(()) => Ok(true),
        Err(e) if e.is_condition_failure() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Marks the task failed with `reason` unless it finished; answers whether
/// it is failed now. Progress saved meanwhile by another delivery is kept.
pub async fn mark_failed(
    store: &dyn Store,
    task_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    retry_until_won(|_| async move {
        let Some(mut task) = get_task(store, task_id).await? else {
            return Ok(Some(false));
        };
        if task.status == TaskStatus::Completed {
            return Ok(Some(false));
        }
        let condition = Condition::equals("pagesDone", task.pages_done as i64);
        task.status = TaskStatus::Failed;
        task.failure_reason = Some(reason.to_owned());
        task.updated_at = now;
        match store.put(task_item(&task)?, Some(condition)).await {
            Ok(()) => Ok(Some(true)),
            // Progress saved meanwhile: read it again.
            Err(e) if e.is_condition_failure() => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn row(number: usize, company_chars: usize) -> ImportRow {
        let mut values = BTreeMap::new();
        values.insert("email".to_owned(), format!("r{number}@x.io"));
        values.insert("company".to_owned(), "c".repeat(company_chars));
        ImportRow {
            row: number,
            values,
        }
    }

    #[test]
    fn pages_hold_at_most_their_rows_and_bytes() {
        let short: Vec<_> = (0..1_201).map(|n| row(n, 10)).collect();
        let sizes: Vec<_> = paginate(short).iter().map(Vec::len).collect();
        assert_eq!(sizes, [PAGE_ROWS, PAGE_ROWS, 201]);

        // Twelve capped cells a row: a row-count page would be ~6 MB.
        let long: Vec<_> = (0..500).map(|n| row(n, 12_000)).collect();
        let pages = paginate(long);
        assert!(pages.len() > 1);
        assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), 500);
        for page in &pages {
            let bytes = serde_json::to_vec(&RowPage { rows: page.clone() }).unwrap();
            assert!(bytes.len() <= MAX_PAGE_BYTES + 64, "{} bytes", bytes.len());
        }
        assert!(paginate(Vec::new()).is_empty());
    }
}
