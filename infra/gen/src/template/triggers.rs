//! What starts each function, as its `Events`: an HTTP API route, a queue,
//! a schedule (and its on-demand runs), the table's stream, or a rule on
//! the event bus.

use anyhow::{Context, bail};
use serde_yaml::Value;

use pc_api::functions::{Function, Trigger};

use crate::names::{api_path, queue_id};

use super::{WORKER_BATCH_SIZE, get_att, int, map, r, s, seq};

/// The triggers of one function (its `Events`) and whether it has a URL.
pub(super) fn events(function: &Function) -> anyhow::Result<Option<Value>> {
    Ok(match function.trigger {
        Trigger::Http(_) => {
            let (method, path) = function
                .method_and_path()
                .with_context(|| format!("{} has no method and path", function.name))?;
            Some(map([(
                "Api",
                map([
                    ("Type", s("HttpApi")),
                    (
                        "Properties",
                        map([
                            ("ApiId", r("HttpApi")),
                            ("Method", s(method.as_str())),
                            ("Path", s(api_path(&path))),
                        ]),
                    ),
                ]),
            )]))
        }
        Trigger::Webhook(_) => None,
        Trigger::Queue(queue, _) => {
            let mut properties = vec![
                ("Queue", get_att(&queue_id(queue), "Arn")),
                (
                    "BatchSize",
                    int(function
                        .scaling
                        .map_or(WORKER_BATCH_SIZE, |s| u64::from(s.batch_size))),
                ),
                ("FunctionResponseTypes", seq([s("ReportBatchItemFailures")])),
            ];
            if let Some(scaling) = function.scaling {
                properties.push((
                    "ScalingConfig",
                    map([(
                        "MaximumConcurrency",
                        int(u64::from(scaling.max_concurrency)),
                    )]),
                ));
            }
            Some(map([(
                "Queue",
                map([("Type", s("SQS")), ("Properties", map(properties))]),
            )]))
        }
        Trigger::Schedule(schedule, _) => Some(map([
            (
                "Schedule",
                map([
                    ("Type", s("ScheduleV2")),
                    (
                        "Properties",
                        map([
                            ("ScheduleExpression", s(schedule.expression())),
                            ("ScheduleExpressionTimezone", s(schedule.timezone)),
                            ("FlexibleTimeWindow", map([("Mode", s("OFF"))])),
                            (
                                "DeadLetterConfig",
                                crate::job_failures::event_dead_letter_config(),
                            ),
                        ]),
                    ),
                ]),
            ),
            (
                "RunRequested",
                bus_rule(
                    &[pc_app::jobs::JOB_RUN_REQUESTED],
                    Some(map([("job", seq([s(function.name)]))])),
                    None,
                ),
            ),
        ])),
        Trigger::TableStream(entity, _) => Some(map([(
            "Stream",
            map([
                ("Type", s("DynamoDB")),
                (
                    "Properties",
                    map([
                        ("Stream", get_att("Table", "StreamArn")),
                        ("StartingPosition", s("LATEST")),
                        ("BatchSize", int(WORKER_BATCH_SIZE)),
                        // A record that keeps failing is dropped from the
                        // stream only: its item stays, and the sweep sends it.
                        ("MaximumRetryAttempts", int(STREAM_RETRIES)),
                        ("BisectBatchOnFunctionError", Value::Bool(true)),
                        // Where the pointers of dropped records go (alarmed).
                        (
                            "DestinationConfig",
                            map([(
                                "OnFailure",
                                map([
                                    ("Type", s("SQS")),
                                    (
                                        "Destination",
                                        get_att(
                                            crate::job_failures::JOB_RUNS_DEAD_LETTER_QUEUE,
                                            "Arn",
                                        ),
                                    ),
                                ]),
                            )]),
                        ),
                        ("FunctionResponseTypes", seq([s("ReportBatchItemFailures")])),
                        (
                            "FilterCriteria",
                            map([(
                                "Filters",
                                seq([map([("Pattern", s(stream_filter(entity)))])]),
                            )]),
                        ),
                    ]),
                ),
            ]),
        )])),
        Trigger::Socket(..) => None,
        Trigger::BusRule(detail_types, _) => Some(map([(
            "BusRule",
            bus_rule(
                detail_types,
                None,
                Some(map([
                    ("MaximumRetryAttempts", int(BUS_RULE_RETRIES)),
                    ("MaximumEventAgeInSeconds", int(BUS_RULE_EVENT_AGE)),
                ])),
            ),
        )])),
        Trigger::Dev(_) => bail!("{} is development-only", function.name),
    })
}

/// An `EventBridgeRule` event on the system's bus: events from this
/// system of `detail_types` (and matching `detail`, when given), with
/// EventBridge's `retry_policy` when given, and what it could not deliver
/// kept in the job failures' dead-letter queue.
fn bus_rule(detail_types: &[&str], detail: Option<Value>, retry_policy: Option<Value>) -> Value {
    let mut pattern = vec![
        ("source", seq([s(pc_aws::bus::eventbridge::SOURCE)])),
        ("detail-type", seq(detail_types.iter().map(|t| s(*t)))),
    ];
    pattern.extend(detail.map(|d| ("detail", d)));
    let mut properties = vec![("EventBusName", r("EventBus")), ("Pattern", map(pattern))];
    properties.extend(retry_policy.map(|p| ("RetryPolicy", p)));
    properties.push((
        "DeadLetterConfig",
        crate::job_failures::event_dead_letter_config(),
    ));
    map([
        ("Type", s("EventBridgeRule")),
        ("Properties", map(properties)),
    ])
}

/// EventBridge's retries of a bus rule's target that it could not invoke,
/// and for how long: a real-time event older than this is stale.
const BUS_RULE_RETRIES: u64 = 3;
const BUS_RULE_EVENT_AGE: u64 = 300;

/// Retries of a failing stream batch before Lambda moves past it.
const STREAM_RETRIES: u64 = 10;

/// The event filter passing only inserts of items of `entity`.
pub(super) fn stream_filter(entity: &str) -> String {
    serde_json::json!({
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"entity": {"S": [entity]}}},
    })
    .to_string()
}
