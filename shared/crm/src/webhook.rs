//! `POST /leads/hubspot`, on its own function URL: checks
//! `X-HubSpot-Signature-v3` over the method, the full URI called, the raw
//! body and `X-HubSpot-Request-Timestamp` with the app's client secret
//! (within five minutes of real time, never the settable dev clock), checks that the body is a
//! batch of at most 100 events, and queues the batch as received on
//! `hubspot-webhook`. Nothing else happens inline: the worker
//! ([`crate::webhook_events`]) applies each event once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use pc_platform::config::Secret;
use pc_platform::error_code::ErrorCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState};
use pc_platform::crm::signature::{
    self, SIGNATURE_HEADER, SignatureError, SignedRequest, TIMESTAMP_HEADER,
};

use crate::webhook_events::ReceivedBatch;

/// The most events HubSpot puts in one batch.
pub const MAX_BATCH_EVENTS: usize = 100;

/// `200 {received: n}`: the events queued.
#[derive(Serialize, ToSchema)]
pub struct Received {
    received: usize,
}

fn refused(e: SignatureError) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string())
}

/// The URI HubSpot called, as it signed it: the scheme the function URL
/// was reached with (its front end says so in `X-Forwarded-Proto`; a
/// direct local call is plain HTTP), the host, the path and the query.
fn called_uri(headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = header_text("x-forwarded-proto").unwrap_or("http");
    let host = header_text(header::HOST.as_str())
        .or(uri.authority().map(|a| a.as_str()))
        .unwrap_or_default();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{scheme}://{host}{path}")
}

/// Why a body is not a batch of events, if it is not one.
fn check_batch(body: &[u8]) -> Result<usize, ApiError> {
    let not_a_batch = |message: String| ApiError::bad_request(ErrorCode::NotAHubspotBatch, message);
    let events: Vec<Value> = serde_json::from_slice(body)
        .map_err(|_| not_a_batch("the body is not a JSON array of HubSpot events".into()))?;
    if events.is_empty() || events.len() > MAX_BATCH_EVENTS {
        return Err(not_a_batch(format!(
            "a batch holds 1 to {MAX_BATCH_EVENTS} events, not {}",
            events.len()
        )));
    }
    for (i, event) in events.iter().enumerate() {
        let has = |field: &str| {
            event
                .get(field)
                .is_some_and(|v| v.is_number() || v.is_string())
        };
        if ![
            "eventId",
            "portalId",
            "objectId",
            "occurredAt",
            "subscriptionType",
        ]
        .iter()
        .all(|f| has(f))
        {
            return Err(not_a_batch(format!(
                "event {i} lacks eventId, portalId, objectId, occurredAt or subscriptionType"
            )));
        }
    }
    Ok(events.len())
}

/// Receives a batch of HubSpot events: the signature checked over the
/// request exactly as sent, the body checked to be a batch, then queued.
#[utoipa::path(post, path = "/leads/hubspot", tag = "hubspot",
    request_body(content = Vec<crate::webhook_events::HubspotEvent>, description = "a JSON array of up to 100 HubSpot webhook events, exactly as HubSpot sent it"),
    params(
        ("X-HubSpot-Signature-v3" = String, Header, description = "base64 HMAC-SHA256 of method + URI + body + timestamp, keyed by the app's client secret"),
        ("X-HubSpot-Request-Timestamp" = String, Header, description = "milliseconds since the epoch")),
    responses((status = 200, body = Received),
        (status = 401, description = "missing, malformed, wrong or stale signature (`missing_signature`, `invalid_signature_header`, `invalid_signature`, `stale_signature`)"),
        (status = 400, description = "not a batch of HubSpot events (`not_a_hubspot_batch`)")))]
pub async fn hubspot_webhook(
    State(ctx): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Received>> {
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(given), Some(timestamp)) =
        (header_text(SIGNATURE_HEADER), header_text(TIMESTAMP_HEADER))
    else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::MissingSignature,
            "X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required",
        ));
    };
    let timestamp_millis = signature::parse_timestamp(timestamp).map_err(refused)?;
    let uri = called_uri(&headers, &uri);
    let request = SignedRequest {
        method: method.as_str(),
        uri: &uri,
        body: &body,
        timestamp_millis,
    };
    let now = pc_platform::clock::wire_now().timestamp_millis();
    // The current client secret, then the previous one (after a rotation);
    // a mismatch with both reloads the secrets, rate-limited.
    ctx.config
        .secrets
        .verify(
            Secret::HubspotClientSecret,
            |secret| signature::verify(secret, given, &request, now),
            |e| *e == SignatureError::Mismatch,
        )
        .await?
        .map_err(refused)?;
    let count = check_batch(&body)?;
    // Valid UTF-8: it parsed as JSON.
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request(ErrorCode::NotAHubspotBatch, "the body is not UTF-8"))?;
    let batch = ReceivedBatch::new(text)
        .map_err(|_| ApiError::bad_request(ErrorCode::NotAHubspotBatch, "the body is not JSON"))?;
    ctx.queue.send_message(&batch).await?;
    tracing::info!(events = count, "hubspot batch queued");
    Ok(Json(Received { received: count }))
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
