//! Helpers for the public partner API scenarios: a partner with a signed-in
//! admin and a lead, API tokens made through the API, and calls carrying a
//! token instead of a session.

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use pc_http::identity::Role;

use crate::leads_support::{PASSWORD, seed_partner, signed_in_user};
use crate::{TestApp, browser, expect_json};

/// An active partner with a signed-in admin and one lead.
pub struct PartnerWithLead {
    pub id: String,
    pub admin: Client,
    pub admin_email: String,
    pub lead_id: String,
    pub lead_email: String,
}

impl PartnerWithLead {
    pub async fn seed(app: &TestApp, name: &str) -> Self {
        let id = seed_partner(app, name, &[]).await;
        let (admin, admin_email) = signed_in_user(app, Some(&id), Role::Admin).await;
        let lead_email = format!("buyer@{}.example", name.to_lowercase());
        let created = admin
            .post(app.url("/v1/leads"))
            .json(&json!({"email": lead_email, "company": name}))
            .send()
            .await
            .expect("the server answers");
        let lead = expect_json(created, StatusCode::CREATED).await;
        Self {
            id,
            admin,
            admin_email,
            lead_id: lead["id"].as_str().expect("a lead id").to_owned(),
            lead_email,
        }
    }

    pub fn tokens_path(&self) -> String {
        format!("/v1/partners/{}/api-tokens", self.id)
    }

    /// A new API token of this partner, made by its admin: `(id, token)`.
    pub async fn new_token(&self, app: &TestApp, name: &str) -> (String, String) {
        let response = self
            .admin
            .post(app.url(&self.tokens_path()))
            .json(&json!({"name": name}))
            .send()
            .await
            .expect("the server answers");
        let created = expect_json(response, StatusCode::CREATED).await;
        (
            created["id"].as_str().expect("a token id").to_owned(),
            created["token"].as_str().expect("the token").to_owned(),
        )
    }

    /// A fresh access token (JWT) of the admin's session, as sign-in sets it.
    pub async fn admin_access_token(&self, app: &TestApp) -> String {
        let response = app
            .sign_in_as(&browser(), &self.admin_email, PASSWORD)
            .await;
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("accessToken="))
            .and_then(|c| c.split(';').next())
            .expect("sign-in sets the accessToken cookie")
            .to_owned()
    }

    /// The lead as its partner's admin reads it.
    pub async fn lead(&self, app: &TestApp) -> Value {
        let response = self
            .admin
            .get(app.url(&format!("/v1/leads/{}", self.lead_id)))
            .send()
            .await
            .expect("the server answers");
        expect_json(response, StatusCode::OK).await
    }

    /// The actions of the lead's audit events, after everything queued ran.
    pub async fn lead_events(&self, app: &TestApp) -> Vec<Value> {
        app.drain().await;
        let path = format!("/v1/events?entity=lead&entityId={}", self.lead_id);
        let response = self
            .admin
            .get(app.url(&path))
            .send()
            .await
            .expect("the server answers");
        expect_json(response, StatusCode::OK).await["list"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// `POST /api/v1/status` with `token` as the bearer (none when `None`),
/// from a client without cookies.
pub async fn post_status(app: &TestApp, token: Option<&str>, body: &Value) -> Response {
    let mut request = browser().post(app.url("/api/v1/status")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server answers")
}

/// `GET /api/v1/status/{requestId}` with `token` as the bearer.
pub async fn get_request(app: &TestApp, token: &str, request_id: &str) -> Response {
    browser()
        .get(app.url(&format!("/api/v1/status/{request_id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers")
}

/// Asks for a change and answers its request id (asserting the 202).
pub async fn request_change(app: &TestApp, token: &str, body: &Value) -> String {
    let accepted = expect_json(
        post_status(app, Some(token), body).await,
        StatusCode::ACCEPTED,
    )
    .await;
    accepted["requestId"]
        .as_str()
        .expect("a request id")
        .to_owned()
}

/// The outcome of a request once every queued message ran.
pub async fn outcome(app: &TestApp, token: &str, request_id: &str) -> Value {
    app.drain().await;
    expect_json(get_request(app, token, request_id).await, StatusCode::OK).await
}

/// The fields a 400 names.
pub async fn bad_fields(response: Response) -> Vec<String> {
    let error = expect_json(response, StatusCode::BAD_REQUEST).await;
    error["error"]["details"]
        .as_array()
        .map(|details| {
            details
                .iter()
                .filter_map(|d| d["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
