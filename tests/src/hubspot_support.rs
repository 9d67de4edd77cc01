//! Seeding and helpers for the HubSpot scenarios: a partner connected to
//! the system's fake HubSpot (through the same steps the OAuth callback
//! and pipeline creation take, on the running system's own context, so it
//! works on every backend), generated leads, signed webhook batches, and
//! a sync run to its end.

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use pc_crm::connection::ConnectionRecord;
use pc_crm::token_cipher::TokenCipher;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_platform::crm::fake::FakeHubspot;
use pc_platform::crm::signature::{self, SIGNATURE_HEADER, SignedRequest, TIMESTAMP_HEADER};
use pc_platform::crm::{CrmClient, ObjectType, Properties};

use crate::{TestApp, browser, expect_json};

const REDIRECT: &str = "http://127.0.0.1:3000/v1/integrations/hubspot/callback";

/// A partner's portal in the fake HubSpot.
pub struct Portal {
    pub portal_id: String,
    pub pipeline_id: String,
}

/// The system's fake HubSpot.
pub fn fake(app: &TestApp) -> &FakeHubspot {
    app.server
        .context
        .crm
        .fake()
        .expect("the dev server runs the fake HubSpot")
}

/// Connects `partner_id` to a new portal of the fake, with the pipeline
/// the system creates.
pub async fn connect(app: &TestApp, partner_id: &str) -> Portal {
    let ctx = &app.server.context;
    let hubspot = fake(app);
    let (portal_id, code) = hubspot.consent(REDIRECT, None).await.expect("consent");
    let tokens = hubspot
        .exchange_code(&code, REDIRECT)
        .await
        .expect("tokens");
    // The pipeline the system creates, one stage per lead status.
    let pipeline = hubspot
        .create_pipeline(&tokens.access_token, &pc_crm::pipeline::new_pipeline())
        .await
        .expect("the pipeline");
    let cipher = TokenCipher::from_config(&ctx.config).expect("encryption key");
    let mut connection = ConnectionRecord::new(
        &cipher,
        partner_id,
        portal_id.clone(),
        vec!["crm.objects.deals.write".into()],
        &tokens,
        "seed",
        ctx.clock.now(),
    );
    connection.pipeline_id = Some(pipeline.id.clone());
    connection.pipeline_stages = pc_crm::pipeline::created_stages(&pipeline.stages);
    // Stored with its portal's guard, as the OAuth callback does.
    ctx.store
        .transact(vec![
            pc_crm::connection::claim_portal(partner_id, &portal_id),
            pc_platform::store::Write::put(connection.item().expect("connection item")),
        ])
        .await
        .expect("connection stored");
    Portal {
        portal_id,
        pipeline_id: pipeline.id,
    }
}

/// Creates `count` leads of the partner; answers their ids.
pub async fn seed_leads(app: &TestApp, partner_id: &str, count: usize) -> Vec<String> {
    let ctx = &app.server.context;
    let mut ids = Vec::new();
    for i in 0..count {
        let email = LeadEmail::parse(&format!(
            "lead{i}-{}@example.com",
            partner_id.to_lowercase()
        ))
        .expect("email");
        let mut lead = LeadRecord::new(
            ctx.ids.new_id(),
            partner_id.into(),
            email,
            LeadSource::Manual,
            ctx.clock.now(),
        );
        lead.contact.first_name = Some(format!("First{i}"));
        lead.contact.last_name = Some(format!("Last{i}"));
        lead.contact.company = Some(format!("Company {i}"));
        leads_store::create(&*ctx.store, &lead)
            .await
            .expect("lead stored");
        ids.push(lead.id);
    }
    ids
}

/// Starts a full sync as `client`, runs it to its end; answers its status.
pub async fn full_sync(app: &TestApp, client: &Client, partner_id: &str) -> Value {
    let started = client
        .post(app.url(&format!("/v1/sync/{partner_id}/hubspot")))
        .json(&json!({}))
        .send()
        .await
        .expect("sync request");
    let task = expect_json(started, StatusCode::ACCEPTED).await;
    let task_id = task["taskId"].as_str().expect("a task id").to_owned();
    // A page a rate limit put back waits on its queue with a delay, which
    // not every queue counts as pending: drain until the task has ended.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        app.drain().await;
        let status = client
            .get(app.url(&format!("/v1/sync/tasks/{task_id}")))
            .send()
            .await
            .expect("status request");
        let status = expect_json(status, StatusCode::OK).await;
        let ended = matches!(status["status"].as_str(), Some("completed" | "failed"));
        if ended || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The portal's objects of a type.
pub async fn objects(
    app: &TestApp,
    portal: &Portal,
    kind: ObjectType,
) -> Vec<pc_platform::crm::CrmObject> {
    fake(app)
        .objects(&portal.portal_id, kind)
        .await
        .expect("objects")
}

/// Changes a record as a HubSpot user would.
pub async fn user_update(
    app: &TestApp,
    portal: &Portal,
    kind: ObjectType,
    id: &str,
    pairs: &[(&str, &str)],
) {
    let properties: Properties = pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    fake(app)
        .user_update(&portal.portal_id, kind, id, &properties)
        .await
        .expect("user update")
        .expect("the record exists");
}

/// One webhook event of a property change.
pub fn change_event(
    event_id: i64,
    portal: &Portal,
    kind: &str,
    object_id: &str,
    at_millis: i64,
    property: &str,
    value: &str,
) -> Value {
    json!({
        "eventId": event_id, "subscriptionId": 1,
        "portalId": portal.portal_id.parse::<i64>().unwrap_or(0),
        "appId": 1, "occurredAt": at_millis, "attemptNumber": 0,
        "objectId": object_id.parse::<i64>().unwrap_or(0),
        "subscriptionType": format!("{kind}.propertyChange"),
        "propertyName": property, "propertyValue": value, "changeSource": "CRM_UI",
    })
}

/// Posts a batch to the webhook as HubSpot does, signed at `at_millis`
/// with `secret` (the configured client secret when `None`).
pub async fn post_batch(
    app: &TestApp,
    body: &str,
    at_millis: i64,
    secret: Option<&str>,
) -> Response {
    let configured = app
        .server
        .context
        .config
        .secrets
        .current(pc_platform::config::Secret::HubspotClientSecret)
        .expect("a client secret")
        .to_string();
    let uri = app.url("/leads/hubspot");
    let request = SignedRequest {
        method: "POST",
        uri: &uri,
        body: body.as_bytes(),
        timestamp_millis: at_millis,
    };
    let signed = signature::sign(secret.unwrap_or(&configured), &request);
    browser()
        .post(&uri)
        .header(SIGNATURE_HEADER, signed)
        .header(TIMESTAMP_HEADER, at_millis.to_string())
        .header("content-type", "application/json")
        .body(body.to_owned())
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("webhook request")
}
