//! The HubSpot records of the samples, built through the system's own code
//! on the sample context and its fake HubSpot: the sample partner is
//! connected to a portal with the system's pipeline; a full sync ran, so a
//! lead of the partner is linked to a contact and a deal; that deal's
//! amount then changed on both sides, which left a conflict; a second
//! sync waits to start; and an OAuth state and a consent code are fresh
//! for the callback sample.

use axum::Router;
use serde_json::{Value, json};

use pc_crm::connection::ConnectionRecord;
use pc_crm::token_cipher::TokenCipher;
use pc_http::AppState;
use pc_http::QueueMessage;
use pc_leads::deal_status::DealStatus;
use pc_platform::crm::CrmClient;
use pc_platform::crm::signature::{self, SignedRequest};
use pc_platform::queue::QueueName;
use pc_platform::queue::embedded::EmbeddedQueue;
use pc_platform::store::{Index, Query};

use super::call;

/// The placeholder of each stage of the system's pipeline, by the status
/// the stage means.
const STAGE_PLACEHOLDERS: [(DealStatus, &str); 7] = [
    (DealStatus::New, "HUBSPOT_STAGE_NEW"),
    (DealStatus::Scheduled, "HUBSPOT_STAGE_SCHEDULED"),
    (DealStatus::InTouch, "HUBSPOT_STAGE_IN_TOUCH"),
    (DealStatus::Won, "HUBSPOT_STAGE_WON"),
    (DealStatus::LostNoShow, "HUBSPOT_STAGE_LOST_NO_SHOW"),
    (
        DealStatus::LostDisqualified,
        "HUBSPOT_STAGE_LOST_DISQUALIFIED",
    ),
    (
        DealStatus::LostNoPotential,
        "HUBSPOT_STAGE_LOST_NO_POTENTIAL",
    ),
];

/// Most rounds of the sync queue the world's first sync may take.
const SYNC_ROUNDS: usize = 50;

/// Connects `partner_id` and acts as described in the module doc; answers
/// the placeholders' values (all but the webhook's signature, which
/// [`webhook_signature`] computes over the filled sample).
pub async fn build(
    ctx: &AppState,
    app: &Router,
    token: Option<&str>,
    partner_id: &str,
    owner_id: &str,
) -> Result<Vec<(&'static str, String)>, String> {
    let hubspot = ctx
        .crm
        .fake()
        .ok_or("the samples run on the fake HubSpot")?;
    let redirect = ctx.config.hubspot_callback_uri();
    // What the OAuth callback stores for a consent, done here without the
    // browser's round trip.
    let (portal_id, code) = hubspot
        .consent(&redirect, None)
        .await
        .map_err(|e| e.to_string())?;
    let tokens = hubspot
        .exchange_code(&code, &redirect)
        .await
        .map_err(|e| e.to_string())?;
    let cipher = TokenCipher::from_config(&ctx.config).map_err(|e| e.to_string())?;
    let connection = ConnectionRecord::new(
        &cipher,
        partner_id,
        portal_id.clone(),
        pc_crm::oauth_api::SCOPES
            .split(' ')
            .map(str::to_owned)
            .collect(),
        &tokens,
        owner_id,
        ctx.clock.now(),
    );
    ctx.store
        .put(connection.item().map_err(|e| e.to_string())?, None)
        .await
        .map_err(|e| e.to_string())?;
    let create = format!("/v1/integrations/hubspot/{partner_id}/create-pipeline");
    let (pipeline, _) = call(app, "POST", &create, token, Some(json!({}))).await?;
    let mut values = stage_values(&pipeline)?;

    // A lead of its own: the sample lead is listed on the marketplace.
    let lead = json!({"partnerId": partner_id, "email": "hana@prospect.example",
        "firstName": "Hana", "lastName": "Prospect", "company": "Prospect Inc."});
    let (lead, _) = call(app, "POST", "/v1/leads", token, Some(lead)).await?;
    let lead_id = lead["id"].as_str().ok_or("no lead id")?.to_owned();
    let sync = format!("/v1/sync/{partner_id}/hubspot");
    call(app, "POST", &sync, token, Some(json!({}))).await?;
    run_sync_queue(ctx).await?;
    let (lead, _) = call(app, "GET", &format!("/v1/leads/{lead_id}"), token, None).await?;
    let linked = |field: &str| {
        lead[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("the sync linked the lead to no {field}: {lead}"))
    };
    let (contact_id, deal_id) = (linked("hubspotContactId")?, linked("hubspotDealId")?);

    // The deal's amount changed here, then in HubSpot, before any sync:
    // a conflict.
    let patch = json!({"dealAmount": 1200});
    let lead_path = format!("/v1/leads/{lead_id}");
    call(app, "PATCH", &lead_path, token, Some(patch)).await?;
    let now_millis = ctx.clock.now().timestamp_millis();
    let batch = json!([{"eventId": 1, "subscriptionId": 1, "portalId": portal_id, "appId": 1,
        "occurredAt": now_millis, "attemptNumber": 0, "objectId": deal_id,
        "subscriptionType": "deal.propertyChange", "propertyName": "amount",
        "propertyValue": "1500.00", "changeSource": "CRM_UI"}]);
    let message = QueueMessage {
        id: "sample-conflict".into(),
        body: batch.to_string(),
        receive_count: 1,
    };
    pc_crm::webhook_events::hubspot_webhook_worker(ctx, &message)
        .await
        .map_err(|e| format!("the conflicting change: {e}"))?;
    let (conflicts, _) = call(app, "GET", "/v1/sync/conflicts", token, None).await?;
    let conflict_id = conflicts["list"][0]["id"]
        .as_str()
        .ok_or_else(|| format!("the change left no conflict: {conflicts}"))?
        .to_owned();

    // Queued, not run: the sync worker's sample starts it.
    let (task, _) = call(app, "POST", &sync, token, Some(json!({}))).await?;
    let task_id = task["taskId"].as_str().ok_or("no sync task id")?.to_owned();

    let issued = pc_crm::oauth_state::issue(ctx, partner_id, owner_id, ctx.clock.now())
        .await
        .map_err(|e| e.to_string())?;
    let (_, oauth_code) = hubspot
        .consent(&redirect, Some(&portal_id))
        .await
        .map_err(|e| e.to_string())?;
    values.extend([
        ("HUBSPOT_PORTAL_ID", portal_id),
        ("HUBSPOT_CONTACT_ID", contact_id),
        ("HUBSPOT_DEAL_ID", deal_id),
        ("HUBSPOT_TIMESTAMP", now_millis.to_string()),
        ("SYNC_TASK_ID", task_id),
        ("CONFLICT_ID", conflict_id),
        ("OAUTH_STATE", issued.state),
        ("OAUTH_BINDING", issued.binding),
        ("OAUTH_CODE", oauth_code),
    ]);
    Ok(values)
}

/// The stage ids of the pipeline `create-pipeline` answered, by placeholder.
fn stage_values(pipeline: &Value) -> Result<Vec<(&'static str, String)>, String> {
    let stages = pipeline["stages"]
        .as_array()
        .ok_or_else(|| format!("the pipeline has no stages: {pipeline}"))?;
    if stages.len() != STAGE_PLACEHOLDERS.len() {
        return Err(format!(
            "the pipeline has not one stage per status: {pipeline}"
        ));
    }
    // The system creates the stages in the order of the statuses.
    stages
        .iter()
        .zip(STAGE_PLACEHOLDERS)
        .map(|(stage, (_, name))| {
            stage["id"]
                .as_str()
                .map(|id| (name, id.to_owned()))
                .ok_or_else(|| format!("a stage without id: {pipeline}"))
        })
        .collect()
}

/// Runs the world's HubSpot `sync-leads` messages (the first sync's start
/// and pages) through the worker until none is left. The sample import's
/// page stays queued, untouched, so the import samples find it pending.
async fn run_sync_queue(ctx: &AppState) -> Result<(), String> {
    let queue = EmbeddedQueue::new(ctx.store.clone());
    let pending = Query::partition(Index::Table, format!("QUEUE#{}", QueueName::SyncLeads));
    for _ in 0..SYNC_ROUNDS {
        let page = ctx.store.query(&pending).await.map_err(|e| e.to_string())?;
        let messages: Vec<QueueMessage> = page
            .items
            .iter()
            .filter_map(|item| {
                let text = |attr: &str| item.get(attr).and_then(Value::as_str);
                let body = text("body")?;
                let kind: Value = serde_json::from_str(body).ok()?;
                kind["kind"]
                    .as_str()?
                    .starts_with("hubspot_")
                    .then(|| QueueMessage {
                        id: text("sk").unwrap_or_default().to_owned(),
                        body: body.to_owned(),
                        receive_count: 1,
                    })
            })
            .collect();
        if messages.is_empty() {
            return Ok(());
        }
        for message in messages {
            pc_crm::sync_worker::sync_leads_worker(ctx, &message)
                .await
                .map_err(|e| format!("the world's sync: {e}"))?;
            queue
                .ack(QueueName::SyncLeads, &message)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Err(format!(
        "the world's sync did not end in {SYNC_ROUNDS} rounds"
    ))
}

/// The `X-HubSpot-Signature-v3` of the `hubspot-webhook` sample as filled
/// by `fill`: over its method, the URI its headers say was called, its
/// body and `HUBSPOT_TIMESTAMP`, with the local client secret.
pub fn webhook_signature(
    ctx: &AppState,
    fill: impl Fn(&str) -> String,
    timestamp_millis: &str,
) -> Result<String, String> {
    use base64::Engine;
    let path = crate::events_dir().join("hubspot-webhook.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let event: Value = serde_json::from_str(&fill(&text)).map_err(|e| e.to_string())?;
    let text_of = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let body = text_of(&event["body"]);
    let body = if event["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| format!("the HubSpot webhook sample's body is not base64: {e}"))?
    } else {
        body.into_bytes()
    };
    let query = text_of(&event["rawQueryString"]);
    let mut path_and_query = text_of(&event["rawPath"]);
    if !query.is_empty() {
        path_and_query = format!("{path_and_query}?{query}");
    }
    let uri = signature::request_uri(
        &text_of(&event["headers"]["host"]),
        &path_and_query,
        event["headers"]["x-forwarded-proto"].as_str(),
    );
    let secret = ctx
        .config
        .secrets
        .current(pc_platform::config::Secret::HubspotClientSecret)
        .map_err(|e| e.to_string())?;
    let timestamp_millis = timestamp_millis
        .parse()
        .map_err(|_| "HUBSPOT_TIMESTAMP is not a number".to_owned())?;
    Ok(signature::sign(
        &secret,
        &SignedRequest {
            method: text_of(&event["requestContext"]["http"]["method"]).as_str(),
            uri: &uri,
            body: &body,
            timestamp_millis,
        },
    ))
}
