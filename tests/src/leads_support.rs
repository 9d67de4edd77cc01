//! Seeding and helpers for the leads scenarios: partners with ChiliPiper
//! meeting types, signed-in users of a partner or of the platform, many
//! generated leads, and ChiliPiper webhook deliveries. Seeding goes through
//! the running system's own store (its context), so it works on every
//! backend; everything under test is then driven over HTTP.

use chrono::{DateTime, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_accounts::users_store::create_user;
use pc_http::identity::{Role, UserRecord, meeting_type_key};
use pc_platform::store::Item;

use crate::{TestApp, browser, expect_json, wait_until};

pub const PASSWORD: &str = "Leads-Password-1";

/// Creates an active partner routing `meeting_types`; answers its id.
pub async fn seed_partner(app: &TestApp, name: &str, meeting_types: &[&str]) -> String {
    let ctx = &app.server.context;
    let now = ctx.clock.now();
    let id = ctx.ids.new_id();
    let slug = format!(
        "{}-{}",
        name.to_lowercase().replace(' ', "-"),
        id.to_lowercase()
    );
    let partner = PartnerRecord {
        chili_meeting_types: meeting_types.iter().map(|m| m.to_string()).collect(),
        ..PartnerRecord::new_active(&id, name, &slug, now)
    };
    let item = partner_item(&partner).expect("partner item");
    ctx.store.put(item, None).await.expect("partner stored");
    for meeting_type in meeting_types {
        let key = meeting_type_key(meeting_type);
        let mut guard = Item::new();
        guard.insert("pk".into(), key.pk.into());
        guard.insert("sk".into(), key.sk.into());
        guard.insert("entity".into(), "meeting_type_guard".into());
        guard.insert("partnerId".into(), id.clone().into());
        ctx.store
            .put(guard, None)
            .await
            .expect("meeting type stored");
    }
    id
}

/// A signed-in browser of a new active user; answers it with the email.
pub async fn signed_in_user(
    app: &TestApp,
    partner_id: Option<&str>,
    role: Role,
) -> (Client, String) {
    let ctx = &app.server.context;
    let now = ctx.clock.now();
    let id = ctx.ids.new_id();
    let email = format!("user-{}@example.com", id.to_lowercase());
    let user = UserRecord {
        id,
        email: email.clone(),
        name: format!("{} {}", role.as_str(), &email[5..12]),
        role,
        partner_id: partner_id.map(str::to_owned),
        is_active: true,
        is_partner_owner: false,
        password_hash: Some(pc_accounts::passwords::hash(PASSWORD)),
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    create_user(&*ctx.store, &user).await.expect("user stored");
    let client = browser();
    let response = app.sign_in_as(&client, &email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
    (client, email)
}

/// A ChiliPiper webhook body.
pub fn chili_event(
    meeting_id: &str,
    event_type: &str,
    meeting_type: &str,
    start: &str,
    guest_email: &str,
) -> Value {
    json!({
        "meetingIdChili": meeting_id,
        "eventType": event_type,
        "meetingTypeName": meeting_type,
        "title": format!("Demo {meeting_id}"),
        "startTime": start,
        "endTime": null,
        "location": "https://meet.example/x",
        "assignee": {"name": "Sam Seller", "email": "sam@vendor.example"},
        "host": {"name": "Sam Seller", "email": "sam@vendor.example"},
        "guests": [{"email": guest_email, "firstName": "Gina", "lastName": "Guest",
            "company": "Guestco", "phone": "+1 555 0100"}],
        "someExtraField": true
    })
}

/// Delivers a webhook with the configured secret; asserts the 202.
pub async fn deliver(app: &TestApp, body: &Value) {
    let secret = app
        .server
        .context
        .config
        .secrets
        .current(pc_platform::config::Secret::ChilipiperWebhook)
        .unwrap()
        .to_string();
    let response = browser()
        .post(app.url("/v1/meetings/webhooks/chilipiper"))
        .header("X-Webhook-Secret", secret)
        .json(body)
        .send()
        .await
        .expect("the server answers");
    expect_json(response, StatusCode::ACCEPTED).await;
}

/// `GET` with `client`, asserting 200.
pub async fn get_ok(app: &TestApp, client: &Client, path: &str) -> Value {
    let response = client.get(app.url(path)).send().await.expect("answer");
    expect_json(response, StatusCode::OK).await
}

/// Waits until `GET path` answers a body `accept` likes; answers it.
pub async fn wait_for(
    app: &TestApp,
    client: &Client,
    path: &str,
    accept: impl Fn(&Value) -> bool,
) -> Value {
    let found = wait_until(|| async {
        let response = client.get(app.url(path)).send().await.ok()?;
        if response.status() != StatusCode::OK {
            return None;
        }
        let body: Value = response.json().await.ok()?;
        accept(&body).then_some(body)
    })
    .await;
    match found {
        Some(body) => body,
        None => panic!(
            "GET {path} never matched; last answer: {}",
            get_ok(app, client, path).await
        ),
    }
}

/// The list query string for a filter array.
pub fn filter_query(filters: &Value) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", &filters.to_string())
        .finish()
}

/// The time `minutes` after `base`, as a timestamp.
pub fn at(base: &str, minutes: i64) -> String {
    let t: DateTime<Utc> = DateTime::parse_from_rfc3339(base).unwrap().to_utc();
    pc_platform::time::timestamp(t + chrono::Duration::minutes(minutes))
}
