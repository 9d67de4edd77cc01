//! The OpenAPI document as a client generator reads it: for every
//! operation of the function table, every error status it can answer (by
//! its access, body, path ids and query) with the error body, and the
//! security its access calls for; the security schemes are the session
//! cookie, a bearer JWT and, for the public partner API, a partner API
//! token.

use serde_json::Value;

use pc_host::catalog;
use pc_http::Access;
use pc_http::functions::{Function, Trigger};

fn document() -> Value {
    serde_json::to_value(pc_http::openapi::document(catalog::all()))
        .expect("the document serializes")
}

fn http_functions() -> impl Iterator<Item = &'static Function> {
    catalog::all()
        .iter()
        .filter(|f| matches!(f.trigger, Trigger::Http(_) | Trigger::Webhook(_)))
}

const ERROR_BODY: &str = "#/components/schemas/ErrorBody";
const GATEWAY_MESSAGE: &str = "#/components/schemas/GatewayMessage";

/// A `$ref` in the document resolves to a schema of its components.
fn resolves(doc: &Value, reference: &str) -> bool {
    reference
        .strip_prefix("#/components/schemas/")
        .is_some_and(|name| doc["components"]["schemas"][name].is_object())
}

#[test]
fn the_served_document_is_the_one_the_table_builds() {
    let served: Value =
        serde_json::from_str(pc_host::system::docs::DOCUMENT).expect("docs/openapi.json is JSON");
    assert!(
        served == document(),
        "docs/openapi.json is stale: run `cargo run -p pc-infra -- generate`"
    );
}

#[test]
fn security_schemes_are_the_session_cookie_and_a_bearer_jwt() {
    let doc = document();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["cookie"]["type"], "apiKey");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    assert_eq!(schemes["cookie"]["name"], "accessToken");
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    assert_eq!(schemes["partnerToken"]["type"], "http");
    assert_eq!(schemes["partnerToken"]["scheme"], "bearer");
}

#[test]
fn every_operation_lists_its_error_statuses_and_security() {
    let doc = document();
    let mut checked = 0;
    for function in http_functions() {
        let (method, path) = function
            .method_and_path()
            .expect("HTTP functions have a route");
        let method = method.as_str().to_ascii_lowercase();
        let operation = &doc["paths"][path.as_str()][method.as_str()];
        let name = function.name;
        assert!(
            operation.is_object(),
            "{name}: {method} {path} is not documented"
        );
        let responses = operation["responses"].as_object().expect("responses");
        let has = |status: &str| responses.contains_key(status);

        let mut expected = vec!["500", "503"];
        let behind_gateway = matches!(function.trigger, Trigger::Http(_));
        if behind_gateway {
            expected.push("429");
        }
        if function.access == Access::PartnerToken {
            expected.extend(["401", "403", "429"]);
            assert_eq!(
                operation["security"],
                serde_json::json!([{"partnerToken": []}]),
                "{name}: the partner API token only"
            );
        } else if function.access.is_authenticated() {
            expected.extend(["401", "403"]);
            assert_eq!(
                operation["security"],
                serde_json::json!([{"cookie": []}, {"bearer": []}]),
                "{name}: cookie or bearer"
            );
        } else {
            assert_eq!(
                operation["security"],
                serde_json::json!([]),
                "{name}: public, no credentials"
            );
        }
        if operation.get("requestBody").is_some() {
            expected.extend(["400", "413"]);
        }
        let has_query = operation["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        if has_query {
            expected.push("400");
        }
        if path.contains('{') {
            expected.push("404");
        }
        for status in expected {
            assert!(
                has(status),
                "{name}: {method} {path} does not list {status}"
            );
        }
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"];
                let from_gateway =
                    behind_gateway && ["413", "429", "500", "503"].contains(&status.as_str());
                let references: Vec<&str> = if from_gateway {
                    schema["oneOf"]
                        .as_array()
                        .map(|shapes| shapes.iter().filter_map(|s| s["$ref"].as_str()).collect())
                        .unwrap_or_default()
                } else {
                    schema["$ref"].as_str().into_iter().collect()
                };
                let expected: &[&str] = if from_gateway {
                    &[ERROR_BODY, GATEWAY_MESSAGE]
                } else {
                    &[ERROR_BODY]
                };
                assert_eq!(
                    references, expected,
                    "{name}: {status} must carry the error body (and API Gateway's, where it may answer)"
                );
                for reference in references {
                    assert!(resolves(&doc, reference), "{reference} does not resolve");
                }
                assert_ne!(response["description"], "", "{name}: {status} says nothing");
            }
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} operations checked");
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert!(error["properties"]["error"].is_object(), "{error}");
    assert!(doc["components"]["schemas"]["FieldError"].is_object());
}

#[test]
fn statuses_the_handlers_declare_stay_listed() {
    let doc = document();
    let sign_in = &doc["paths"]["/auth/sign-in"]["post"]["responses"];
    assert!(sign_in["429"].is_object(), "sign-in is rate-limited");
    assert!(sign_in.get("401").is_some());
    let create_partner = &doc["paths"]["/v1/partners"]["post"]["responses"];
    assert!(
        create_partner["409"].is_object(),
        "a taken slug is a conflict"
    );
}

#[test]
fn webhooks_are_documented_on_their_function_urls_and_routes_on_the_api() {
    let doc = document();
    let servers = doc["servers"].as_array().expect("top-level servers");
    assert!(
        servers
            .iter()
            .any(|s| s["url"].as_str().is_some_and(|u| u.contains("execute-api"))),
        "{servers:?}"
    );
    let mut webhooks = 0;
    for function in http_functions() {
        let (_, path) = function.method_and_path().expect("a route");
        let item = &doc["paths"][path.as_str()];
        let urls: Vec<&str> = item["servers"]
            .as_array()
            .map(|s| s.iter().filter_map(|s| s["url"].as_str()).collect())
            .unwrap_or_default();
        if matches!(function.trigger, Trigger::Webhook(_)) {
            webhooks += 1;
            assert!(
                urls.iter().any(|u| u.contains(".lambda-url.")),
                "{path}: the function URL is its server ({urls:?})"
            );
            assert!(
                !urls.iter().any(|u| u.contains("execute-api")),
                "{path}: the HTTP API does not serve it"
            );
        } else {
            assert!(urls.is_empty(), "{path}: served by the API ({urls:?})");
        }
    }
    assert_eq!(
        webhooks, 4,
        "the HubSpot, Stripe (platform and Connect) and ChiliPiper webhooks"
    );
}

/// Every operation of the document, with its path and method.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                all.push((path.clone(), method.clone(), operation));
            }
        }
    }
    all
}

#[test]
fn every_schema_has_an_example() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let missing: Vec<&String> = schemas
        .iter()
        .filter(|(_, schema)| {
            schema.get("example").is_none()
                && schema["examples"].as_array().is_none_or(|e| e.is_empty())
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        missing.is_empty(),
        "schemas without an example: {missing:?}"
    );
    assert!(schemas.len() > 100, "only {} schemas", schemas.len());
}

#[test]
fn every_operation_and_tag_is_described() {
    let doc = document();
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .expect("top-level tags")
        .iter()
        .map(|tag| {
            let name = tag["name"].as_str().expect("a tag name");
            assert!(
                tag["description"].as_str().is_some_and(|d| !d.is_empty()),
                "tag {name} is not described"
            );
            name
        })
        .collect();
    for (path, method, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        for field in ["summary", "description"] {
            assert!(
                operation[field]
                    .as_str()
                    .is_some_and(|t| !t.trim().is_empty()),
                "{id}: no {field}"
            );
        }
        let summary = operation["summary"].as_str().unwrap_or_default();
        assert!(!summary.contains('\n'), "{id}: the summary is one line");
        let operation_tags = operation["tags"].as_array().expect("tags");
        assert!(!operation_tags.is_empty(), "{id}: no tag");
        for tag in operation_tags {
            let tag = tag.as_str().unwrap_or_default();
            assert!(
                tags.contains(&tag),
                "{id}: tag {tag} is not described in pc_http::openapi::TAGS"
            );
        }
    }
}

/// The shapes a schema node can take that say nothing of an object's
/// members: `{"type": "object"}` alone, which generated clients type as an
/// empty object (`Record<string, never>`).
fn untyped_objects(node: &Value, at: &str, found: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            let is_object = match &map.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(types)) => types.iter().any(|t| t == "object"),
                _ => false,
            };
            let described = [
                "properties",
                "additionalProperties",
                "allOf",
                "oneOf",
                "anyOf",
                "$ref",
            ]
            .iter()
            .any(|k| map.contains_key(*k));
            if is_object && !described {
                found.push(at.to_owned());
            }
            for (key, value) in map {
                // Examples are values, not schemas.
                if key != "example" && key != "examples" {
                    untyped_objects(value, &format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                untyped_objects(item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_body_is_typed() {
    let doc = document();
    let mut found = Vec::new();
    untyped_objects(&doc["paths"], "#/paths", &mut found);
    untyped_objects(
        &doc["components"]["schemas"],
        "#/components/schemas",
        &mut found,
    );
    assert!(found.is_empty(), "objects without members: {found:#?}");
    for (path, method, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        if let Some(body) = operation.get("requestBody") {
            let content = body["content"].as_object().expect("request content");
            assert!(!content.is_empty(), "{id}: a request body without content");
            for (media, entry) in content {
                assert!(entry["schema"].is_object(), "{id}: {media} has no schema");
            }
        }
        for (status, response) in operation["responses"].as_object().expect("responses") {
            let no_body = status == "204" || status.starts_with('3');
            let content = response["content"].as_object();
            assert!(
                no_body || content.is_some_and(|c| c.values().all(|e| e["schema"].is_object())),
                "{method} {path}: {status} has no typed body"
            );
        }
    }
}

#[test]
fn every_http_api_operation_documents_the_throttle_in_both_shapes() {
    let doc = document();
    let mut throttled = 0;
    for function in http_functions() {
        let Trigger::Http(_) = function.trigger else {
            continue;
        };
        let (method, path) = function.method_and_path().expect("a route");
        let method = method.as_str().to_ascii_lowercase();
        let response = &doc["paths"][path.as_str()][method.as_str()]["responses"]["429"];
        let shapes = &response["content"]["application/json"]["schema"]["oneOf"];
        assert_eq!(
            shapes,
            &serde_json::json!([{"$ref": ERROR_BODY}, {"$ref": GATEWAY_MESSAGE}]),
            "{}: 429 in the error body or API Gateway's",
            function.name
        );
        throttled += 1;
    }
    assert!(throttled > 90, "only {throttled} operations");
    let gateway = &doc["components"]["schemas"]["GatewayMessage"];
    assert_eq!(gateway["additionalProperties"], false, "{gateway}");
    assert_eq!(gateway["required"], serde_json::json!(["message"]));
}
