//! The ChiliPiper webhook: checks the shared secret and the payload,
//! enqueues the event stamped with its receipt time, and answers 202.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use pc_platform::config::Secret;
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use pc_http::json::parse_json;
use pc_http::{ApiError, ApiResult, AppState};

use super::event::{ChiliPiperEvent, ReceivedEvent};

/// `202 {status: "accepted"}`.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    status: &'static str,
}

fn secret_of(headers: &HeaderMap, raw_query: Option<&str>) -> Option<String> {
    headers
        .get("x-webhook-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| url_param(raw_query.unwrap_or_default(), "secret"))
}

fn url_param(raw: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Receives a ChiliPiper event: checks the shared secret (header
/// `X-Webhook-Secret` or `?secret=`, in constant time), checks the payload
/// and enqueues it on `chilipiper-webhook`, stamped with the time it was
/// received. Nothing else happens inline.
#[utoipa::path(post, path = "/v1/meetings/webhooks/chilipiper", tag = "meetings",
    request_body = ChiliPiperEvent,
    params(("secret" = Option<String>, Query, description = "shared secret, when not in X-Webhook-Secret")),
    responses((status = 202, body = Accepted), (status = 400), (status = 401)))]
pub async fn chilipiper_webhook(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let given = secret_of(&headers, raw.as_deref()).unwrap_or_default();
    // The secret before a rotation still counts until ChiliPiper sends the new one.
    let matches = |expected: &str| {
        bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
            .then_some(())
            .ok_or(())
    };
    if ctx
        .config
        .secrets
        .verify(Secret::ChilipiperWebhook, matches, |_| true)
        .await?
        .is_err()
    {
        return Err(ApiError::unauthorized("invalid webhook secret"));
    }
    let event: ChiliPiperEvent = parse_json(&body)?;
    event.check()?;
    let received = ReceivedEvent {
        event,
        received_at: Some(ctx.clock.now()),
    };
    ctx.queue.send_message(&received).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { status: "accepted" })))
}
