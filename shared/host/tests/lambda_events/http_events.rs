//! HTTP events through lambda_http's own adapter: API Gateway v2 cookies
//! go in and out as arrays, a sign-in's two cookies sign the next request
//! in, and function-URL bodies reach webhooks base64-decoded.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use lambda_http::request::LambdaRequest;
use serde_json::{Value, json};

use pc_host::{catalog, lambda};
use pc_http::functions::Function;
use pc_http::{Access, Permissions};

use crate::{context, invoke, status};

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
        || pc_http::routes!(two_cookies),
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
        pc_http::routes!(echo_bytes)
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
