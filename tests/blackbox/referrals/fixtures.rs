//! Portal calls with their expected status, and the referrer, referral and
//! won-deal steps every referral scenario starts from.

use pc_http::identity::Role;
use pc_tests::leads_support::signed_in_user;
use pc_tests::reqwest::{Client, Method, Response, StatusCode};
use pc_tests::{TestApp, expect_json, json};
use serde_json::Value;

pub(super) async fn call(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    app.send(client, method, path, body.as_ref()).await
}

pub(super) async fn ok(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let expected = if method == Method::POST {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    expect_json(call(app, client, method, path, body).await, expected).await
}

/// The error body of a refused call, asserting its status.
pub(super) async fn refused(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: StatusCode,
) -> Value {
    expect_json(call(app, client, method, path, body).await, status).await
}

pub(super) fn fields(error: &Value) -> Vec<String> {
    error["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A referral partner created by the (signed-in) owner at `rate` percent,
/// with a signed-in admin; answers its id and the admin's browser.
pub(super) async fn referrer(app: &TestApp, name: &str, rate: f64) -> (String, Client) {
    let body = json!({"name": name, "kind": "referral", "commissionRate": rate});
    let partner = ok(app, &app.client, Method::POST, "/v1/partners", Some(body)).await;
    assert_eq!(partner["kind"], "referral");
    assert_eq!(partner["commissionRate"], rate);
    let id = partner["id"].as_str().unwrap().to_owned();
    let (admin, _) = signed_in_user(app, Some(&id), Role::Admin).await;
    (id, admin)
}

pub(super) async fn refer(app: &TestApp, client: &Client, email: &str) -> Value {
    let body = json!({"clientName": "Cleo Client", "clientEmail": email,
        "clientPhone": "+1 555 0101", "service": "SEO audit", "notes": "Ready to buy in Q3"});
    ok(app, client, Method::POST, "/api/partner/leads", Some(body)).await
}

/// Staff win `lead_id` with `amount` dollars.
pub(super) async fn win(app: &TestApp, lead_id: &str, amount: f64) -> Response {
    let body = json!({"dealStatus": "won", "dealAmount": amount});
    call(
        app,
        &app.client,
        Method::PATCH,
        &format!("/v1/leads/{lead_id}"),
        Some(body),
    )
    .await
}
