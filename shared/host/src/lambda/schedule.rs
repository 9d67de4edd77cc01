//! The schedule trigger: an EventBridge Scheduler event or an owner's
//! `job-run-requested`, told apart and run as one recorded job run.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use pc_http::AppState;
use pc_http::functions::JobFn;

use super::Error;
use crate::jobs::{self, JOB_RUN_REQUESTED, JobRun};

/// The `source` of the events EventBridge Scheduler delivers to a target
/// without an explicit input.
pub const SCHEDULER_SOURCE: &str = "aws.scheduler";

pub(super) async fn run_schedule(
    ctx: AppState,
    name: &'static str,
    job: JobFn,
) -> Result<(), Error> {
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| {
            let ctx = ctx.clone();
            async move { handle_schedule(&ctx, name, job, event.payload).await }
        },
    ))
    .await
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
}
