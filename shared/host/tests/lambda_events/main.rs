//! The Lambda runners fed real event shapes, with an embedded context and
//! no Lambda runtime: every deployed function's `events/` sample reaches
//! its handler and succeeds — an HTTP sample answers 2xx, signed in and
//! acting on records of a [`SampleWorld`] named by placeholders, a worker
//! or schedule sample is handled (after the items of an optional
//! `events/<name>.store.json` are put in the store); API Gateway v2 cookies
//! go in and out as arrays; function-URL bodies arrive base64-decoded.
//! Each sample runs with only the secrets its function is deployed with.
//!
//! The context of each sample has only the ports its function builds when
//! deployed, so a handler using a port its permissions do not grant fails
//! here as it would in Lambda.
//!
//! HTTP events go through `lambda_http::Adapter`, the very service
//! `lambda_http::run` puts around the router in a deployed function, so the
//! v2 request and response conversions are lambda_http's own.
//!
//! One module per kind of event: HTTP, worker and schedule, webhook samples.

use std::path::PathBuf;

use axum::Router;
use lambda_http::request::{LambdaRequest, RequestOrigin};
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use serde_json::Value;
use tower::ServiceExt;

use pc_host::catalog;
use pc_http::AppState;
use pc_platform::EmbeddedParts;

mod http_events;
mod sample_world;
mod webhook_samples;
mod worker_events;

use sample_world::samples::check_samples;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

fn context() -> AppState {
    EmbeddedParts::in_memory().context
}

/// Invokes `app` with `event` as lambda_http does in Lambda; answers the
/// serialized response (API Gateway v2 shape for v2 events).
async fn invoke(app: Router, event: LambdaRequest) -> Value {
    let mut adapter = Adapter::from(app);
    let response = adapter
        .ready()
        .await
        .expect("the router is always ready")
        .call(LambdaEvent::new(event, Context::default()))
        .await
        .expect("the router never fails");
    serde_json::to_value(&response).expect("responses serialize")
}

fn parse_http(name: &str, text: &str) -> LambdaRequest {
    let event: LambdaRequest = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("events/{name}.json is not an HTTP event: {e}"));
    assert!(
        matches!(event.request_origin(), RequestOrigin::ApiGatewayV2),
        "events/{name}.json must be an API Gateway v2 / function URL event"
    );
    event
}

fn status(response: &Value) -> u64 {
    response["statusCode"]
        .as_u64()
        .unwrap_or_else(|| panic!("no statusCode in {response}"))
}

#[tokio::test]
async fn every_sample_reaches_its_handler() {
    let mut failures = Vec::new();
    for function in catalog::all() {
        if let Err(e) = check_samples(function).await {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "samples failing:\n{}",
        failures.join("\n")
    );
}
