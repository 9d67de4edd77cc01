//! The deployment (template.yaml and its nested stacks) declares exactly the
//! table's functions, routes, function URLs, workers (with their bounds),
//! schedules, bus rules and queues: the expectation from the table, and
//! what the templates declare, with their wiring checked.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use pc_http::functions::Trigger;
use pc_infra::deployed_functions;
use pc_infra::names::api_path;
use pc_platform::queue::{MAX_RECEIVES, QueueName};

use crate::template_yaml::{referenced, template, text};

#[derive(Debug, Default, PartialEq)]
struct Declared {
    functions: BTreeSet<String>,
    routes: BTreeSet<(String, String, String)>,
    urls: BTreeSet<String>,
    /// Workers by function: queue, batch size, maximum concurrency.
    workers: BTreeSet<(String, String, u64, u64)>,
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
                let scaling = f.scaling.expect("every worker is bounded");
                assert!(
                    scaling.max_concurrency >= 2,
                    "{}: SQS's minimum is 2",
                    f.name
                );
                d.workers.insert((
                    f.name.to_owned(),
                    queue.as_str().to_owned(),
                    scaling.batch_size.into(),
                    scaling.max_concurrency.into(),
                ));
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

/// Every function's `CodeUri` up to its name (`../../target/lambda/`).
fn code_uri_prefix() -> String {
    let empty = pc_infra::template::code_uri("");
    empty.strip_suffix('/').unwrap_or(&empty).to_owned()
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
                    .strip_prefix(code_uri_prefix().as_str())
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
                        "SQS" => {
                            assert_eq!(
                                p["FunctionResponseTypes"][0].as_str(),
                                Some("ReportBatchItemFailures"),
                                "{name} reports partial batch failures"
                            );
                            let queue = by_id[&referenced(&p["Queue"])];
                            d.workers.insert((
                                name.clone(),
                                queue_name(queue),
                                p["BatchSize"].as_u64().expect("a batch size"),
                                p["ScalingConfig"]["MaximumConcurrency"]
                                    .as_u64()
                                    .unwrap_or_else(|| panic!("{name} is unbounded")),
                            ));
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
    d.routes = http_routes(&by_id);
    d
}

/// The HTTP API's routes, each to the function its integration invokes,
/// which API Gateway may invoke on that route.
fn http_routes(by_id: &BTreeMap<String, &Value>) -> BTreeSet<(String, String, String)> {
    let function_name = |id: &str| {
        let code_uri = text(&by_id[id]["Properties"]["CodeUri"]);
        code_uri
            .strip_prefix(code_uri_prefix().as_str())
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{id} is not a built function"))
            .to_owned()
    };
    let mut routes = BTreeSet::new();
    for (id, route) in by_id {
        if route["Type"] != "AWS::ApiGatewayV2::Route"
            || referenced(&route["Properties"]["ApiId"]) != "HttpApi"
        {
            continue;
        }
        let p = &route["Properties"];
        let key = text(&p["RouteKey"]);
        let (method, path) = key
            .split_once(' ')
            .expect("a route key is a method and a path");
        assert_eq!(text(&p["AuthorizationType"]), "NONE", "{id}");
        let target = text(&p["Target"]["Fn::Sub"]);
        let integration = target
            .strip_prefix("integrations/${")
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or_else(|| panic!("{id}'s target is not an integration"));
        let integration = &by_id[integration]["Properties"];
        assert_eq!(referenced(&integration["ApiId"]), "HttpApi");
        assert_eq!(text(&integration["IntegrationType"]), "AWS_PROXY");
        assert_eq!(text(&integration["PayloadFormatVersion"]), "2.0");
        let function = referenced(&integration["IntegrationUri"]);
        let source = format!(
            "${{HttpApi}}/*/{method}{}",
            path.split('/')
                .map(|s| if s.starts_with('{') { "*" } else { s })
                .collect::<Vec<_>>()
                .join("/")
        );
        let permitted = by_id.values().any(|permission| {
            let q = &permission["Properties"];
            permission["Type"] == "AWS::Lambda::Permission"
                && referenced(&q["FunctionName"]) == function
                && text(&q["Principal"]) == "apigateway.amazonaws.com"
                && text(&q["SourceArn"]["Fn::Sub"]).ends_with(&source)
        });
        assert!(permitted, "API Gateway may not invoke {function} on {key}");
        routes.insert((function_name(&function), method.to_owned(), path.to_owned()));
    }
    routes
}

#[test]
fn template_declares_exactly_the_table() {
    let declared = declared(&template());
    let expected = expected();
    assert_eq!(declared.functions, expected.functions, "functions");
    assert_eq!(declared.routes, expected.routes, "HTTP routes");
    assert_eq!(declared.urls, expected.urls, "function URLs");
    assert_eq!(
        declared.workers, expected.workers,
        "queue workers and their bounds"
    );
    assert_eq!(declared.schedules, expected.schedules, "schedules");
    assert_eq!(declared.bus_rules, expected.bus_rules, "bus rules");
    assert_eq!(
        declared.queues, expected.queues,
        "queues and dead-letter queues"
    );
}
