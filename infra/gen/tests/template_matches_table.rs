//! No drift between the function table and what is deployed: the generated
//! files are exactly what the generator writes now (nobody edited them by
//! hand, nobody forgot to regenerate), and template.yaml, read back as YAML,
//! declares exactly the table's functions, routes, function URLs, queues
//! with their dead-letter queues and schedules — no more, no less.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use pc_api::functions::Trigger;
use pc_infra::names::api_path;
use pc_infra::{Plan, deployed_functions, workspace_root};
use pc_platform::config::Secret;
use pc_platform::queue::{MAX_RECEIVES, QueueName};

fn template() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("template.yaml"))
        .expect("template.yaml exists");
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// `{"Ref": id}` or `{"Fn::GetAtt": [id, ...]}` → id.
fn referenced(value: &Value) -> String {
    if let Some(id) = value.get("Ref") {
        return text(id);
    }
    value
        .get("Fn::GetAtt")
        .and_then(|a| a.get(0))
        .map(text)
        .unwrap_or_default()
}

#[test]
fn generated_files_are_up_to_date() {
    let plan = Plan::new(&deployed_functions()).expect("the table generates");
    let differences = plan.differences(&workspace_root()).unwrap();
    assert!(
        differences.is_empty(),
        "run `cargo run -p pc-infra -- generate`:\n{}",
        differences.join("\n")
    );
}

#[derive(Debug, Default, PartialEq)]
struct Declared {
    functions: BTreeSet<String>,
    routes: BTreeSet<(String, String, String)>,
    urls: BTreeSet<String>,
    workers: BTreeSet<(String, String)>,
    schedules: BTreeSet<(String, String, String)>,
    streams: BTreeSet<(String, String)>,
    /// Bus rules by function, with their detail-types.
    bus_rules: BTreeSet<(String, Vec<String>)>,
    queues: BTreeSet<String>,
}

/// What the table says should be deployed.
fn expected() -> Declared {
    let mut d = Declared::default();
    for f in deployed_functions() {
        d.functions.insert(f.name.to_owned());
        match f.trigger {
            Trigger::Http(_) => {
                let (method, path) = f.method_and_path().expect("HTTP functions have a route");
                d.routes
                    .insert((f.name.to_owned(), method.to_string(), api_path(&path)));
            }
            Trigger::Webhook(_) => {
                d.urls.insert(f.name.to_owned());
            }
            Trigger::Queue(queue, _) => {
                d.workers
                    .insert((f.name.to_owned(), queue.as_str().to_owned()));
            }
            Trigger::Schedule(schedule, _) => {
                d.schedules.insert((
                    f.name.to_owned(),
                    schedule.expression(),
                    schedule.timezone.to_owned(),
                ));
            }
            Trigger::TableStream(entity, _) => {
                d.streams.insert((f.name.to_owned(), entity.to_owned()));
            }
            Trigger::BusRule(types, _) => {
                let types = types.iter().map(|t| (*t).to_owned()).collect();
                d.bus_rules.insert((f.name.to_owned(), types));
            }
            // The WebSocket API's wiring: tests/template_websocket.rs.
            Trigger::Socket(..) => {}
            Trigger::Dev(_) => panic!("{} is development-only", f.name),
        }
    }
    for queue in QueueName::ALL {
        d.queues.insert(queue.as_str().to_owned());
        d.queues.insert(format!("{queue}-dlq"));
    }
    // Where failed schedule runs go.
    d.queues
        .insert(pc_infra::job_failures::JOB_RUNS_DEAD_LETTER_QUEUE_NAME.to_owned());
    d
}

/// The spec name of a queue resource (`partner-connector-${Stage}-emails` → `emails`).
fn queue_name(resource: &Value) -> String {
    let name = text(&resource["Properties"]["QueueName"]["Fn::Sub"]);
    name.strip_prefix("partner-connector-${Stage}-")
        .unwrap_or_else(|| panic!("queue name {name} lacks the stack prefix"))
        .to_owned()
}

/// What template.yaml declares, checking the wiring on the way.
fn declared(template: &Value) -> Declared {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let by_id: BTreeMap<String, &Value> = resources
        .iter()
        .map(|(id, resource)| (text(id), resource))
        .collect();
    let mut d = Declared::default();
    for (id, resource) in &by_id {
        match text(&resource["Type"]).as_str() {
            "AWS::SQS::Queue" => {
                let name = queue_name(resource);
                if let Some(policy) = resource["Properties"].get("RedrivePolicy") {
                    let dlq = by_id[&referenced(&policy["deadLetterTargetArn"])];
                    assert_eq!(
                        queue_name(dlq),
                        format!("{name}-dlq"),
                        "{id} redrives to its own DLQ"
                    );
                    assert_eq!(
                        policy["maxReceiveCount"].as_u64(),
                        Some(MAX_RECEIVES.into())
                    );
                } else {
                    assert!(
                        name.ends_with("-dlq"),
                        "queue {name} has no dead-letter queue"
                    );
                }
                d.queues.insert(name);
            }
            "AWS::Serverless::Function" => {
                let code_uri = text(&resource["Properties"]["CodeUri"]);
                let name = code_uri
                    .strip_prefix("target/lambda/")
                    .and_then(|rest| rest.strip_suffix('/'))
                    .unwrap_or_else(|| panic!("CodeUri {code_uri} is not a built function"))
                    .to_owned();
                assert!(d.functions.insert(name.clone()), "{name} declared twice");
                let properties = &resource["Properties"];
                if properties.get("FunctionUrlConfig").is_some() {
                    assert_eq!(text(&properties["FunctionUrlConfig"]["AuthType"]), "NONE");
                    d.urls.insert(name.clone());
                }
                let events = properties
                    .get("Events")
                    .and_then(Value::as_mapping)
                    .cloned()
                    .unwrap_or_default();
                let mut schedule_rules = 0;
                for (_, event) in events {
                    let p = &event["Properties"];
                    match text(&event["Type"]).as_str() {
                        "HttpApi" => {
                            assert_eq!(referenced(&p["ApiId"]), "HttpApi");
                            d.routes.insert((
                                name.clone(),
                                text(&p["Method"]).to_uppercase(),
                                text(&p["Path"]),
                            ));
                        }
                        "SQS" => {
                            assert_eq!(
                                p["FunctionResponseTypes"][0].as_str(),
                                Some("ReportBatchItemFailures"),
                                "{name} reports partial batch failures"
                            );
                            let queue = by_id[&referenced(&p["Queue"])];
                            d.workers.insert((name.clone(), queue_name(queue)));
                        }
                        "ScheduleV2" => {
                            d.schedules.insert((
                                name.clone(),
                                text(&p["ScheduleExpression"]),
                                text(&p["ScheduleExpressionTimezone"]),
                            ));
                        }
                        "EventBridgeRule"
                            if p["Pattern"]["detail-type"][0].as_str()
                                != Some("job-run-requested") =>
                        {
                            assert_eq!(referenced(&p["EventBusName"]), "EventBus");
                            assert!(
                                p.get("DeadLetterConfig").is_some(),
                                "{name}'s rule dead-letters what it cannot deliver"
                            );
                            let types = p["Pattern"]["detail-type"]
                                .as_sequence()
                                .expect("detail-types")
                                .iter()
                                .map(text)
                                .collect();
                            d.bus_rules.insert((name.clone(), types));
                        }
                        "EventBridgeRule" => {
                            assert_eq!(referenced(&p["EventBusName"]), "EventBus");
                            assert_eq!(
                                p["Pattern"]["detail-type"][0].as_str(),
                                Some("job-run-requested")
                            );
                            assert_eq!(
                                p["Pattern"]["detail"]["job"][0].as_str(),
                                Some(name.as_str())
                            );
                            schedule_rules += 1;
                        }
                        "DynamoDB" => {
                            assert_eq!(
                                p["FunctionResponseTypes"][0].as_str(),
                                Some("ReportBatchItemFailures"),
                                "{name} reports partial batch failures"
                            );
                            assert_eq!(
                                p["Stream"]["Fn::GetAtt"][0].as_str(),
                                Some("Table"),
                                "{name} reads the table's stream"
                            );
                            let pattern: serde_json::Value = serde_json::from_str(&text(
                                &p["FilterCriteria"]["Filters"][0]["Pattern"],
                            ))
                            .expect("the stream filter is JSON");
                            let entity = pattern["dynamodb"]["NewImage"]["entity"]["S"][0]
                                .as_str()
                                .expect("the stream filter names an entity");
                            d.streams.insert((name.clone(), entity.to_owned()));
                        }
                        other => panic!("{name} has an unexpected {other} event"),
                    }
                }
                let is_schedule = d.schedules.iter().any(|(n, _, _)| *n == name);
                assert_eq!(
                    schedule_rules,
                    usize::from(is_schedule),
                    "{name}: a schedule also runs on demand, nothing else does"
                );
            }
            _ => {}
        }
    }
    d
}

#[test]
fn template_declares_exactly_the_table() {
    let declared = declared(&template());
    let expected = expected();
    assert_eq!(declared.functions, expected.functions, "functions");
    assert_eq!(declared.routes, expected.routes, "HTTP routes");
    assert_eq!(declared.urls, expected.urls, "function URLs");
    assert_eq!(declared.workers, expected.workers, "queue workers");
    assert_eq!(declared.schedules, expected.schedules, "schedules");
    assert_eq!(declared.bus_rules, expected.bus_rules, "bus rules");
    assert_eq!(
        declared.queues, expected.queues,
        "queues and dead-letter queues"
    );
}

#[test]
fn secrets_are_references_never_text_and_only_where_used() {
    let template = template();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    for f in deployed_functions() {
        let id = pc_infra::names::function_id(f.name);
        let variables =
            &template["Resources"][id.as_str()]["Properties"]["Environment"]["Variables"];
        let held: BTreeSet<String> = Secret::ALL
            .iter()
            .map(|secret| secret.env_name())
            .filter(|key| variables.get(*key).is_some())
            .map(str::to_owned)
            .collect();
        let expected: BTreeSet<String> = f
            .secrets()
            .iter()
            .map(|secret| secret.env_name().to_owned())
            .collect();
        assert_eq!(held, expected, "{}: secrets", f.name);
        for key in &held {
            let value = text(&variables[key.as_str()]["Fn::Sub"]);
            assert!(
                value.starts_with("{{resolve:secretsmanager:${AppSecretName}:SecretString:")
                    && value.ends_with(&format!(":{key}}}}}")),
                "{}: {key} must be a Secrets Manager reference, is {:?}",
                f.name,
                variables[key.as_str()]
            );
        }
    }
    for secret in Secret::ALL {
        assert!(
            globals.get(secret.env_name()).is_none(),
            "{secret} must not be given to every function"
        );
    }
    let health = pc_infra::names::function_id("health");
    assert!(
        template["Resources"][health.as_str()]["Properties"]
            .get("Environment")
            .is_none(),
        "health holds no secret"
    );
}

#[test]
fn each_function_gets_only_the_queues_it_sends_to() {
    let template = template();
    for f in deployed_functions() {
        let id = pc_infra::names::function_id(f.name);
        let properties = &template["Resources"][id.as_str()]["Properties"];
        let urls: BTreeSet<String> = properties["Environment"]["Variables"]
            .as_mapping()
            .map(|m| {
                m.keys()
                    .map(text)
                    .filter(|k| k.ends_with("_QUEUE_URL"))
                    .collect()
            })
            .unwrap_or_default();
        let sends: BTreeSet<String> = properties["Policies"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|p| p.get("SQSSendMessagePolicy"))
            .map(|p| referenced(&p["QueueName"]))
            .collect();
        let expected_sends: BTreeSet<String> = f
            .permissions
            .sends_to
            .iter()
            .map(|q| pc_infra::names::queue_id(*q))
            .collect();
        assert_eq!(sends, expected_sends, "{}: send policies", f.name);
        if !pc_infra::template::DEAD_LETTER_READERS.contains(&f.name) {
            // A worker also finds its dead-letter queue through its own queue.
            let own = match f.trigger {
                Trigger::Queue(queue, _) => Some(queue),
                _ => None,
            };
            let expected_urls: BTreeSet<String> = f
                .permissions
                .sends_to
                .iter()
                .copied()
                .chain(own)
                .map(|q| q.url_env())
                .collect();
            assert_eq!(urls, expected_urls, "{}: queue URLs", f.name);
        }
        let table_policy = &properties["Policies"][0];
        let writes = table_policy.get("DynamoDBCrudPolicy").is_some();
        // A schedule's runner records its runs in the table.
        let needs_write = f.permissions.table_write || matches!(f.trigger, Trigger::Schedule(..));
        assert_eq!(writes, needs_write, "{}: table access", f.name);
    }
    for name in pc_infra::template::DEAD_LETTER_READERS {
        assert!(
            deployed_functions().iter().any(|f| f.name == *name),
            "{name} is no longer in the table: update DEAD_LETTER_READERS"
        );
    }
}

/// The resources a statement of `policies` allows `action` on.
fn allowed(policies: &Value, action: &str) -> BTreeSet<String> {
    let mut resources = BTreeSet::new();
    for policy in policies.as_sequence().into_iter().flatten() {
        let statements = policy.get("Statement").and_then(Value::as_sequence);
        for statement in statements.into_iter().flatten() {
            let actions = statement["Action"]
                .as_sequence()
                .cloned()
                .unwrap_or_default();
            if actions.iter().any(|a| text(a) == action) {
                resources.insert(referenced(&statement["Resource"]));
            }
        }
    }
    resources
}

#[test]
fn each_worker_may_dead_letter_a_poison_message_of_its_queue() {
    let template = template();
    for f in deployed_functions() {
        let Trigger::Queue(queue, _) = f.trigger else {
            continue;
        };
        let id = pc_infra::names::function_id(f.name);
        let policies = &template["Resources"][id.as_str()]["Properties"]["Policies"];
        let dead_letter_queue = pc_infra::names::dead_letter_queue_id(queue);
        assert!(
            allowed(policies, "sqs:GetQueueAttributes").contains(&pc_infra::names::queue_id(queue)),
            "{}: reads its queue's redrive policy",
            f.name
        );
        for action in ["sqs:GetQueueUrl", "sqs:SendMessage"] {
            assert!(
                allowed(policies, action).contains(&dead_letter_queue),
                "{}: {action} on {dead_letter_queue}",
                f.name
            );
        }
    }
}
