//! GETs and POSTs by a given browser that assert their status, shared by
//! every sync scenario.

use pc_tests::reqwest::{Client, StatusCode};
use pc_tests::{TestApp, expect_json};

pub(super) async fn get(
    app: &TestApp,
    client: &Client,
    path: &str,
    status: StatusCode,
) -> serde_json::Value {
    expect_json(client.get(app.url(path)).send().await.unwrap(), status).await
}

pub(super) async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    body: serde_json::Value,
    status: StatusCode,
) -> serde_json::Value {
    expect_json(
        client.post(app.url(path)).json(&body).send().await.unwrap(),
        status,
    )
    .await
}
