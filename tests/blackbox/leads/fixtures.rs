//! Lead-list counting and spreadsheet uploads, shared by the delivery,
//! CRUD, import and tenancy scenarios.

use pc_tests::TestApp;
use pc_tests::reqwest::{Client, multipart};
use serde_json::Value;

pub(super) fn list_len(body: &Value) -> usize {
    body["list"].as_array().map_or(0, Vec::len)
}

pub(super) async fn upload(
    app: &TestApp,
    client: &Client,
    partner: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> pc_tests::reqwest::Response {
    let mut form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    if let Some(pid) = partner {
        form = form.text("partnerId", pid.to_owned());
    }
    client
        .post(app.url("/v1/leads/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(super) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/leads/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}
