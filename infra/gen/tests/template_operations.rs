//! What an operator relies on in template.yaml, for every function the
//! table has now or gets later: a log group with retention, an errors
//! alarm, an alarm on every dead-letter queue, a destination for failed
//! schedule runs, throttling on the API, reserved concurrency where the
//! public can call, and lint suppressions only where they are deliberate.

use std::collections::BTreeSet;

use serde_yaml::Value;

use pc_api::functions::Trigger;
use pc_infra::names::function_id;
use pc_infra::{deployed_functions, workspace_root};

fn template() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("template.yaml"))
        .expect("template.yaml exists");
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
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

/// Alarms firing on any non-zero value, to the alarm topic, by the
/// resource their one dimension names.
fn alarms_by_target(template: &Value, metric: &str) -> BTreeSet<String> {
    resources_of_type(template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| a["Properties"]["MetricName"] == metric)
        .map(|(id, a)| {
            let p = &a["Properties"];
            assert_eq!(p["Threshold"].as_u64(), Some(0), "{id}");
            assert_eq!(text(&p["ComparisonOperator"]), "GreaterThanThreshold");
            assert_eq!(referenced(&p["AlarmActions"][0]), "AlarmTopic", "{id}");
            referenced(&p["Dimensions"][0]["Value"])
        })
        .collect()
}

#[test]
fn every_function_logs_with_retention_and_is_alarmed() {
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
    assert_eq!(
        alarms_by_target(&template, "Errors"),
        functions,
        "one errors alarm per function"
    );
    assert_eq!(
        alarms_by_target(&template, "5xx"),
        BTreeSet::from(["HttpApi".to_owned()])
    );
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
    assert_eq!(
        alarms_by_target(&template, "ApproximateNumberOfMessagesVisible"),
        dead_letter_queues
    );
    // No other resource silences a rule.
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::SQS::Queue" {
            assert!(
                resource["Metadata"].get("cfn-lint").is_none(),
                "{id:?} silences a lint rule"
            );
        }
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
    let settings = &template["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"];
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
