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

use std::path::PathBuf;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use lambda_http::request::{LambdaRequest, RequestOrigin};
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use serde_json::{Value, json};
use tower::ServiceExt;

use pc_api::functions::{Function, Trigger};
use pc_api::{Access, AppState, Permissions};
use pc_app::{catalog, lambda};
use pc_platform::queue::QueueName;
use pc_platform::{AppContext, EmbeddedParts};

mod sample_world;

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

/// An API Gateway HTTP API v2 event.
fn v2_event(method: &str, path: &str, cookies: &[&str], body: Option<Value>) -> LambdaRequest {
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "x-forwarded-for": "203.0.113.10",
        },
        "requestContext": {
            "accountId": "123456789012", "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.10", "userAgent": "test"},
            "requestId": "r1", "routeKey": format!("{method} {path}"), "stage": "$default",
            "time": "21/Nov/2026:09:00:00 +0000", "timeEpoch": 1_795_251_600_000u64
        },
        "isBase64Encoded": false
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    serde_json::from_value(event).expect("a v2 event")
}

#[utoipa::path(post, path = "/test/two-cookies", responses((status = 200)))]
async fn two_cookies(headers: HeaderMap) -> impl IntoResponse {
    let seen = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut out = HeaderMap::new();
    out.append(
        header::SET_COOKIE,
        HeaderValue::from_static("a=1; Path=/; HttpOnly"),
    );
    out.append(
        header::SET_COOKIE,
        HeaderValue::from_static("b=2; Path=/; HttpOnly"),
    );
    (out, seen)
}

#[tokio::test]
async fn v2_cookies_go_in_and_out_as_arrays() {
    let ctx = context();
    let function = Function::http(
        "test-two-cookies",
        Access::Public,
        Permissions::READ,
        || pc_api::routes!(two_cookies),
    );
    let event = v2_event("POST", "/test/two-cookies", &["x=1", "y=2"], None);
    let response = invoke(lambda::http_app(&ctx, &function), event).await;
    assert_eq!(status(&response), 200, "{response}");
    // The request's cookies array arrives as one Cookie header.
    assert_eq!(response["body"], "x=1; y=2");
    // Both cookies leave in the response's cookies array, not as headers.
    assert_eq!(
        response["cookies"],
        json!(["a=1; Path=/; HttpOnly", "b=2; Path=/; HttpOnly"])
    );
    assert!(
        response["headers"].get("set-cookie").is_none(),
        "{response}"
    );
}

#[tokio::test]
async fn sign_in_sets_two_cookies_that_sign_the_next_request_in() {
    let (Some(sign_in), Some(me)) = (catalog::find("auth-sign-in"), catalog::find("auth-me"))
    else {
        panic!("auth-sign-in and auth-me are in the function table");
    };
    let ctx = context();
    let (email, password) = ("owner@example.com", "Owner-Password-1");
    pc_accounts::seed::seed_owner(&ctx, email, password)
        .await
        .expect("the owner is seeded");
    let event = v2_event(
        "POST",
        "/auth/sign-in",
        &[],
        Some(json!({"email": email, "password": password})),
    );
    let response = invoke(lambda::http_app(&ctx, sign_in), event).await;
    assert_eq!(status(&response), 200, "{response}");
    let cookies: Vec<String> = response["cookies"]
        .as_array()
        .expect("a cookies array")
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2, "{response}");
    assert!(cookies[0].starts_with("accessToken=") && cookies[0].contains("HttpOnly"));
    assert!(cookies[1].starts_with("refreshToken=") && cookies[1].contains("HttpOnly"));
    assert!(response["headers"].get("set-cookie").is_none());

    // The browser sends back name=value pairs in the request's cookies array.
    let pairs: Vec<&str> = cookies
        .iter()
        .map(|c| c.split(';').next().unwrap_or_default())
        .collect();
    let response = invoke(
        lambda::http_app(&ctx, me),
        v2_event("GET", "/auth/me", &pairs, None),
    )
    .await;
    assert_eq!(status(&response), 200, "{response}");
    let profile: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(profile["email"], email);

    let response = invoke(
        lambda::http_app(&ctx, me),
        v2_event("GET", "/auth/me", &[], None),
    )
    .await;
    assert_eq!(status(&response), 401, "{response}");
}

#[utoipa::path(post, path = "/test/echo-bytes", responses((status = 200)))]
async fn echo_bytes(body: Bytes) -> String {
    body.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn function_url_bodies_reach_webhooks_decoded() {
    let ctx = context();
    let function = Function::webhook("test-echo-bytes", Permissions::READ, || {
        pc_api::routes!(echo_bytes)
    });
    // Raw bytes a signature is computed over, not valid UTF-8 on purpose.
    let raw = [0xffu8, 0x00, b'{', b'}', 0x80];
    use base64::Engine;
    let event: LambdaRequest = serde_json::from_value(json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "secret=s",
        "headers": {"content-type": "application/octet-stream",
                    "host": "abc.lambda-url.us-east-1.on.aws"},
        "requestContext": {
            "accountId": "anonymous", "apiId": "abc",
            "domainName": "abc.lambda-url.us-east-1.on.aws",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.10", "userAgent": "test"},
            "requestId": "r1", "routeKey": "$default", "stage": "$default",
            "time": "21/Nov/2026:09:00:00 +0000", "timeEpoch": 1_795_251_600_000u64
        },
        "body": base64::engine::general_purpose::STANDARD.encode(raw),
        "isBase64Encoded": true
    }))
    .unwrap();
    // Any path: the function URL is the webhook's own.
    let response = invoke(lambda::webhook_app(&ctx, &function), event).await;
    assert_eq!(status(&response), 200, "{response}");
    assert_eq!(response["body"], "ff007b7d80");
}

async fn failing_on_bad(
    _ctx: &AppState,
    message: &pc_platform::queue::QueueMessage,
) -> Result<(), pc_api::functions::WorkerError> {
    if message.body.contains("bad") {
        return Err(pc_api::functions::WorkerError::retry("bad message"));
    }
    if message.body.contains("poison") {
        return Err(pc_api::functions::WorkerError::poison("unreadable message"));
    }
    assert!(message.receive_count >= 1);
    Ok(())
}

#[tokio::test]
async fn a_failed_message_is_reported_alone() {
    let worker = pc_api::worker!(
        "test-worker",
        pc_platform::queue::QueueName::Events,
        Permissions::READ,
        failing_on_bad
    );
    let Trigger::Queue(_, run) = worker.trigger else {
        unreachable!()
    };
    let record = |id: &str, body: &str, count: &str| {
        json!({"messageId": id, "receiptHandle": "h", "body": body,
               "attributes": {"ApproximateReceiveCount": count},
               "messageAttributes": {}, "eventSource": "aws:sqs",
               "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events", "awsRegion": "us-east-1"})
    };
    let event: SqsEvent = serde_json::from_value(json!({"Records": [
        record("m1", "{\"ok\":1}", "1"),
        record("m2", "bad", "3"),
        record("m3", "{\"ok\":3}", "1"),
    ]}))
    .unwrap();
    let answer = lambda::handle_sqs(&context(), "test-worker", QueueName::Events, run, event).await;
    let value = serde_json::to_value(&answer).unwrap();
    assert_eq!(
        value,
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
    );
    let message =
        lambda::queue_message(&serde_json::from_value(record("m9", "b", "4")).unwrap()).unwrap();
    assert_eq!(message.receive_count, 4);
    assert_eq!(message.id, "m9");
}

#[tokio::test]
async fn a_requested_run_runs_once_through_the_bus_event() {
    let Some(function) = catalog::all()
        .iter()
        .find(|f| matches!(f.trigger, Trigger::Schedule(..)))
    else {
        panic!("the table has schedules");
    };
    let Trigger::Schedule(_, job) = function.trigger else {
        unreachable!()
    };
    let ctx = context();
    let requested = pc_app::jobs::request_run(&ctx, function.name, Some("u1".into()))
        .await
        .expect("a run is requested");
    let event: EventBridgeEvent<Value> = serde_json::from_value(json!({
        "version": "0", "id": "e1", "detail-type": "job-run-requested",
        "source": "partner-connector", "account": "123456789012",
        "time": "2026-11-21T09:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"job": function.name, "runId": requested.id}
    }))
    .unwrap();
    let run = lambda::handle_schedule(&ctx, function.name, job, event.clone())
        .await
        .expect("the run completes");
    assert_eq!(run.id, requested.id);
    assert_eq!(run.status, "completed");
    assert_eq!(run.trigger, "manual");
    // A duplicated delivery answers the same run without running it again.
    let again = lambda::handle_schedule(&ctx, function.name, job, event)
        .await
        .expect("the duplicate is answered");
    assert_eq!(again.started_at, run.started_at);
    assert_eq!(again.finished_at, run.finished_at);
}

/// The ChiliPiper samples: the right secret is accepted and queued, the
/// wrong one refused with nothing queued.
/// Feeds a webhook's samples (placeholders filled by the sample world) to
/// its function: each answers `expected`, and only an accepted one (2xx)
/// leaves its event on `queue`.
async fn webhook_samples(name: &str, queue: &str, samples: [(&str, u64); 2]) {
    let function = pc_app::catalog::find(name).expect("the webhook exists");
    for (sample, expected) in samples {
        let ctx = context();
        let world = sample_world::SampleWorld::build(&ctx).await.unwrap();
        let text = world.fill(&std::fs::read_to_string(events_dir().join(sample)).unwrap());
        let response = invoke(
            lambda::webhook_app(&ctx, function),
            parse_http(sample, &text),
        )
        .await;
        assert_eq!(status(&response), expected, "{sample}: {response}");
        let queued = ctx
            .store
            .query(&pc_platform::store::Query::partition(
                pc_platform::store::Index::Table,
                format!("QUEUE#{queue}"),
            ))
            .await
            .unwrap();
        let accepted = (200..300).contains(&expected);
        assert_eq!(queued.items.len(), usize::from(accepted), "{sample}");
    }
}

#[tokio::test]
async fn chilipiper_samples_with_the_right_and_a_wrong_secret() {
    webhook_samples(
        "meetings-chilipiper-webhook",
        "chilipiper-webhook",
        [
            ("meetings-chilipiper-webhook.json", 202),
            ("meetings-chilipiper-webhook.invalid-secret.json", 401),
        ],
    )
    .await;
}

/// The Stripe webhook samples: a fresh signature is accepted and the event
/// queued verbatim; a signature under another secret is refused with
/// nothing queued.
#[tokio::test]
async fn stripe_webhook_samples_with_a_fresh_and_a_wrong_signature() {
    webhook_samples(
        "billing-stripe-webhook",
        "stripe-webhook",
        [
            ("billing-stripe-webhook.json", 200),
            ("billing-stripe-webhook.invalid-signature.json", 400),
        ],
    )
    .await;
}

/// A poison message goes to the dead-letter queue at once and is not
/// reported failed; a retryable failure still is.
#[tokio::test]
async fn a_poison_message_is_dead_lettered_not_retried() {
    let worker = pc_api::worker!(
        "test-worker",
        QueueName::Events,
        Permissions::READ,
        failing_on_bad
    );
    let Trigger::Queue(_, run) = worker.trigger else {
        unreachable!()
    };
    let event = || -> SqsEvent {
        let record = |id: &str, body: &str| {
            json!({"messageId": id, "receiptHandle": "h", "body": body,
                   "attributes": {"ApproximateReceiveCount": "1"},
                   "messageAttributes": {}, "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events", "awsRegion": "us-east-1"})
        };
        serde_json::from_value(json!({"Records": [
            record("m1", "poison"),
            record("m2", "bad"),
            record("m3", "{\"ok\":3}"),
        ]}))
        .unwrap()
    };
    let ctx = context();
    let answer = lambda::handle_sqs(&ctx, "test-worker", QueueName::Events, run, event()).await;
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
    );
    let dead = ctx.queue.dead_letters(QueueName::Events, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].last_error.as_deref(), Some("unreadable message"));

    // When the dead-letter queue cannot be reached, the poison message is
    // retried rather than lost.
    let refusing = std::sync::Arc::new(AppContext::granting_nothing(
        pc_platform::config::Config::local_defaults(),
    ));
    let answer =
        lambda::handle_sqs(&refusing, "test-worker", QueueName::Events, run, event()).await;
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]})
    );
}
