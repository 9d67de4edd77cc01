//! HubSpot sync tasks: one run of a partner's sync (on demand, or the
//! schedule's incremental run) with its progress, counted once per page
//! however often a page is delivered.
//!
//! Its items and their keys: [`crate::keys`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_platform::store::{
    Condition, Guard, Item, Store, StoreError, Transaction, Update, Write, to_item,
};
use pc_platform::time::serde_millis;

use crate::keys::{sync_page_key, sync_task_key};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncStatus {
    Pending,
    Running,
    Completed,
    Failed,
}

/// Every lead of the partner, or only those changed since the last sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    Full,
    Incremental,
}

/// A sync as stored; `GET /v1/sync/tasks/{taskId}` shows its [`SyncTaskView`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncTask {
    pub id: String,
    pub partner_id: String,
    pub mode: SyncMode,
    pub status: SyncStatus,
    pub total: u64,
    pub synced: u64,
    pub failed: u64,
    pub conflicts: u64,
    /// Leads not sent because no stage of the pipeline stands for their
    /// status; `skipped_reason` says which statuses.
    #[serde(default)]
    pub skipped: u64,
    #[serde(default)]
    pub skipped_reason: Option<String>,
    /// Pages sent, known once the leads are listed.
    pub pages: Option<u64>,
    pub pages_done: u64,
    pub failure_reason: Option<String>,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

/// A sync's progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncTaskView {
    pub id: String,
    pub partner_id: String,
    pub mode: SyncMode,
    pub status: SyncStatus,
    pub total: u64,
    pub synced: u64,
    pub failed: u64,
    pub conflicts: u64,
    /// Leads not sent: no stage of the partner's pipeline stands for
    /// their status (they stay marked changed for the next sync).
    pub skipped: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl SyncTaskView {
    pub fn of(task: &SyncTask) -> Self {
        Self {
            id: task.id.clone(),
            partner_id: task.partner_id.clone(),
            mode: task.mode,
            status: task.status,
            total: task.total,
            synced: task.synced,
            failed: task.failed,
            conflicts: task.conflicts,
            skipped: task.skipped,
            skipped_reason: task.skipped_reason.clone(),
            failure_reason: task.failure_reason.clone(),
            created_at: pc_platform::time::timestamp(task.created_at),
            updated_at: pc_platform::time::timestamp(task.updated_at),
        }
    }
}

pub fn task_item(task: &SyncTask) -> Result<Item, StoreError> {
    let key = sync_task_key(&task.id);
    let mut item = to_item(task)?;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_sync_task".into());
    Ok(item)
}

pub async fn create_task(store: &dyn Store, task: &SyncTask) -> Result<(), StoreError> {
    store
        .put(task_item(task)?, Some(Condition::NotExists))
        .await
}

pub async fn get_task(store: &dyn Store, id: &str) -> Result<Option<SyncTask>, StoreError> {
    store.get_as(&sync_task_key(id)).await
}

/// Records the leads listed and the pages sent; the task is running, or
/// completed when its pages were all counted already (pages may be
/// worked before this is written) or there were none.
pub async fn set_planned(
    store: &dyn Store,
    id: &str,
    total: u64,
    pages: u64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .update(
            Update::new(sync_task_key(id))
                .set("total", total)
                .set("pages", pages)
                .set("status", "running")
                .set("updatedAt", pc_platform::time::timestamp(now))
                .when(Condition::present("pk")),
        )
        .await?;
    complete_when_counted(store, id).await
}

/// Completes a running task whose pages are all counted.
async fn complete_when_counted(store: &dyn Store, task_id: &str) -> Result<(), StoreError> {
    if let Some(task) = get_task(store, task_id).await?
        && task.pages.is_some_and(|p| task.pages_done >= p)
        && task.status == SyncStatus::Running
    {
        let done = Update::new(sync_task_key(task_id))
            .set("status", "completed")
            .when(Condition::equals("status", "running"));
        match store.update(done).await {
            Err(StoreError::ConditionFailed) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

/// What one page did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageCounts {
    pub synced: u64,
    pub failed: u64,
    pub conflicts: u64,
    /// Leads whose status no stage stands for: not sent.
    pub skipped: u64,
}

/// Counts a page once: its marker and the task's counts in one
/// transaction (a page counted before changes nothing), with why leads
/// were skipped when some were. Then completes the task when every page is
/// counted.
pub async fn count_page(
    store: &dyn Store,
    task_id: &str,
    page: u64,
    counts: PageCounts,
    skipped_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let key = sync_page_key(task_id, page);
    let mut marker = Item::new();
    marker.insert("pk".into(), key.pk.into());
    marker.insert("sk".into(), key.sk.into());
    marker.insert("entity".into(), "hubspot_sync_page".into());
    let mut update = Update::new(sync_task_key(task_id))
        .add("synced", counts.synced as i64)
        .add("failed", counts.failed as i64)
        .add("conflicts", counts.conflicts as i64)
        .add("skipped", counts.skipped as i64)
        .add("pagesDone", 1)
        .set("updatedAt", pc_platform::time::timestamp(now))
        .when(Condition::present("pk"));
    if let (true, Some(reason)) = (counts.skipped > 0, skipped_reason) {
        update = update.set("skippedReason", reason);
    }
    /// The page was counted before.
    const PAGE_MARKER: Guard = Guard::new("page_marker");
    let mut writes = Transaction::new();
    writes.guarded(PAGE_MARKER, Write::put_new(marker));
    writes.push(Write::Update(update));
    match writes.commit(store).await {
        Err(e) if e.failed(PAGE_MARKER) => {}
        other => other?,
    }
    complete_when_counted(store, task_id).await
}

/// Marks the task failed with `reason`.
pub async fn mark_failed(
    store: &dyn Store,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .update(
            Update::new(sync_task_key(id))
                .set("status", "failed")
                .set("failureReason", reason)
                .set("updatedAt", pc_platform::time::timestamp(now))
                .when(Condition::present("pk")),
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::embedded::EmbeddedStore;

    #[tokio::test]
    async fn a_task_completes_once_planned_and_counted_whatever_the_order() {
        let store = EmbeddedStore::in_memory();
        let now = Utc::now();
        let task = SyncTask {
            id: "T1".into(),
            partner_id: "P1".into(),
            mode: SyncMode::Full,
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
        create_task(&store, &task).await.unwrap();
        let counts = PageCounts {
            synced: 100,
            failed: 1,
            conflicts: 2,
            skipped: 0,
        };
        count_page(&store, "T1", 0, counts, None, now)
            .await
            .unwrap();
        set_planned(&store, "T1", 150, 2, now).await.unwrap();
        count_page(&store, "T1", 1, counts, None, now)
            .await
            .unwrap();
        count_page(&store, "T1", 1, counts, None, now)
            .await
            .unwrap();
        let done = get_task(&store, "T1").await.unwrap().unwrap();
        assert_eq!(done.status, SyncStatus::Completed);
        assert_eq!(
            (done.synced, done.failed, done.conflicts, done.pages_done),
            (200, 2, 4, 2)
        );
    }
}
