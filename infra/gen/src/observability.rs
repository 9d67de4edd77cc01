//! What tells a person that something is wrong, and what they read then.
//!
//! The root stack has the alarm topic (with an optional subscription from
//! the `AlarmSubscriptionEndpoint` parameter) and the alarms on what it
//! owns: a message in any dead-letter queue, a work queue whose oldest
//! message waits too long, DynamoDB throttling and system errors, and the
//! HTTP API's 5xx rate and p99 latency. Each function's stack has its log
//! group (30 days) and its alarms: an error rate (failed invocations over
//! invocations, not a single error) and, for functions someone waits on
//! (HTTP routes, webhooks, WebSocket routes), throttles. Asynchronous
//! invocations (queues, schedules, streams, bus rules) are retried when
//! throttled; their backlog shows in the queue age and dead-letter alarms.
//!
//! An alarm per function rather than one per capability: an alarm names
//! the function that fails, and a metric-math alarm takes at most 10
//! metrics. docs/operations.md says what each alarm means and what to do.

use serde_yaml::{Mapping, Value};

use pc_http::functions::{Function, Trigger};
use pc_platform::queue::QueueName;

use crate::job_failures::JOB_RUNS_DEAD_LETTER_QUEUE;
use crate::names::{dead_letter_queue_id, function_id, queue_id};
use crate::template::{get_att, insert, int, lint_exceptions, map, r, s, seq, stage_name, sub};

/// Days a function's logs are kept.
pub const LOG_RETENTION_DAYS: u64 = 30;
/// The alarms' evaluation period, in seconds.
pub const ALARM_PERIOD: u64 = 300;
/// The logical id of the alarms' SNS topic.
pub const ALARM_TOPIC: &str = "AlarmTopic";
/// The parameters and condition of the topic's subscription.
pub const SUBSCRIPTION_ENDPOINT: &str = "AlarmSubscriptionEndpoint";
pub const SUBSCRIPTION_PROTOCOL: &str = "AlarmSubscriptionProtocol";
pub const SUBSCRIPTION_CONDITION: &str = "SubscribesToAlarms";
/// A function's errors alarm fires when more than this percentage of its
/// invocations failed, in `SUSTAINED` of `WINDOW` periods.
pub const ERROR_RATE_PERCENT: u64 = 5;
/// The HTTP API's 5xx alarm: more than this percentage of requests.
pub const API_5XX_PERCENT: u64 = 1;
/// The HTTP API's latency alarm: p99 above this, in milliseconds (a
/// function's timeout is 15 s; API Gateway gives up at 30 s).
pub const API_P99_LATENCY_MS: u64 = 3000;
/// A work queue's oldest message older than this, in seconds, is a
/// backlog: its consumer is failing, throttled or too slow.
pub const QUEUE_AGE_SECONDS: u64 = 900;
/// Periods an alarm looks at, and how many of them must breach.
pub const WINDOW: u64 = 3;
pub const SUSTAINED: u64 = 2;
/// The DynamoDB operations `pc-aws` calls (their `SystemErrors` have an
/// `Operation` dimension; an alarm can sum at most 10 metrics).
pub const TABLE_OPERATIONS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "BatchGetItem",
    "TransactWriteItems",
];

/// The logical id of a function's log group.
pub fn log_group_id(function: &Function) -> String {
    format!("{}LogGroup", function_id(function.name))
}

/// Every dead-letter queue of the root stack, by logical id.
pub fn dead_letter_queue_ids() -> Vec<String> {
    let mut ids: Vec<String> = QueueName::ALL
        .iter()
        .map(|q| dead_letter_queue_id(*q))
        .collect();
    ids.push(JOB_RUNS_DEAD_LETTER_QUEUE.to_owned());
    ids
}

/// Whether someone waits on the function's answer: then a throttle is a
/// refused request, not a retry later.
pub fn is_synchronous(function: &Function) -> bool {
    matches!(
        function.trigger,
        Trigger::Http(_) | Trigger::Webhook(_) | Trigger::Socket(..)
    )
}

/// The subscription's parameters.
pub fn parameters(parameters: &mut Mapping) {
    insert(
        parameters,
        SUBSCRIPTION_ENDPOINT,
        map([
            ("Type", s("String")),
            (
                "Description",
                s(
                    "Where alarms go: an email address (or the endpoint of AlarmSubscriptionProtocol). Empty: no subscription.",
                ),
            ),
            ("Default", s("")),
        ]),
    );
    insert(
        parameters,
        SUBSCRIPTION_PROTOCOL,
        map([
            ("Type", s("String")),
            (
                "Description",
                s(
                    "SNS protocol of AlarmSubscriptionEndpoint (email needs the recipient's confirmation).",
                ),
            ),
            ("Default", s("email")),
            (
                "AllowedValues",
                seq(["email", "email-json", "https", "sms", "sqs", "lambda"]
                    .into_iter()
                    .map(s)),
            ),
        ]),
    );
}

/// The subscription's condition: an endpoint was given.
pub fn conditions(conditions: &mut Mapping) {
    insert(
        conditions,
        SUBSCRIPTION_CONDITION,
        map([(
            "Fn::Not",
            seq([map([(
                "Fn::Equals",
                seq([r(SUBSCRIPTION_ENDPOINT), s("")]),
            )])]),
        )]),
    );
}

/// The root stack's part: the topic, its subscription and the alarms on
/// the queues, the table and the HTTP API.
pub fn root_resources(resources: &mut Mapping) {
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
    insert(
        resources,
        "AlarmSubscription",
        map([
            ("Type", s("AWS::SNS::Subscription")),
            ("Condition", s(SUBSCRIPTION_CONDITION)),
            // No dead-letter queue for undelivered alarms (ES7000): its
            // own alarm would go to the endpoint that failed; an alarm
            // still firing is sent again at its next state change, and
            // the console shows every alarm's state.
            ("Metadata", lint_exceptions(&["ES7000"])),
            (
                "Properties",
                map([
                    ("TopicArn", r(ALARM_TOPIC)),
                    ("Protocol", r(SUBSCRIPTION_PROTOCOL)),
                    ("Endpoint", r(SUBSCRIPTION_ENDPOINT)),
                ]),
            ),
        ]),
    );
    for id in dead_letter_queue_ids() {
        insert(
            resources,
            format!("{id}Alarm"),
            metric_alarm(
                "A message was dead-lettered: look at it (admin dead letters) and redrive or drop it.",
                metric(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    [("QueueName", get_att(&id, "QueueName"))],
                ),
                "Maximum",
                0,
                (1, 1),
            ),
        );
    }
    for queue in QueueName::ALL {
        let id = queue_id(queue);
        insert(
            resources,
            format!("{id}AgeAlarm"),
            metric_alarm(
                &format!(
                    "The oldest message of {queue} waits more than {QUEUE_AGE_SECONDS} s: its worker fails, is throttled or cannot keep up."
                ),
                metric(
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    [("QueueName", get_att(&id, "QueueName"))],
                ),
                "Maximum",
                QUEUE_AGE_SECONDS,
                (SUSTAINED, WINDOW),
            ),
        );
    }
    let table = || ("TableName", r("Table"));
    insert(
        resources,
        "TableThrottlesAlarm",
        math_alarm(
            "DynamoDB throttled reads or writes of the table.",
            sums([
                (
                    "reads",
                    metric("AWS/DynamoDB", "ReadThrottleEvents", [table()]),
                ),
                (
                    "writes",
                    metric("AWS/DynamoDB", "WriteThrottleEvents", [table()]),
                ),
            ]),
            "reads + writes",
            "Throttle events",
            0,
        ),
    );
    insert(
        resources,
        "TableSystemErrorsAlarm",
        math_alarm(
            "DynamoDB answered requests on the table with a server error (5xx).",
            TABLE_OPERATIONS
                .iter()
                .enumerate()
                .map(|(i, operation)| {
                    let dimensions = [table(), ("Operation", s(*operation))];
                    (
                        format!("m{i}"),
                        metric("AWS/DynamoDB", "SystemErrors", dimensions),
                        "Sum",
                    )
                })
                .collect(),
            "SUM(METRICS())",
            "System errors",
            0,
        ),
    );
    let api = || ("ApiId", r(crate::http_routes::API));
    insert(
        resources,
        "HttpApiServerErrorsAlarm",
        math_alarm(
            &format!("More than {API_5XX_PERCENT}% of the HTTP API's requests answered 5xx."),
            sums([
                ("errors", metric("AWS/ApiGateway", "5xx", [api()])),
                ("requests", metric("AWS/ApiGateway", "Count", [api()])),
            ]),
            "IF(requests > 0, 100 * errors / requests, 0)",
            "5xx (% of requests)",
            API_5XX_PERCENT,
        ),
    );
    insert(
        resources,
        "HttpApiLatencyAlarm",
        metric_alarm(
            &format!("The HTTP API's p99 latency is above {API_P99_LATENCY_MS} ms."),
            metric("AWS/ApiGateway", "Latency", [api()]),
            "p99",
            API_P99_LATENCY_MS,
            (SUSTAINED, WINDOW),
        ),
    );
}

/// A function's log group and alarms, in its capability's stack.
pub fn function_resources(resources: &mut Mapping, function: &Function) {
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
    let dimension = || ("FunctionName", r(&id));
    insert(
        resources,
        format!("{id}ErrorRateAlarm"),
        math_alarm(
            &format!(
                "More than {ERROR_RATE_PERCENT}% of {}'s invocations failed (crashes, timeouts, failed runs).",
                function.name
            ),
            sums([
                ("errors", metric("AWS/Lambda", "Errors", [dimension()])),
                (
                    "invocations",
                    metric("AWS/Lambda", "Invocations", [dimension()]),
                ),
            ]),
            "IF(invocations > 0, 100 * errors / invocations, 0)",
            "Errors (% of invocations)",
            ERROR_RATE_PERCENT,
        ),
    );
    if is_synchronous(function) {
        insert(
            resources,
            format!("{id}ThrottlesAlarm"),
            metric_alarm(
                &format!(
                    "Lambda refused invocations of {} (throttled): callers got an error.",
                    function.name
                ),
                metric("AWS/Lambda", "Throttles", [dimension()]),
                "Sum",
                0,
                (SUSTAINED, WINDOW),
            ),
        );
    }
}

/// The `Sum` of each metric, by query id, for a metric-math alarm.
fn sums<const N: usize>(metrics: [(&str, Value); N]) -> Vec<(String, Value, &'static str)> {
    metrics
        .into_iter()
        .map(|(id, metric)| (id.to_owned(), metric, "Sum"))
        .collect()
}

/// A metric: namespace, name and dimensions.
fn metric<const N: usize>(namespace: &str, name: &str, dimensions: [(&str, Value); N]) -> Value {
    map([
        ("Namespace", s(namespace)),
        ("MetricName", s(name)),
        (
            "Dimensions",
            seq(dimensions
                .into_iter()
                .map(|(name, value)| map([("Name", s(name)), ("Value", value)]))),
        ),
    ])
}

fn actions(properties: &mut Vec<(&str, Value)>) {
    // No data means nothing failed and nothing is waiting.
    properties.push(("TreatMissingData", s("notBreaching")));
    properties.push(("AlarmActions", seq([r(ALARM_TOPIC)])));
    properties.push(("OKActions", seq([r(ALARM_TOPIC)])));
}

/// An alarm when `statistic` of `metric` is above `threshold` in
/// `breaching` of `periods` periods. A statistic starting with `p` is a
/// percentile (`ExtendedStatistic`).
fn metric_alarm(
    description: &str,
    metric: Value,
    statistic: &str,
    threshold: u64,
    (breaching, periods): (u64, u64),
) -> Value {
    let Value::Mapping(metric) = metric else {
        unreachable!("a metric is a mapping")
    };
    let mut properties = vec![("AlarmDescription", s(description))];
    for (key, value) in metric {
        let key = match key.as_str() {
            Some("Namespace") => "Namespace",
            Some("MetricName") => "MetricName",
            _ => "Dimensions",
        };
        properties.push((key, value));
    }
    let statistic_key = if statistic.starts_with('p') {
        "ExtendedStatistic"
    } else {
        "Statistic"
    };
    properties.extend([
        (statistic_key, s(statistic)),
        ("Period", int(ALARM_PERIOD)),
        ("EvaluationPeriods", int(periods)),
        ("DatapointsToAlarm", int(breaching)),
        ("Threshold", int(threshold)),
        ("ComparisonOperator", s("GreaterThanThreshold")),
    ]);
    actions(&mut properties);
    map([
        ("Type", s("AWS::CloudWatch::Alarm")),
        ("Properties", map(properties)),
    ])
}

/// An alarm on a metric-math `expression` over `metrics` (id, metric,
/// statistic), above `threshold` in `SUSTAINED` of `WINDOW` periods.
fn math_alarm(
    description: &str,
    metrics: Vec<(String, Value, &str)>,
    expression: &str,
    label: &str,
    threshold: u64,
) -> Value {
    let mut queries: Vec<Value> = metrics
        .into_iter()
        .map(|(id, metric, statistic)| {
            map([
                ("Id", s(id)),
                (
                    "MetricStat",
                    map([
                        ("Metric", metric),
                        ("Period", int(ALARM_PERIOD)),
                        ("Stat", s(statistic)),
                    ]),
                ),
                ("ReturnData", Value::Bool(false)),
            ])
        })
        .collect();
    queries.push(map([
        ("Id", s("alarmed")),
        ("Expression", s(expression)),
        ("Label", s(label)),
        ("ReturnData", Value::Bool(true)),
    ]));
    let mut properties = vec![
        ("AlarmDescription", s(description)),
        ("Metrics", seq(queries)),
        ("EvaluationPeriods", int(WINDOW)),
        ("DatapointsToAlarm", int(SUSTAINED)),
        ("Threshold", int(threshold)),
        ("ComparisonOperator", s("GreaterThanThreshold")),
    ];
    actions(&mut properties);
    map([
        ("Type", s("AWS::CloudWatch::Alarm")),
        ("Properties", map(properties)),
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
