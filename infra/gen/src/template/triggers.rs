//! What starts each function, as its `Events`: a queue, a schedule (and
//! its on-demand runs), the table's stream, or a rule on the event bus.
//! (HTTP routes are resources of their own: `crate::http_routes`.)

use anyhow::bail;
use serde_yaml::Value;

use pc_http::functions::{Function, Trigger};

use crate::names::queue_id;

use super::{WORKER_BATCH_SIZE, get_att, int, map, r, s, seq};

/// The lowest `MaximumConcurrency` Lambda accepts for an SQS source.
pub const MIN_MAXIMUM_CONCURRENCY: u32 = 2;

/// The triggers of one function (its `Events`) and whether it has a URL.
pub(super) fn events(function: &Function) -> anyhow::Result<Option<Value>> {
    Ok(match function.trigger {
        // Routes of the HTTP API are resources of their own
        // (`crate::http_routes`): the API is in another stack.
        Trigger::Http(_) => None,
        Trigger::Webhook(_) => None,
        Trigger::Queue(queue, _) => {
            // Every consumer is bounded: unbounded, a backlog would take
            // the account's concurrency from the API and run into the
            // third parties' rate limits.
            let Some(scaling) = function.scaling else {
                bail!(
                    "{} consumes {queue} without `.with_scaling(batch, max_concurrency)`: choose its bound in the table",
                    function.name
                );
            };
            if scaling.max_concurrency < MIN_MAXIMUM_CONCURRENCY {
                bail!(
                    "{}: MaximumConcurrency {} is below SQS's minimum of {MIN_MAXIMUM_CONCURRENCY}",
                    function.name,
                    scaling.max_concurrency
                );
            }
            Some(map([(
                "Queue",
                map([
                    ("Type", s("SQS")),
                    (
                        "Properties",
                        map([
                            ("Queue", get_att(&queue_id(queue), "Arn")),
                            ("BatchSize", int(u64::from(scaling.batch_size))),
                            ("FunctionResponseTypes", seq([s("ReportBatchItemFailures")])),
                            (
                                "ScalingConfig",
                                map([(
                                    "MaximumConcurrency",
                                    int(u64::from(scaling.max_concurrency)),
                                )]),
                            ),
                        ]),
                    ),
                ]),
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
                    &[pc_host::jobs::JOB_RUN_REQUESTED],
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
