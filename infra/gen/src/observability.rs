//! What tells a person that something is wrong, and what they read then:
//! one log group with a retention per function (Lambda would otherwise
//! create it on first use and keep logs for ever), an alarm topic, and
//! alarms on every dead-letter queue that holds a message, on each
//! function's errors, and on the HTTP API's 5xx answers.
//!
//! One errors alarm per function rather than one metric-math alarm: an
//! alarm's expression may name only a few metrics, and a per-function alarm
//! says in its name which function fails.

use serde_yaml::{Mapping, Value};

use pc_api::functions::Function;
use pc_platform::queue::QueueName;

use crate::job_failures::JOB_RUNS_DEAD_LETTER_QUEUE;
use crate::names::{dead_letter_queue_id, function_id};
use crate::template::{get_att, insert, int, map, r, s, seq, stage_name, sub};

/// Days a function's logs are kept.
pub const LOG_RETENTION_DAYS: u64 = 30;
/// The alarms' evaluation period, in seconds.
pub const ALARM_PERIOD: u64 = 300;
/// The logical id of the alarms' SNS topic.
pub const ALARM_TOPIC: &str = "AlarmTopic";

/// The logical id of a function's log group.
pub fn log_group_id(function: &Function) -> String {
    format!("{}LogGroup", function_id(function.name))
}

/// Every dead-letter queue of the stack, by logical id.
pub fn dead_letter_queue_ids() -> Vec<String> {
    let mut ids: Vec<String> = QueueName::ALL
        .iter()
        .map(|q| dead_letter_queue_id(*q))
        .collect();
    ids.push(JOB_RUNS_DEAD_LETTER_QUEUE.to_owned());
    ids
}

/// The topic, the log groups and the alarms. Subscriptions to the topic
/// (email, chat, paging) are made outside the stack, where the people are.
pub fn resources(resources: &mut Mapping, functions: &[Function]) {
    insert(
        resources,
        ALARM_TOPIC,
        map([
            ("Type", s("AWS::SNS::Topic")),
            (
                "Properties",
                map([
                    ("TopicName", stage_name("alarms")),
                    ("KmsMasterKeyId", s("alias/aws/sns")),
                ]),
            ),
        ]),
    );
    for function in functions {
        let id = function_id(function.name);
        insert(
            resources,
            log_group_id(function),
            map([
                ("Type", s("AWS::Logs::LogGroup")),
                (
                    "Properties",
                    map([
                        ("LogGroupName", sub(format!("/aws/lambda/${{{id}}}"))),
                        ("RetentionInDays", int(LOG_RETENTION_DAYS)),
                    ]),
                ),
            ]),
        );
        insert(
            resources,
            format!("{id}ErrorsAlarm"),
            alarm(
                &format!(
                    "{} failed (Lambda errors: crashes, timeouts, failed runs)",
                    function.name
                ),
                "AWS/Lambda",
                "Errors",
                "Sum",
                map([("Name", s("FunctionName")), ("Value", r(&id))]),
            ),
        );
    }
    for id in dead_letter_queue_ids() {
        insert(
            resources,
            format!("{id}Alarm"),
            alarm(
                "A message was dead-lettered: look at it (admin dead letters) and redrive or drop it",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "Maximum",
                map([
                    ("Name", s("QueueName")),
                    ("Value", get_att(&id, "QueueName")),
                ]),
            ),
        );
    }
    insert(
        resources,
        "HttpApiServerErrorsAlarm",
        alarm(
            "The HTTP API answered 5xx",
            "AWS/ApiGateway",
            "5xx",
            "Sum",
            map([("Name", s("ApiId")), ("Value", r("HttpApi"))]),
        ),
    );
}

/// An alarm when the metric's statistic over one period is above zero.
fn alarm(
    description: &str,
    namespace: &str,
    metric: &str,
    statistic: &str,
    dimension: Value,
) -> Value {
    map([
        ("Type", s("AWS::CloudWatch::Alarm")),
        (
            "Properties",
            map([
                ("AlarmDescription", s(description)),
                ("Namespace", s(namespace)),
                ("MetricName", s(metric)),
                ("Dimensions", seq([dimension])),
                ("Statistic", s(statistic)),
                ("Period", int(ALARM_PERIOD)),
                ("EvaluationPeriods", int(1)),
                ("Threshold", int(0)),
                ("ComparisonOperator", s("GreaterThanThreshold")),
                // No data means nothing failed and nothing is waiting.
                ("TreatMissingData", s("notBreaching")),
                ("AlarmActions", seq([r(ALARM_TOPIC)])),
                ("OKActions", seq([r(ALARM_TOPIC)])),
            ]),
        ),
    ])
}

/// Outputs: the topic, for subscribing other endpoints.
pub fn outputs(outputs: &mut Mapping) {
    insert(
        outputs,
        "AlarmTopicArn",
        map([
            ("Description", s("SNS topic of every alarm")),
            ("Value", r(ALARM_TOPIC)),
        ]),
    );
}
