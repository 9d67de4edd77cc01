//! The WebSocket API of the deployment matches the table's socket routes
//! and bus rules: one route per socket function, proxied to exactly that
//! function, which API Gateway may invoke; an auto-deployed stage; the
//! pushing functions hold the Management API endpoint and may post to the
//! API's connections, and no other function may; the URL is an output.

use std::collections::BTreeSet;

use serde_yaml::Value;

use pc_http::functions::Trigger;
use pc_infra::names::function_id;
use pc_infra::{deployed_functions, workspace_root};

/// template.yaml with its nested stacks inlined.
fn template() -> Value {
    pc_infra::stacks::read_deployment(&workspace_root())
        .expect("template.yaml and its stacks read back, wired")
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| text(&r["Type"]) == kind)
        .map(|(id, r)| (text(id), r))
        .collect()
}

#[test]
fn each_socket_route_reaches_its_own_function() {
    let template = template();
    let resources = &template["Resources"];
    let api = &resources["WebSocketApi"]["Properties"];
    assert_eq!(text(&api["ProtocolType"]), "WEBSOCKET");
    assert_eq!(
        text(&api["RouteSelectionExpression"]),
        "$request.body.action"
    );
    let stage = &resources["WebSocketStage"]["Properties"];
    assert_eq!(stage["AutoDeploy"].as_bool(), Some(true));

    let mut expected = BTreeSet::new();
    for f in deployed_functions() {
        if let Trigger::Socket(route, _) = f.trigger {
            expected.insert((route.key().to_owned(), function_id(f.name)));
        }
    }
    assert_eq!(expected.len(), 3, "$connect, $disconnect and $default");

    let mut declared = BTreeSet::new();
    for (id, route) in resources_of_type(&template, "AWS::ApiGatewayV2::Route") {
        let p = &route["Properties"];
        // The HTTP API's routes: tests/template_matches_table.
        if text(&p["ApiId"]["Ref"]) != "WebSocketApi" {
            continue;
        }
        let integration_id = text(&p["Target"]["Fn::Sub"])
            .strip_prefix("integrations/${")
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or_else(|| panic!("{id}'s target is not an integration"));
        let integration = &resources[integration_id]["Properties"];
        assert_eq!(text(&integration["IntegrationType"]), "AWS_PROXY");
        let uri = text(&integration["IntegrationUri"]["Fn::Sub"]);
        let function = uri
            .split("functions/${")
            .nth(1)
            .and_then(|rest| rest.split(".Arn}").next())
            .unwrap_or_else(|| panic!("{integration_id} invokes no function"));
        let key = text(&p["RouteKey"]).to_owned();
        let permitted = resources_of_type(&template, "AWS::Lambda::Permission")
            .into_iter()
            .any(|(_, permission)| {
                let p = &permission["Properties"];
                text(&p["FunctionName"]["Ref"]) == function
                    && text(&p["Principal"]) == "apigateway.amazonaws.com"
                    && text(&p["SourceArn"]["Fn::Sub"]).ends_with(&format!("/*/{key}"))
            });
        assert!(permitted, "API Gateway may not invoke {function} for {key}");
        declared.insert((key, function.to_owned()));
    }
    assert_eq!(declared, expected);

    let url = text(&template["Outputs"]["WebSocketUrl"]["Value"]["Fn::Sub"]);
    assert!(url.starts_with("wss://${WebSocketApi}."), "{url}");
}

#[test]
fn only_pushing_functions_may_post_to_connections() {
    let template = template();
    let mut pushing = 0;
    for f in deployed_functions() {
        let properties = &template["Resources"][function_id(f.name).as_str()]["Properties"];
        let endpoint = &properties["Environment"]["Variables"]["WEBSOCKET_ENDPOINT"];
        let policies = serde_yaml::to_string(&properties["Policies"]).unwrap();
        let manages = policies.contains("execute-api:ManageConnections");
        if f.permissions.pushes {
            pushing += 1;
            assert!(
                text(&endpoint["Fn::Sub"]).starts_with("https://${WebSocketApi}."),
                "{} has no WEBSOCKET_ENDPOINT",
                f.name
            );
            assert!(manages, "{} may not post to connections", f.name);
            assert!(policies.contains("${WebSocketApi}/${WebSocketStage}/POST/@connections/*"));
        } else {
            assert!(endpoint.is_null() && !manages, "{} may post", f.name);
        }
    }
    assert!(pushing > 0, "the broadcaster pushes");
}

#[test]
fn the_broadcaster_rule_takes_the_client_events_with_retries_and_a_dead_letter_queue() {
    let template = template();
    let broadcaster = &template["Resources"][function_id("realtime-broadcaster").as_str()];
    let rule = &broadcaster["Properties"]["Events"]["BusRule"]["Properties"];
    assert_eq!(text(&rule["EventBusName"]["Ref"]), "EventBus");
    let types: Vec<&str> = rule["Pattern"]["detail-type"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert_eq!(types, pc_realtime::audience::CLIENT_EVENTS);
    assert!(
        rule["RetryPolicy"]["MaximumRetryAttempts"]
            .as_u64()
            .is_some()
    );
    assert_eq!(
        text(&rule["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]),
        "JobRunsDeadLetterQueue"
    );
}
