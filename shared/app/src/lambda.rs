//! The Lambda runners: what each `functions/` binary runs. [`run`] finds
//! the function in the table, builds the context once per cold start and
//! serves the function's trigger until Lambda freezes the process:
//!
//! | trigger | event in | answer out |
//! |---|---|---|
//! | HTTP route | API Gateway HTTP API (payload 2.0) | v2 response, cookies in `cookies` |
//! | webhook | function URL (same 2.0 shape, body often base64) | v2 response |
//! | queue worker | SQS batch | `batchItemFailures` of the failed messages |
//! | schedule | EventBridge Scheduler event, or `job-run-requested` from the bus | the finished job run |
//!
//! The event-to-handler steps are plain async functions over an
//! [`AppState`] ([`http_app`], [`webhook_app`], [`handle_sqs`],
//! [`handle_schedule`]), so tests feed them sample events with an embedded
//! context and no Lambda runtime.
//!
//! Benchmarks only: when `PC_EMBEDDED_STORE_DIR` is set the context is the
//! embedded one, its store file under that directory and the settings read
//! like the dev server reads them (local defaults fill the gaps), instead
//! of the AWS adapters. Never set it in a deployed function.

use std::path::Path;
use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use axum::Router;
use futures::future::join_all;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tower_http::trace::TraceLayer;

use pc_api::functions::{Function, JobFn, Trigger, WorkerFn};
use pc_api::{AppState, router};
use pc_platform::EmbeddedParts;
use pc_platform::config::{Config, Mode};
use pc_platform::queue::QueueMessage;
use pc_platform::store::embedded::EmbeddedStore;

use crate::catalog;
use crate::jobs::{self, JOB_RUN_REQUESTED, JobRun};

/// The error a runner stops with (shown by Lambda as the init or invoke error).
pub type Error = lambda_runtime::Error;

/// Benchmarks only: run on the embedded adapters, store under this directory.
pub const EMBEDDED_STORE_DIR: &str = "PC_EMBEDDED_STORE_DIR";

/// The `source` of the events EventBridge Scheduler delivers to a target
/// without an explicit input.
pub const SCHEDULER_SOURCE: &str = "aws.scheduler";

/// SQS's attribute counting the deliveries of a message.
const RECEIVE_COUNT_ATTRIBUTE: &str = "ApproximateReceiveCount";

/// Runs the function called `name` on the Lambda runtime; returns only when
/// it cannot start (unknown name, missing setting) or the runtime stops.
pub fn run(name: &str) -> Result<(), Error> {
    pc_api::telemetry::init(true);
    let function = deployed_function(name).inspect_err(|e| {
        tracing::error!(function = name, error = %e, "cannot start");
    })?;
    // One thread: a Lambda instance handles one event at a time, and a
    // multi-threaded runtime only costs start-up time and memory.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let ctx = context_from_env(function).await.inspect_err(|e| {
            tracing::error!(function = name, error = %e, "cannot start");
        })?;
        tracing::info!(function = name, kind = function.kind(), "cold start done");
        serve(ctx, function).await
    })
}

/// The deployed function called `name`, or an error naming it.
pub fn deployed_function(name: &str) -> Result<&'static Function, Error> {
    match catalog::find(name) {
        Some(f) if !matches!(f.trigger, Trigger::Dev(_)) => Ok(f),
        Some(_) => Err(format!("function {name} is development-only and never deployed").into()),
        None => Err(format!("no function named {name} in the function table").into()),
    }
}

/// The context of this process, built once: the AWS adapters from the
/// environment, or the embedded ones when [`EMBEDDED_STORE_DIR`] is set.
/// A missing or invalid setting is an error naming it; of the secrets, the
/// process reads only those `function` holds.
pub async fn context_from_env(function: &Function) -> Result<AppState, Error> {
    if let Some(dir) = std::env::var_os(EMBEDDED_STORE_DIR).filter(|d| !d.is_empty()) {
        let config = Config::from_env(Mode::Local, &function.secrets())?;
        let path = Path::new(&dir).join("store.redb");
        let store = EmbeddedStore::open(&path)
            .map_err(|e| format!("opening the embedded store {}: {e}", path.display()))?;
        return Ok(EmbeddedParts::new(Arc::new(store), config).context);
    }
    let config = Config::from_env(Mode::Lambda, &function.secrets())?;
    Ok(Arc::new(pc_aws::aws_context(config).await))
}

/// Serves `function`'s trigger with `ctx` until the runtime stops.
pub async fn serve(ctx: AppState, function: &'static Function) -> Result<(), Error> {
    match function.trigger {
        Trigger::Http(_) => lambda_http::run(http_app(&ctx, function)).await,
        Trigger::Webhook(_) => lambda_http::run(webhook_app(&ctx, function)).await,
        Trigger::Queue(_, worker) => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
                let ctx = ctx.clone();
                async move {
                    Ok::<_, Error>(handle_sqs(&ctx, function.name, worker, event.payload).await)
                }
            }))
            .await
        }
        Trigger::Schedule(_, job) => {
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<EventBridgeEvent<Value>>| {
                    let ctx = ctx.clone();
                    async move { handle_schedule(&ctx, function.name, job, event.payload).await }
                },
            ))
            .await
        }
        Trigger::Dev(_) => Err(format!("{} is development-only", function.name).into()),
    }
}

/// The router of one HTTP function behind the HTTP API: its route with the
/// auth layer, and the layers every HTTP router gets.
pub fn http_app(ctx: &AppState, function: &Function) -> Router {
    router::with_common_layers(
        router::functions_router(ctx, std::slice::from_ref(function)),
        &ctx.config,
    )
}

/// The router of one webhook behind its function URL: the handler answers
/// any path (the URL is the function's own), with the raw body bytes
/// (lambda_http decodes a base64 function-URL body before it gets here).
pub fn webhook_app(ctx: &AppState, function: &Function) -> Router {
    router::webhook_router(ctx, function).layer(TraceLayer::new_for_http())
}

/// The worker's view of one SQS record; `None` without a message id.
pub fn queue_message(record: &SqsMessage) -> Option<QueueMessage> {
    Some(QueueMessage {
        id: record.message_id.clone()?,
        body: record.body.clone().unwrap_or_default(),
        receive_count: record
            .attributes
            .get(RECEIVE_COUNT_ATTRIBUTE)
            .and_then(|c| c.parse().ok())
            .unwrap_or(1),
    })
}

/// Runs `worker` on every message of the batch at once and answers the ids
/// of those that failed, so SQS retries only them (the event source mapping
/// has `ReportBatchItemFailures`). One message's failure never fails the
/// others.
pub async fn handle_sqs(
    ctx: &AppState,
    name: &str,
    worker: WorkerFn,
    event: SqsEvent,
) -> SqsBatchResponse {
    let outcomes = join_all(event.records.iter().map(|record| async move {
        let Some(message) = queue_message(record) else {
            tracing::error!(function = name, "SQS record without a message id");
            // An empty identifier makes Lambda retry the whole batch, the
            // only safe answer for a message that cannot be named.
            return Some(String::new());
        };
        match worker(ctx, &message).await {
            Ok(()) => None,
            Err(e) => {
                tracing::warn!(function = name, message_id = %message.id,
                    attempt = message.receive_count, error = %e, "worker failed");
                Some(message.id)
            }
        }
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = outcomes
        .into_iter()
        .flatten()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// Why a schedule function was invoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleInvocation {
    /// Its EventBridge Scheduler schedule fired.
    Scheduled,
    /// An owner asked for run `run_id` (the bus's `job-run-requested`).
    Requested { run_id: String },
}

/// Reads a schedule function's event: the scheduler's default event, or
/// `job-run-requested` for this job. Anything else is an error naming it.
pub fn schedule_invocation(
    name: &str,
    event: &EventBridgeEvent<Value>,
) -> Result<ScheduleInvocation, Error> {
    if event.detail_type == JOB_RUN_REQUESTED {
        let job = event.detail.get("job").and_then(Value::as_str);
        if job != Some(name) {
            return Err(format!("{JOB_RUN_REQUESTED} for job {job:?} reached {name}").into());
        }
        let run_id = event
            .detail
            .get("runId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| format!("{JOB_RUN_REQUESTED} without detail.runId"))?;
        return Ok(ScheduleInvocation::Requested {
            run_id: run_id.to_owned(),
        });
    }
    if event.source == SCHEDULER_SOURCE {
        return Ok(ScheduleInvocation::Scheduled);
    }
    Err(format!(
        "unexpected event for schedule {name}: source {}, detail-type {}",
        event.source, event.detail_type
    )
    .into())
}

/// Runs the job for a schedule event and answers the finished run; a run
/// that failed is an error too, so the invocation counts as failed.
pub async fn handle_schedule(
    ctx: &AppState,
    name: &str,
    job: JobFn,
    event: EventBridgeEvent<Value>,
) -> Result<JobRun, Error> {
    let run_id = match schedule_invocation(name, &event)? {
        ScheduleInvocation::Scheduled => None,
        ScheduleInvocation::Requested { run_id } => Some(run_id),
    };
    let run = jobs::execute(ctx, name, job, run_id.as_deref())
        .await
        .map_err(|e| format!("job {name} could not record its run: {e:?}"))?;
    if run.status == "failed" {
        return Err(format!(
            "job {name} run {} failed: {}",
            run.id,
            run.error.as_deref().unwrap_or("no error recorded")
        )
        .into());
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: Value) -> EventBridgeEvent<Value> {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn schedule_events_are_told_apart() {
        let scheduled = event(serde_json::json!({
            "version": "0", "id": "1", "detail-type": "Scheduled Event",
            "source": "aws.scheduler", "account": "123456789012",
            "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/x"],
            "detail": "{}"
        }));
        assert_eq!(
            schedule_invocation("hubspot-sync", &scheduled).unwrap(),
            ScheduleInvocation::Scheduled
        );
        let requested = event(serde_json::json!({
            "detail-type": "job-run-requested", "source": "partner-connector",
            "detail": {"job": "hubspot-sync", "runId": "01J"}
        }));
        assert_eq!(
            schedule_invocation("hubspot-sync", &requested).unwrap(),
            ScheduleInvocation::Requested {
                run_id: "01J".into()
            }
        );
        let other_job = schedule_invocation("monthly-invoices", &requested).unwrap_err();
        assert!(other_job.to_string().contains("monthly-invoices"));
        let no_run = event(serde_json::json!({
            "detail-type": "job-run-requested", "source": "partner-connector",
            "detail": {"job": "hubspot-sync"}
        }));
        assert!(schedule_invocation("hubspot-sync", &no_run).is_err());
        let stranger = event(serde_json::json!({
            "detail-type": "lead-sold", "source": "partner-connector", "detail": {}
        }));
        assert!(
            schedule_invocation("hubspot-sync", &stranger)
                .unwrap_err()
                .to_string()
                .contains("lead-sold")
        );
    }

    #[test]
    fn unknown_and_dev_functions_do_not_start() {
        let Err(unknown) = deployed_function("no-such-function") else {
            panic!("an unknown function must not start");
        };
        assert!(unknown.to_string().contains("no-such-function"));
        assert!(deployed_function("health").is_ok());
    }
}
