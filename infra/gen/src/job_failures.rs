//! Where a schedule's failed runs go (and the bus rules' undeliverable
//! events: the broadcaster's). EventBridge Scheduler and the
//! `job-run-requested` rule invoke a schedule function asynchronously: an
//! invocation that cannot be delivered, or whose run fails after Lambda's
//! retries, would otherwise vanish. Both land in one dead-letter queue,
//! `job-runs-dlq`, which is alarmed like the queues' own.

use serde_yaml::{Mapping, Value};

use pc_http::functions::{Function, Trigger};

use crate::template::{
    DEAD_LETTER_RETENTION, get_att, insert, int, lint_exceptions, map, r, s, seq, stage_name, sub,
};

/// The logical id of the schedules' dead-letter queue.
pub const JOB_RUNS_DEAD_LETTER_QUEUE: &str = "JobRunsDeadLetterQueue";
/// Its name after the stack prefix.
pub const JOB_RUNS_DEAD_LETTER_QUEUE_NAME: &str = "job-runs-dlq";
/// Lambda's own retries of a failed asynchronous run before it is
/// dead-lettered (a run that failed twice more is for a person to look at).
pub const ASYNC_RETRIES: u64 = 2;

/// `Metadata` that tells cfn-lint's serverless rules a dead-letter queue
/// needs no redrive policy of its own: it is the end of the line, kept 14
/// days, alarmed, and read and redriven by the owner.
pub fn dead_letter_queue_metadata() -> Value {
    lint_exceptions(&["ES6000"])
}

/// The queue, and the policy that lets the event bus's rules send to it.
pub fn resources(resources: &mut Mapping) {
    insert(
        resources,
        JOB_RUNS_DEAD_LETTER_QUEUE,
        map([
            ("Type", s("AWS::SQS::Queue")),
            ("Metadata", dead_letter_queue_metadata()),
            (
                "Properties",
                map([
                    ("QueueName", stage_name(JOB_RUNS_DEAD_LETTER_QUEUE_NAME)),
                    ("MessageRetentionPeriod", int(DEAD_LETTER_RETENTION)),
                    ("SqsManagedSseEnabled", Value::Bool(true)),
                ]),
            ),
        ]),
    );
    insert(
        resources,
        format!("{JOB_RUNS_DEAD_LETTER_QUEUE}Policy"),
        map([
            ("Type", s("AWS::SQS::QueuePolicy")),
            (
                "Properties",
                map([
                    ("Queues", seq([r(JOB_RUNS_DEAD_LETTER_QUEUE)])),
                    (
                        "PolicyDocument",
                        map([
                            ("Version", s("2012-10-17")),
                            (
                                "Statement",
                                seq([map([
                                    ("Effect", s("Allow")),
                                    ("Principal", map([("Service", s("events.amazonaws.com"))])),
                                    ("Action", s("sqs:SendMessage")),
                                    ("Resource", get_att(JOB_RUNS_DEAD_LETTER_QUEUE, "Arn")),
                                    (
                                        "Condition",
                                        map([(
                                            "ArnLike",
                                            map([(
                                                "aws:SourceArn",
                                                sub(
                                                    "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${EventBus}/*",
                                                ),
                                            )]),
                                        )]),
                                    ),
                                ])]),
                            ),
                        ]),
                    ),
                ]),
            ),
        ]),
    );
}

/// The `DeadLetterConfig` of a schedule's events (the scheduler's and the
/// rule's target) and of a bus rule's target: undeliverable invocations go
/// to the queue.
pub fn event_dead_letter_config() -> Value {
    map([("Arn", get_att(JOB_RUNS_DEAD_LETTER_QUEUE, "Arn"))])
}

/// The `EventInvokeConfig` of a schedule function or a bus rule's target
/// (both invoked asynchronously): an invocation that still fails after the
/// retries goes to the queue (SAM grants the send).
pub fn event_invoke_config(function: &Function) -> Option<Value> {
    matches!(
        function.trigger,
        Trigger::Schedule(..) | Trigger::BusRule(..)
    )
    .then(|| {
        map([
            ("MaximumRetryAttempts", int(ASYNC_RETRIES)),
            (
                "DestinationConfig",
                map([(
                    "OnFailure",
                    map([
                        ("Type", s("SQS")),
                        ("Destination", get_att(JOB_RUNS_DEAD_LETTER_QUEUE, "Arn")),
                    ]),
                )]),
            ),
        ])
    })
}
