//! One function's resource: its code, description, timeout, environment,
//! least-privilege policies and triggers.

use serde_yaml::{Mapping, Value};

use pc_http::functions::{Function, Trigger};
use pc_platform::queue::QueueName;

use crate::names::{dead_letter_queue_id, queue_id};

use super::triggers::events;
use super::{
    API_TIMEOUT, DEAD_LETTER_MOVERS, DEAD_LETTER_READERS, SCHEDULE_TIMEOUT, WORKER_TIMEOUT,
    get_att, insert, int, lint_exceptions, map, r, s, seq, sub,
};

pub(super) fn queue_arns(id: fn(QueueName) -> String) -> Value {
    seq(QueueName::ALL.iter().map(|q| get_att(&id(*q), "Arn")))
}

/// What reading and moving dead letters takes on a dead-letter queue
/// (SAM's `SQSPollerPolicy`, and finding its URL).
pub const DEAD_LETTER_POLLER_ACTIONS: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:ChangeMessageVisibilityBatch",
    "sqs:DeleteMessage",
    "sqs:DeleteMessageBatch",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
];

/// The function's least-privilege policies, from its `Permissions`.
pub(super) fn policies(function: &Function) -> Value {
    let permissions = function.permissions;
    let table = map([("TableName", r("Table"))]);
    // A schedule's runner records its runs, whatever the job itself does.
    let writes = permissions.table_write || matches!(function.trigger, Trigger::Schedule(..));
    let mut policies = vec![if writes {
        map([("DynamoDBCrudPolicy", table)])
    } else {
        map([("DynamoDBReadPolicy", table)])
    }];
    for queue in permissions.sends_to {
        policies.push(map([(
            "SQSSendMessagePolicy",
            map([("QueueName", get_att(&queue_id(*queue), "QueueName"))]),
        )]));
    }
    if permissions.sends_email {
        policies.push(map([(
            "Statement",
            seq([map([
                ("Effect", s("Allow")),
                ("Action", seq([s("ses:SendEmail"), s("ses:SendRawEmail")])),
                (
                    "Resource",
                    sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
                ),
            ])]),
        )]));
    }
    if permissions.uploads {
        policies.push(map([(
            "S3CrudPolicy",
            map([("BucketName", r("UploadsBucket"))]),
        )]));
    }
    if permissions.publishes_events {
        policies.push(map([(
            "EventBridgePutEventsPolicy",
            map([("EventBusName", r("EventBus"))]),
        )]));
    }
    if permissions.pushes {
        policies.push(crate::websocket_api::manage_connections_policy());
    }
    if let Trigger::Queue(queue, _) = function.trigger {
        policies.push(poison_policy(queue));
    }
    policies.extend(crate::secrets::policy(function));
    if DEAD_LETTER_READERS.contains(&function.name) {
        let mut source_actions = vec![s("sqs:GetQueueAttributes"), s("sqs:GetQueueUrl")];
        if DEAD_LETTER_MOVERS.contains(&function.name) {
            source_actions.push(s("sqs:SendMessage"));
        }
        policies.push(map([(
            "Statement",
            seq([
                // What SAM's SQSPollerPolicy grants, on every dead-letter
                // queue by ARN (one parameter per queue for the stack).
                map([
                    ("Effect", s("Allow")),
                    (
                        "Action",
                        seq(DEAD_LETTER_POLLER_ACTIONS.iter().map(|a| s(*a))),
                    ),
                    ("Resource", queue_arns(dead_letter_queue_id)),
                ]),
                // A source queue's RedrivePolicy names its dead-letter queue.
                map([
                    ("Effect", s("Allow")),
                    ("Action", seq(source_actions)),
                    ("Resource", queue_arns(queue_id)),
                ]),
            ]),
        )]));
    }
    seq(policies)
}

/// What a worker needs to put a poison message straight on its queue's
/// dead-letter queue: its own queue's `RedrivePolicy` names the
/// dead-letter queue, whose URL it then looks up and sends to.
fn poison_policy(queue: QueueName) -> Value {
    map([(
        "Statement",
        seq([
            map([
                ("Effect", s("Allow")),
                ("Action", seq([s("sqs:GetQueueAttributes")])),
                ("Resource", get_att(&queue_id(queue), "Arn")),
            ]),
            map([
                ("Effect", s("Allow")),
                ("Action", seq([s("sqs:GetQueueUrl"), s("sqs:SendMessage")])),
                ("Resource", get_att(&dead_letter_queue_id(queue), "Arn")),
            ]),
        ]),
    )])
}

/// The queue URLs the function needs: the queues it sends to, a worker's
/// own queue (to find its dead-letter queue), and every queue for the
/// dead-letter operations.
pub(super) fn queue_variables(function: &Function) -> Mapping {
    let mut queues: Vec<QueueName> = if DEAD_LETTER_READERS.contains(&function.name) {
        QueueName::ALL.to_vec()
    } else {
        function.permissions.sends_to.to_vec()
    };
    if let Trigger::Queue(queue, _) = function.trigger {
        queues.push(queue);
    }
    let mut variables = Mapping::new();
    for queue in queues {
        insert(&mut variables, queue.url_env(), r(&queue_id(queue)));
    }
    variables
}

pub(super) fn describe(function: &Function) -> String {
    match function.trigger {
        Trigger::Queue(queue, _) => format!("{} (worker of {queue})", function.name),
        Trigger::Schedule(schedule, _) => format!(
            "{} (schedule {} {})",
            function.name,
            schedule.expression(),
            schedule.timezone
        ),
        Trigger::Webhook(_) => format!("{} (webhook on a function URL)", function.name),
        Trigger::TableStream(entity, _) => {
            format!("{} (stream of new {entity} items)", function.name)
        }
        Trigger::Socket(route, _) => format!("{} (WebSocket route {})", function.name, route.key()),
        Trigger::BusRule(types, _) => {
            format!("{} (bus rule for {})", function.name, types.join(", "))
        }
        _ => match function.method_and_path() {
            Some((method, path)) => {
                format!("{} ({method} {path}, {:?})", function.name, function.access)
            }
            None => function.name.to_owned(),
        },
    }
}

pub(super) fn function_resource(function: &Function) -> anyhow::Result<Value> {
    let timeout = match function.trigger {
        Trigger::Queue(..) | Trigger::TableStream(..) | Trigger::BusRule(..) => WORKER_TIMEOUT,
        Trigger::Schedule(..) => SCHEDULE_TIMEOUT,
        _ => API_TIMEOUT,
    };
    let mut properties = Mapping::new();
    // `infra/build-functions.sh` builds every binary in one cargo
    // invocation; `sam deploy` zips these folders.
    insert(&mut properties, "CodeUri", s(code_uri(function.name)));
    insert(&mut properties, "Description", s(describe(function)));
    insert(&mut properties, "Timeout", int(timeout));
    let mut variables = queue_variables(function);
    variables.extend(crate::secrets::variables(function));
    variables.extend(crate::secrets::public_keys_variable(function));
    if function.permissions.pushes {
        insert(
            &mut variables,
            pc_aws::realtime::ENDPOINT_VARIABLE,
            sub(crate::websocket_api::ENDPOINT),
        );
    }
    if !variables.is_empty() {
        insert(
            &mut properties,
            "Environment",
            map([("Variables", Value::Mapping(variables))]),
        );
    }
    insert(&mut properties, "Policies", policies(function));
    if let Some(events) = events(function)? {
        insert(&mut properties, "Events", events);
    }
    if let Some(reserved) = crate::limits::reserved_concurrency(function) {
        insert(&mut properties, "ReservedConcurrentExecutions", reserved);
    }
    if let Some(config) = crate::job_failures::event_invoke_config(function) {
        insert(&mut properties, "EventInvokeConfig", config);
    }
    if matches!(function.trigger, Trigger::Webhook(_)) {
        // The sender proves itself with a signature the handler checks.
        insert(
            &mut properties,
            "FunctionUrlConfig",
            map([("AuthType", s("NONE"))]),
        );
    }
    let mut resource = vec![("Type", s("AWS::Serverless::Function"))];
    if matches!(function.trigger, Trigger::Queue(..)) {
        // The serverless rules ask every event source mapping for an
        // on-failure destination, which only stream sources have: an SQS
        // source's failures go to its queue's dead-letter queue (redrive
        // policy), which is alarmed.
        resource.push(("Metadata", lint_exceptions(&["ES1001"])));
    }
    resource.push(("Properties", Value::Mapping(properties)));
    Ok(map(resource))
}

/// Where `infra/build-functions.sh` puts the function's `bootstrap`,
/// from the workspace root.
pub fn build_dir(name: &str) -> String {
    format!("target/lambda/{name}/")
}

/// The function's `CodeUri`: its build directory, relative to its stack's
/// template in `infra/stacks/` (SAM resolves it from there).
pub fn code_uri(name: &str) -> String {
    let up = "../".repeat(crate::stacks::STACKS_DIR.split('/').count());
    format!("{up}{}", build_dir(name))
}
