//! The webhook function over a router: signed batches are queued
//! verbatim; missing, wrong, stale or tampered signatures are a 401 and
//! queue nothing; a body that is not a batch is a 400.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use pc_platform::EmbeddedParts;
use pc_platform::store::{Index, Query};

use super::*;

const URI: &str = "http://hooks.test/leads/hubspot?app=1";
const BODY: &str = r#"[{"eventId":7,"subscriptionId":1,"portalId":42,"appId":1,"occurredAt":1700000000000,"subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":99,"propertyName":"dealstage","propertyValue":"won"}]"#;

async fn post(
    parts: &EmbeddedParts,
    body: &str,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    let function = crate::sync_functions::hubspot_webhook();
    let app = pc_http::router::webhook_router(&parts.context, &function);
    let mut request = Request::post("/leads/hubspot?app=1").header("host", "hooks.test");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = app
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn signed(
    parts: &EmbeddedParts,
    body: &str,
    at: i64,
    secret: Option<&str>,
) -> Vec<(&'static str, String)> {
    let configured = parts
        .context
        .config
        .secrets
        .current(pc_platform::config::Secret::HubspotClientSecret)
        .unwrap();
    let request = SignedRequest {
        method: "POST",
        uri: URI,
        body: body.as_bytes(),
        timestamp_millis: at,
    };
    vec![
        (
            SIGNATURE_HEADER,
            signature::sign(secret.unwrap_or(&configured), &request),
        ),
        (TIMESTAMP_HEADER, at.to_string()),
    ]
}

async fn queued(parts: &EmbeddedParts) -> Vec<String> {
    let page = parts
        .context
        .store
        .query(&Query::partition(Index::Table, "QUEUE#hubspot-webhook"))
        .await
        .unwrap();
    page.items
        .iter()
        .map(|i| i["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_signed_batch_is_queued_verbatim() {
    let parts = EmbeddedParts::in_memory();
    let now = parts.context.clock.now().timestamp_millis();
    let (status, body) = post(&parts, BODY, &signed(&parts, BODY, now, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, serde_json::json!({"received": 1}));
    assert_eq!(queued(&parts).await, [BODY]);
}

#[tokio::test]
async fn bad_stale_missing_or_tampered_signatures_are_401_and_queue_nothing() {
    let parts = EmbeddedParts::in_memory();
    let now = parts.context.clock.now().timestamp_millis();
    let cases = [
        (BODY.to_owned(), vec![], "missing_signature"),
        (
            BODY.to_owned(),
            signed(&parts, BODY, now, Some("another secret")),
            "invalid_signature",
        ),
        (
            BODY.to_owned(),
            signed(&parts, BODY, now - 5 * 60 * 1000 - 1, None),
            "stale_signature",
        ),
        (
            BODY.replace("won", "lost"),
            signed(&parts, BODY, now, None),
            "invalid_signature",
        ),
        (
            BODY.to_owned(),
            vec![
                (SIGNATURE_HEADER, "!!".into()),
                (TIMESTAMP_HEADER, now.to_string()),
            ],
            "invalid_signature_header",
        ),
    ];
    for (body, headers, code) in cases {
        let (status, answer) = post(&parts, &body, &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{code}: {answer}");
        assert_eq!(answer["error"]["code"], code);
    }
    assert!(queued(&parts).await.is_empty());
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_batch_is_400() {
    let parts = EmbeddedParts::in_memory();
    let now = parts.context.clock.now().timestamp_millis();
    let too_many = format!("[{}]", vec![&BODY[1..BODY.len() - 1]; 101].join(","));
    for body in ["{}", "[]", "[{\"eventId\":1}]", too_many.as_str()] {
        let (status, answer) = post(&parts, body, &signed(&parts, body, now, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "not_a_hubspot_batch");
    }
    assert!(queued(&parts).await.is_empty());
}
