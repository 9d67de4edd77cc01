//! Lead imports in the single table: the task with its counts and errors,
//! and the uploaded rows in pages the worker goes through one at a time.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | import task | `IMPORT#<taskId>` | `TASK` |
//! | row page | `IMPORT#<taskId>` | `ROWS#<page, 5 digits>` |
//!
//! A page holds at most [`PAGE_ROWS`] rows (a few hundred bytes each, well
//! under DynamoDB's 400 KB item limit). The task's counts move forward
//! with a write conditional on `pagesDone`, so a page delivered twice is
//! counted once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_platform::store::{Condition, Item, Key, Store, StoreError, from_item, to_item};
use pc_platform::time::serde_millis;

use crate::import_file::ImportRow;

/// Rows per stored page (and per worker message).
pub const PAGE_ROWS: usize = 500;
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
    pub pages: usize,
    pub pages_done: usize,
    pub created_by: String,
    pub created_by_name: String,
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

pub fn task_key(id: &str) -> Key {
    Key::new(format!("IMPORT#{id}"), "TASK")
}

pub fn page_key(task_id: &str, page: usize) -> Key {
    Key::new(format!("IMPORT#{task_id}"), format!("ROWS#{page:05}"))
}

fn with_key(mut item: Item, key: Key, entity: &str) -> Item {
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), entity.into());
    item
}

pub fn task_item(task: &ImportTask) -> Result<Item, StoreError> {
    Ok(with_key(to_item(task)?, task_key(&task.id), "import_task"))
}

/// Stores the rows in pages, then the task (the worker only starts once
/// the task exists, and the task only exists once every page does).
pub async fn store_import(
    store: &dyn Store,
    task: &ImportTask,
    rows: Vec<ImportRow>,
) -> Result<(), StoreError> {
    for (page, chunk) in rows.chunks(PAGE_ROWS).enumerate() {
        let item = to_item(&RowPage {
            rows: chunk.to_vec(),
        })?;
        store
            .put(
                with_key(item, page_key(&task.id, page), "import_rows"),
                None,
            )
            .await?;
    }
    store
        .put(task_item(task)?, Some(Condition::NotExists))
        .await
}

pub async fn get_task(store: &dyn Store, id: &str) -> Result<Option<ImportTask>, StoreError> {
    store.get(&task_key(id)).await?.map(from_item).transpose()
}

pub async fn page_rows(
    store: &dyn Store,
    task_id: &str,
    page: usize,
) -> Result<Vec<ImportRow>, StoreError> {
    Ok(store
        .get(&page_key(task_id, page))
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
