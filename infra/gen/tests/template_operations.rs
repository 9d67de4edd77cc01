//! What an operator relies on in the deployment, for every function the
//! table has now or gets later: a log group with retention, an error-rate
//! alarm (and a throttles alarm where a caller waits), alarms on every
//! dead-letter queue, every work queue's oldest message, the table and the
//! HTTP API, a subscription from a parameter, a destination for failed
//! schedule runs, throttling on the API, reserved concurrency where the
//! public can call, and lint suppressions only where they are deliberate.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use pc_http::functions::Trigger;
use pc_infra::names::function_id;
use pc_infra::{deployed_functions, workspace_root};

/// template.yaml with its nested stacks inlined.
fn template() -> Value {
    pc_infra::stacks::read_deployment(&workspace_root())
        .expect("template.yaml and its stacks read back, wired")
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (text(id), r))
        .collect()
}

/// The logical id a `Ref` or `Fn::GetAtt` names.
fn referenced(value: &Value) -> String {
    value
        .get("Ref")
        .map(text)
        .or_else(|| value.get("Fn::GetAtt").and_then(|a| a.get(0)).map(text))
        .unwrap_or_default()
}

/// The alarms to the alarm topic on `metric` (alone, or in a metric-math
/// alarm), by the resource their first dimension names, with their
/// threshold and how many of how many periods must breach.
fn alarms_on(template: &Value, metric: &str) -> BTreeMap<String, (u64, u64, u64)> {
    resources_of_type(template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter_map(|(id, a)| {
            let p = &a["Properties"];
            let metric_of_alarm = if p["MetricName"] == metric {
                Some(&p["Dimensions"])
            } else {
                p["Metrics"].as_sequence().and_then(|queries| {
                    queries
                        .iter()
                        .map(|q| &q["MetricStat"]["Metric"])
                        .find(|m| m["MetricName"] == metric)
                        .map(|m| &m["Dimensions"])
                })
            };
            let dimensions = metric_of_alarm?;
            assert_eq!(
                text(&p["ComparisonOperator"]),
                "GreaterThanThreshold",
                "{id}"
            );
            assert_eq!(referenced(&p["AlarmActions"][0]), "AlarmTopic", "{id}");
            assert_eq!(referenced(&p["OKActions"][0]), "AlarmTopic", "{id}");
            let figures = (
                p["Threshold"].as_u64().expect("a threshold"),
                p["DatapointsToAlarm"]
                    .as_u64()
                    .expect("datapoints to alarm"),
                p["EvaluationPeriods"].as_u64().expect("evaluation periods"),
            );
            Some((referenced(&dimensions[0]["Value"]), figures))
        })
        .collect()
}

#[test]
fn every_function_logs_with_retention_and_is_alarmed() {
    use pc_infra::observability::{ERROR_RATE_PERCENT, SUSTAINED, WINDOW};
    let template = template();
    let logged: BTreeSet<String> = resources_of_type(&template, "AWS::Logs::LogGroup")
        .into_iter()
        .filter(|(_, g)| g["Properties"]["RetentionInDays"].as_u64().is_some())
        .filter_map(|(_, g)| {
            let name = text(&g["Properties"]["LogGroupName"]["Fn::Sub"]);
            let id = name.strip_prefix("/aws/lambda/${")?.strip_suffix('}')?;
            Some(id.to_owned())
        })
        .collect();
    let functions: BTreeSet<String> = deployed_functions()
        .iter()
        .map(|f| function_id(f.name))
        .collect();
    assert_eq!(
        logged, functions,
        "one log group with retention per function"
    );
    // An error rate over invocations, sustained: not one error once.
    let errors = alarms_on(&template, "Errors");
    let invocations = alarms_on(&template, "Invocations");
    assert_eq!(errors.keys().cloned().collect::<BTreeSet<_>>(), functions);
    assert_eq!(errors, invocations, "each errors alarm is a rate");
    for (function, figures) in &errors {
        assert_eq!(
            *figures,
            (ERROR_RATE_PERCENT, SUSTAINED, WINDOW),
            "{function}"
        );
    }
    // Throttles where a caller waits for the answer.
    let synchronous: BTreeSet<String> = deployed_functions()
        .iter()
        .filter(|f| {
            matches!(
                f.trigger,
                Trigger::Http(_) | Trigger::Webhook(_) | Trigger::Socket(..)
            )
        })
        .map(|f| function_id(f.name))
        .collect();
    let throttles = alarms_on(&template, "Throttles");
    assert_eq!(
        throttles.keys().cloned().collect::<BTreeSet<_>>(),
        synchronous
    );
    assert!(throttles.values().all(|(_, breaching, _)| *breaching > 1));
}

#[test]
fn the_shared_resources_are_alarmed() {
    let template = template();
    let api: BTreeSet<String> = BTreeSet::from(["HttpApi".to_owned()]);
    for metric in ["5xx", "Count", "Latency"] {
        assert_eq!(
            alarms_on(&template, metric)
                .keys()
                .cloned()
                .collect::<BTreeSet<_>>(),
            api,
            "{metric}"
        );
    }
    let latency = &template["Resources"]["HttpApiLatencyAlarm"]["Properties"];
    assert_eq!(text(&latency["ExtendedStatistic"]), "p99");
    let table = BTreeSet::from(["Table".to_owned()]);
    for metric in ["ReadThrottleEvents", "WriteThrottleEvents", "SystemErrors"] {
        assert_eq!(
            alarms_on(&template, metric)
                .keys()
                .cloned()
                .collect::<BTreeSet<_>>(),
            table,
            "{metric}"
        );
    }
    // The age of the oldest message of every work queue (the ones with a
    // dead-letter queue of their own).
    let work_queues: BTreeSet<String> = resources_of_type(&template, "AWS::SQS::Queue")
        .into_iter()
        .filter(|(_, q)| q["Properties"].get("RedrivePolicy").is_some())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(work_queues.len(), pc_platform::queue::QueueName::ALL.len());
    assert_eq!(
        alarms_on(&template, "ApproximateAgeOfOldestMessage")
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>(),
        work_queues
    );
}

#[test]
fn a_parameter_subscribes_someone_to_the_alarms() {
    let template = template();
    let subscription = &template["Resources"]["AlarmSubscription"];
    assert_eq!(text(&subscription["Type"]), "AWS::SNS::Subscription");
    let p = &subscription["Properties"];
    assert_eq!(referenced(&p["TopicArn"]), "AlarmTopic");
    assert_eq!(referenced(&p["Endpoint"]), "AlarmSubscriptionEndpoint");
    assert_eq!(referenced(&p["Protocol"]), "AlarmSubscriptionProtocol");
    // Empty (the default) subscribes nobody.
    let condition = text(&subscription["Condition"]);
    let equals = &template["Conditions"][condition.as_str()]["Fn::Not"][0]["Fn::Equals"];
    assert_eq!(referenced(&equals[0]), "AlarmSubscriptionEndpoint");
    assert_eq!(text(&equals[1]), "");
    let parameter = &template["Parameters"]["AlarmSubscriptionEndpoint"];
    assert_eq!(parameter["Default"].as_str(), Some(""));
}

#[test]
fn every_dead_letter_queue_is_alarmed_and_only_they_skip_a_redrive_policy() {
    let template = template();
    let mut dead_letter_queues = BTreeSet::new();
    for (id, queue) in resources_of_type(&template, "AWS::SQS::Queue") {
        let ignored = &queue["Metadata"]["cfn-lint"]["config"]["ignore_checks"];
        if queue["Properties"].get("RedrivePolicy").is_none() {
            assert!(
                id.ends_with("DeadLetterQueue"),
                "{id} has no redrive policy"
            );
            assert_eq!(ignored.as_sequence().map(Vec::len), Some(1), "{id}");
            assert_eq!(text(&ignored[0]), "ES6000", "{id}: only the redrive rule");
            dead_letter_queues.insert(id);
        } else {
            assert!(ignored.is_null(), "{id} must not silence lint rules");
        }
    }
    let depth = alarms_on(&template, "ApproximateNumberOfMessagesVisible");
    assert_eq!(
        depth.keys().cloned().collect::<BTreeSet<_>>(),
        dead_letter_queues
    );
    // One dead letter is one failed message for a person to look at.
    assert!(depth.values().all(|figures| *figures == (0, 1, 1)));
    // Elsewhere only the deliberate exceptions (docs/operations.md): the
    // SQS workers' event source mappings need no on-failure destination
    // (ES1001: their queue's dead-letter queue is it), and the alarm
    // subscription no dead-letter queue (ES7000).
    let workers: BTreeSet<String> = deployed_functions()
        .iter()
        .filter(|f| matches!(f.trigger, Trigger::Queue(..)))
        .map(|f| function_id(f.name))
        .collect();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        let id = text(id);
        if resource["Type"] == "AWS::SQS::Queue" {
            continue;
        }
        let ignored: Vec<String> = resource["Metadata"]["cfn-lint"]["config"]["ignore_checks"]
            .as_sequence()
            .map(|rules| rules.iter().map(text).collect())
            .unwrap_or_default();
        let expected: &[&str] = if workers.contains(&id) {
            &["ES1001"]
        } else if id == "AlarmSubscription" {
            &["ES7000"]
        } else {
            &[]
        };
        assert_eq!(ignored, expected, "{id} silences lint rules");
    }
}

#[test]
fn failed_asynchronous_invocations_are_dead_lettered() {
    let template = template();
    for f in deployed_functions() {
        let properties = &template["Resources"][function_id(f.name).as_str()]["Properties"];
        let destination = &properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
        // Schedules and bus rules are invoked asynchronously.
        if !matches!(f.trigger, Trigger::Schedule(..) | Trigger::BusRule(..)) {
            assert!(destination.is_null(), "{}", f.name);
            continue;
        }
        assert_eq!(
            referenced(&destination["Destination"]),
            "JobRunsDeadLetterQueue"
        );
        for (name, event) in properties["Events"].as_mapping().unwrap() {
            assert_eq!(
                referenced(&event["Properties"]["DeadLetterConfig"]["Arn"]),
                "JobRunsDeadLetterQueue",
                "{}: {name:?}",
                f.name
            );
        }
    }
}

#[test]
fn the_api_is_throttled_and_public_entry_points_have_reserved_concurrency() {
    let template = template();
    let settings = &template["Resources"]["HttpApiStage"]["Properties"]["DefaultRouteSettings"];
    assert_eq!(
        referenced(&settings["ThrottlingRateLimit"]),
        "ApiThrottlingRateLimit"
    );
    assert_eq!(
        referenced(&settings["ThrottlingBurstLimit"]),
        "ApiThrottlingBurstLimit"
    );
    let mut capped = BTreeSet::new();
    for f in deployed_functions() {
        let properties = &template["Resources"][function_id(f.name).as_str()]["Properties"];
        if let Some(reserved) = properties.get("ReservedConcurrentExecutions") {
            assert_eq!(
                referenced(&reserved["Fn::If"][1]),
                "PublicReservedConcurrency"
            );
            capped.insert(f.name);
        }
    }
    let webhooks = deployed_functions()
        .iter()
        .filter(|f| matches!(f.trigger, Trigger::Webhook(_)))
        .count();
    assert!(webhooks > 0);
    for f in deployed_functions() {
        if matches!(f.trigger, Trigger::Webhook(_)) || f.name == "auth-sign-in" {
            assert!(
                capped.contains(f.name),
                "{} has no reserved concurrency",
                f.name
            );
        }
    }
    assert_eq!(capped.len(), webhooks + 1, "{capped:?}");
}
