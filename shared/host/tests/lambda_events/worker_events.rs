//! Queue and bus events through the worker and schedule runners: a failed
//! message is reported alone, a requested run runs once through its bus
//! event, and a poison message is dead-lettered, not retried.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use serde_json::{Value, json};

use pc_host::{catalog, lambda};
use pc_http::functions::Trigger;
use pc_http::{AppState, Permissions};
use pc_platform::AppContext;
use pc_platform::queue::QueueName;

use crate::context;

async fn failing_on_bad(
    _ctx: &AppState,
    message: &pc_platform::queue::QueueMessage,
) -> Result<(), pc_http::functions::WorkerError> {
    if message.body.contains("bad") {
        return Err(pc_http::functions::WorkerError::retry("bad message"));
    }
    if message.body.contains("poison") {
        return Err(pc_http::functions::WorkerError::poison(
            "unreadable message",
        ));
    }
    assert!(message.receive_count >= 1);
    Ok(())
}

#[tokio::test]
async fn a_failed_message_is_reported_alone() {
    let worker = pc_http::worker!(
        "test-worker",
        pc_platform::queue::QueueName::Events,
        Permissions::READ,
        failing_on_bad
    );
    let Trigger::Queue(_, run) = worker.trigger else {
        unreachable!()
    };
    let record = |id: &str, body: &str, count: &str| {
        json!({"messageId": id, "receiptHandle": "h", "body": body,
               "attributes": {"ApproximateReceiveCount": count},
               "messageAttributes": {}, "eventSource": "aws:sqs",
               "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events", "awsRegion": "us-east-1"})
    };
    let event: SqsEvent = serde_json::from_value(json!({"Records": [
        record("m1", "{\"ok\":1}", "1"),
        record("m2", "bad", "3"),
        record("m3", "{\"ok\":3}", "1"),
    ]}))
    .unwrap();
    let answer = lambda::handle_sqs(&context(), "test-worker", QueueName::Events, run, event).await;
    let value = serde_json::to_value(&answer).unwrap();
    assert_eq!(
        value,
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
    );
    let message =
        lambda::queue_message(&serde_json::from_value(record("m9", "b", "4")).unwrap()).unwrap();
    assert_eq!(message.receive_count, 4);
    assert_eq!(message.id, "m9");
}

#[tokio::test]
async fn a_requested_run_runs_once_through_the_bus_event() {
    let Some(function) = catalog::all()
        .iter()
        .find(|f| matches!(f.trigger, Trigger::Schedule(..)))
    else {
        panic!("the table has schedules");
    };
    let Trigger::Schedule(_, job) = function.trigger else {
        unreachable!()
    };
    let ctx = context();
    let requested = pc_host::jobs::request_run(&ctx, function.name, Some("u1".into()))
        .await
        .expect("a run is requested");
    let event: EventBridgeEvent<Value> = serde_json::from_value(json!({
        "version": "0", "id": "e1", "detail-type": "job-run-requested",
        "source": "partner-connector", "account": "123456789012",
        "time": "2026-11-21T09:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"job": function.name, "runId": requested.id}
    }))
    .unwrap();
    let run = lambda::handle_schedule(&ctx, function.name, job, event.clone())
        .await
        .expect("the run completes");
    assert_eq!(run.id, requested.id);
    assert_eq!(run.status, "completed");
    assert_eq!(run.trigger, "manual");
    // A duplicated delivery answers the same run without running it again.
    let again = lambda::handle_schedule(&ctx, function.name, job, event)
        .await
        .expect("the duplicate is answered");
    assert_eq!(again.started_at, run.started_at);
    assert_eq!(again.finished_at, run.finished_at);
}

/// A poison message goes to the dead-letter queue at once and is not
/// reported failed; a retryable failure still is.
#[tokio::test]
async fn a_poison_message_is_dead_lettered_not_retried() {
    let worker = pc_http::worker!(
        "test-worker",
        QueueName::Events,
        Permissions::READ,
        failing_on_bad
    );
    let Trigger::Queue(_, run) = worker.trigger else {
        unreachable!()
    };
    let event = || -> SqsEvent {
        let record = |id: &str, body: &str| {
            json!({"messageId": id, "receiptHandle": "h", "body": body,
                   "attributes": {"ApproximateReceiveCount": "1"},
                   "messageAttributes": {}, "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events", "awsRegion": "us-east-1"})
        };
        serde_json::from_value(json!({"Records": [
            record("m1", "poison"),
            record("m2", "bad"),
            record("m3", "{\"ok\":3}"),
        ]}))
        .unwrap()
    };
    let ctx = context();
    let answer = lambda::handle_sqs(&ctx, "test-worker", QueueName::Events, run, event()).await;
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
    );
    let dead = ctx.queue.dead_letters(QueueName::Events, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].last_error.as_deref(), Some("unreadable message"));

    // When the dead-letter queue cannot be reached, the poison message is
    // retried rather than lost.
    let refusing = std::sync::Arc::new(AppContext::granting_nothing(
        pc_platform::config::Config::local_defaults(),
    ));
    let answer =
        lambda::handle_sqs(&refusing, "test-worker", QueueName::Events, run, event()).await;
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]})
    );
}
