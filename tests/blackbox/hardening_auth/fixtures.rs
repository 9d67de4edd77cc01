//! The seeded owner's credentials and a partner registered through the
//! public endpoints, shared by the defences below.

use pc_tests::accounts_support::{PASSWORD, token_from_mail};
use pc_tests::reqwest::{Client, Method, StatusCode};
use pc_tests::{TestApp, browser, expect_json, json};

pub(super) const OWNER_EMAIL: &str = "owner@partner-connector.local";
pub(super) const OWNER_PASSWORD: &str = "Owner-Password-1";

/// A partner registered and verified through the public endpoints (status
/// `pending_approval`): its admin's signed-in browser and the partner id.
pub(super) async fn registered_partner(
    app: &TestApp,
    company: &str,
    email: &str,
) -> (Client, String) {
    let body = json!({"companyName": company, "name": "Founder", "email": email});
    expect_json(
        app.post("/v1/auth/register-partner", &body).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let mail = app.wait_for_mail(email, "Verify").await;
    let admin = browser();
    let verified = app
        .send(
            &admin,
            Method::POST,
            "/v1/auth/verify-registration",
            Some(&json!({"token": token_from_mail(&mail), "password": PASSWORD})),
        )
        .await;
    let me = expect_json(verified, StatusCode::OK).await;
    (admin, me["partnerId"].as_str().unwrap().to_owned())
}
