//! Schedule runs: each run of a scheduled job, by the schedule or on an
//! owner's demand, is recorded (start, end, counts, errors) and listed.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! An on-demand run is requested (`pending`) and announced on the event
//! bus as `job-run-requested`; the job's own function picks it up. Moving a
//! run from `pending` to `running` is a conditional write, so a duplicated
//! announcement never runs a job twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use pc_http::functions::{Function, JobFn, Trigger};
use pc_http::{ApiError, AppState};
use pc_platform::bus::BusEvent;
use pc_platform::store::{Condition, Index, Query, Update, from_item, to_item};
use pc_platform::time::serde_millis;

use crate::keys::{RUNS_PARTITION, run_key};

/// The bus event that asks a job's function to run a requested run.
pub const JOB_RUN_REQUESTED: &str = "job-run-requested";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRun {
    pub id: String,
    pub job: String,
    /// `schedule` or `manual`.
    pub trigger: String,
    /// `pending`, `running`, `completed` or `failed`.
    pub status: String,
    pub requested_by: Option<String>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub requested_at: DateTime<Utc>,
    #[serde(default, with = "serde_millis::option")]
    #[schema(value_type = Option<String>)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, with = "serde_millis::option")]
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    /// What the run counted, by name (`sent`, `skipped`...).
    #[schema(value_type = std::collections::BTreeMap<String, u64>)]
    pub counts: Map<String, Value>,
    pub note: Option<String>,
    pub error: Option<String>,
}

async fn save_new(ctx: &AppState, run: &JobRun) -> Result<(), ApiError> {
    let mut item = to_item(run)?;
    let key = run_key(&run.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "job_run".into());
    item.insert("gsi1pk".into(), RUNS_PARTITION.into());
    item.insert(
        "gsi1sk".into(),
        format!(
            "{}#{}",
            pc_platform::time::timestamp(run.requested_at),
            run.id
        )
        .into(),
    );
    ctx.store.put(item, Some(Condition::NotExists)).await?;
    Ok(())
}

/// Records a pending on-demand run of `job` and announces it.
pub async fn request_run(
    ctx: &AppState,
    job: &str,
    requested_by: Option<String>,
) -> Result<JobRun, ApiError> {
    let run = JobRun {
        id: ctx.ids.new_id(),
        job: job.to_owned(),
        trigger: "manual".into(),
        status: "pending".into(),
        requested_by,
        requested_at: ctx.clock.now(),
        started_at: None,
        finished_at: None,
        counts: Map::new(),
        note: None,
        error: None,
    };
    save_new(ctx, &run).await?;
    ctx.bus
        .publish(&[BusEvent {
            detail_type: JOB_RUN_REQUESTED.into(),
            detail: json!({"job": job, "runId": run.id}),
        }])
        .await
        .map_err(ApiError::unavailable)?;
    Ok(run)
}

pub async fn get_run(ctx: &AppState, id: &str) -> Result<Option<JobRun>, ApiError> {
    Ok(ctx.store.get_as(&run_key(id)).await?)
}

/// The most recent runs of every job, newest first.
pub async fn recent_runs(ctx: &AppState, limit: usize) -> Result<Vec<JobRun>, ApiError> {
    let page = ctx
        .store
        .query(
            &Query::partition(Index::Gsi1, RUNS_PARTITION)
                .descending()
                .limit(limit),
        )
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?)
}

/// Runs `job`: the requested run `run_id` if given (once, however often
/// asked), else a new scheduled run. Answers the finished run record.
pub async fn execute(
    ctx: &AppState,
    name: &str,
    job: JobFn,
    run_id: Option<&str>,
) -> Result<JobRun, ApiError> {
    let now = ctx.clock.now();
    let run = match run_id {
        Some(id) => {
            let update = Update::new(run_key(id))
                .set("status", "running")
                .set("startedAt", pc_platform::time::timestamp(now))
                .when(Condition::equals("status", "pending").and(Condition::equals("job", name)));
            match ctx.store.update(update).await {
                Ok(item) => from_item::<JobRun>(item)?,
                Err(e) if e.is_condition_failure() => {
                    return get_run(ctx, id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("job run"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let run = JobRun {
                id: ctx.ids.new_id(),
                job: name.to_owned(),
                trigger: "schedule".into(),
                status: "running".into(),
                requested_by: None,
                requested_at: now,
                started_at: Some(now),
                finished_at: None,
                counts: Map::new(),
                note: None,
                error: None,
            };
            save_new(ctx, &run).await?;
            run
        }
    };
    let outcome = job(ctx, now).await;
    let finished = ctx.clock.now();
    let mut update =
        Update::new(run_key(&run.id)).set("finishedAt", pc_platform::time::timestamp(finished));
    match &outcome {
        Ok(report) => {
            tracing::info!(job = name, run_id = %run.id, counts = ?report.counts, note = ?report.note, "job completed");
            update = update
                .set("status", "completed")
                .set("counts", Value::Object(report.counts.clone()));
            if let Some(note) = &report.note {
                update = update.set("note", note.clone());
            }
        }
        Err(e) => {
            tracing::error!(job = name, run_id = %run.id, error = %e, "job failed");
            update = update.set("status", "failed").set("error", e.to_string());
        }
    }
    let item = ctx.store.update(update).await?;
    Ok(from_item(item)?)
}

/// The schedule functions of `functions`, by name.
pub fn find_job<'a>(functions: &'a [Function], name: &str) -> Option<(&'a Function, JobFn)> {
    functions
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| match f.trigger {
            Trigger::Schedule(_, job) => Some((f, job)),
            _ => None,
        })
}
