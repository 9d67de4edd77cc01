//! The OpenAPI document as a client generator reads it: for every
//! operation of the function table, every error status it can answer (by
//! its access, body, path ids and query) with the error body, and the
//! security its access calls for; the security schemes are the session
//! cookie, a bearer JWT and, for the public partner API, a partner API
//! token.

use serde_json::Value;

use pc_api::Access;
use pc_api::functions::{Function, Trigger};
use pc_app::catalog;

fn document() -> Value {
    serde_json::to_value(pc_api::openapi::document(catalog::all()))
        .expect("the document serializes")
}

fn http_functions() -> impl Iterator<Item = &'static Function> {
    catalog::all()
        .iter()
        .filter(|f| matches!(f.trigger, Trigger::Http(_) | Trigger::Webhook(_)))
}

/// A `$ref` in the document resolves to a schema of its components.
fn resolves(doc: &Value, reference: &str) -> bool {
    reference
        .strip_prefix("#/components/schemas/")
        .is_some_and(|name| doc["components"]["schemas"][name].is_object())
}

#[test]
fn the_served_document_is_the_one_the_table_builds() {
    let served: Value =
        serde_json::from_str(pc_app::system::docs::DOCUMENT).expect("docs/openapi.json is JSON");
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
                let reference = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap_or_default();
                assert_eq!(
                    reference, "#/components/schemas/ErrorBody",
                    "{name}: {status} must carry the error body"
                );
                assert!(resolves(&doc, reference), "{reference} does not resolve");
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
