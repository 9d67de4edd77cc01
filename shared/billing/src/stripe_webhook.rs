//! `POST /v1/billing/webhooks/stripe` and `POST
//! /v1/billing/webhooks/stripe-connect`, each on its own function URL:
//! checks the `Stripe-Signature` header over the exact raw body (any of
//! its `v1` signatures, so a rolling secret keeps working; within five
//! minutes of real time, never the settable dev clock), checks that the body is a Stripe event,
//! and puts it as received on `stripe-webhook`. Nothing else happens
//! inline: the worker ([`crate::stripe_events`]) applies it once.
//!
//! Stripe sends the platform account's events and the connected accounts'
//! events (`account.updated`...) from two endpoints with two signing
//! secrets. A connected account's event carries `account`; so the platform
//! endpoint refuses any event with `account` (and any `account.*`
//! event), and the Connect endpoint, signed with
//! `STRIPE_CONNECT_WEBHOOK_SECRET`, takes only events with `account`.
//! Whoever holds one secret cannot pass events off as the other kind.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use pc_platform::config::Secret;
use pc_platform::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState};
use pc_platform::payments::signature::{self, SignatureError};

use crate::stripe_events::ReceivedStripeEvent;

/// `200 {received: true}`, as Stripe expects.
#[derive(Serialize, ToSchema)]
pub struct Received {
    received: bool,
}

/// What the webhook reads of an event; the worker reads the rest.
#[derive(Deserialize)]
struct EventHead {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    /// The connected account of a Connect event.
    #[serde(default)]
    account: Option<String>,
}

/// Which of Stripe's two endpoints a request came to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Platform,
    Connect,
}

fn refused(e: SignatureError) -> ApiError {
    ApiError::bad_request(e.code(), e.to_string())
}

/// Receives a Stripe event of the platform account: the signature checked
/// over the raw body, the body checked to be an event (`id`, `type`) of
/// the platform (no `account`), then queued as received.
#[utoipa::path(post, path = "/v1/billing/webhooks/stripe", tag = "billing",
    request_body(content = serde_json::Value, description = "a Stripe event of the platform account, exactly as Stripe sent it"),
    params(("Stripe-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">[,v1=...]")),
    responses((status = 200, body = Received),
        (status = 400, description = "missing, malformed, wrong or stale signature (`missing_signature`, `invalid_signature_header`, `invalid_signature`, `stale_signature`), not a Stripe event (`not_a_stripe_event`), or a connected account's event, which comes to the Connect endpoint (`connect_event`)")))]
pub async fn stripe_webhook(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Received>> {
    receive(
        &ctx,
        &headers,
        &body,
        Secret::StripeWebhook,
        Endpoint::Platform,
    )
    .await
}

/// Receives a connected account's Stripe event (Stripe's Connect
/// endpoint, its own signing secret): checked like the platform's, and it
/// must name its `account`.
#[utoipa::path(post, path = "/v1/billing/webhooks/stripe-connect", tag = "billing",
    request_body(content = serde_json::Value, description = "a connected account's Stripe event (with `account`), exactly as Stripe sent it"),
    params(("Stripe-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\"> under the Connect endpoint's secret")),
    responses((status = 200, body = Received),
        (status = 400, description = "missing, malformed, wrong or stale signature, not a Stripe event, or an event without `account` (`not_a_connect_event`)")))]
pub async fn stripe_connect_webhook(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Received>> {
    receive(
        &ctx,
        &headers,
        &body,
        Secret::StripeConnectWebhook,
        Endpoint::Connect,
    )
    .await
}

async fn receive(
    ctx: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    secret: Secret,
    endpoint: Endpoint,
) -> ApiResult<Json<Received>> {
    let header = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::MissingSignature,
                "the Stripe-Signature header is missing",
            )
        })?;
    let now = pc_platform::clock::wire_now().timestamp();
    // The endpoint's current signing secret, then the previous one (after
    // a roll); a mismatch with both reloads the secrets, rate-limited.
    ctx.config
        .secrets
        .verify(
            secret,
            |value| signature::verify(value, header, body, now),
            |e| *e == SignatureError::Mismatch,
        )
        .await?
        .map_err(refused)?;
    let not_an_event = || {
        ApiError::bad_request(
            ErrorCode::NotAStripeEvent,
            "the body is not a Stripe event: a JSON object with an `id` and a `type`",
        )
    };
    let head: EventHead = serde_json::from_slice(body).map_err(|_| not_an_event())?;
    let fits = |text: &str| !text.is_empty() && text.len() <= 255 && !text.contains(['#', '\0']);
    if !fits(&head.id) || !fits(&head.kind) {
        return Err(not_an_event());
    }
    let connected = head.account.as_deref().is_some_and(fits);
    match endpoint {
        Endpoint::Platform if head.account.is_some() || head.kind.starts_with("account.") => {
            return Err(ApiError::bad_request(
                ErrorCode::ConnectEvent,
                "a connected account's event comes to the Connect endpoint, POST /v1/billing/webhooks/stripe-connect",
            ));
        }
        Endpoint::Connect if !connected => {
            return Err(ApiError::bad_request(
                ErrorCode::NotAConnectEvent,
                "a Connect endpoint's event names its connected `account`",
            ));
        }
        _ => {}
    }
    // The event travels exactly as Stripe sent it (valid UTF-8 and JSON:
    // it parsed).
    let text = String::from_utf8(body.to_vec()).map_err(|_| not_an_event())?;
    let event = ReceivedStripeEvent::new(text).map_err(|_| not_an_event())?;
    ctx.queue.send_message(&event).await?;
    tracing::info!(event = %head.id, kind = %head.kind, "stripe event queued");
    Ok(Json(Received { received: true }))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::Value;
    use tower::ServiceExt;

    use pc_platform::EmbeddedParts;
    use pc_platform::store::{Index, Query};

    use super::*;

    const BODY: &str =
        r#"{"id":"evt_1","object":"event","type":"invoice.paid","data":{"object":{}}}"#;

    async fn post(
        parts: &EmbeddedParts,
        body: &str,
        header: Option<String>,
    ) -> (StatusCode, Value) {
        let function = crate::functions::billing_stripe_webhook();
        let app = pc_http::router::webhook_router(&parts.context, &function);
        let mut request = Request::post("/any/path");
        if let Some(header) = header {
            request = request.header("Stripe-Signature", header);
        }
        let response = app
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn sign(parts: &EmbeddedParts, body: &str, at: i64) -> String {
        let secret = parts
            .context
            .config
            .secrets
            .current(pc_platform::config::Secret::StripeWebhook)
            .unwrap();
        signature::sign(&secret, at, body.as_bytes())
    }

    async fn queued(parts: &EmbeddedParts) -> Vec<String> {
        let page = parts
            .context
            .store
            .query(&Query::partition(Index::Table, "QUEUE#stripe-webhook"))
            .await
            .unwrap();
        page.items
            .iter()
            .map(|i| i["body"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_signed_event_is_queued_verbatim() {
        let parts = EmbeddedParts::in_memory();
        let now = parts.context.clock.now().timestamp();
        let (status, body) = post(&parts, BODY, Some(sign(&parts, BODY, now))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, serde_json::json!({"received": true}));
        assert_eq!(queued(&parts).await, [BODY]);
    }

    #[tokio::test]
    async fn bad_stale_or_missing_signatures_and_non_events_are_400_and_queue_nothing() {
        let parts = EmbeddedParts::in_memory();
        let now = parts.context.clock.now().timestamp();
        let wrong = signature::sign("whsec_other", now, BODY.as_bytes());
        let cases = [
            (BODY, None, "missing_signature"),
            (BODY, Some("garbage".to_owned()), "invalid_signature_header"),
            (BODY, Some(wrong), "invalid_signature"),
            (BODY, Some(sign(&parts, BODY, now - 301)), "stale_signature"),
            (
                r#"{"id":"evt_2"}"#,
                Some(sign(&parts, r#"{"id":"evt_2"}"#, now)),
                "not_a_stripe_event",
            ),
            ("[1]", Some(sign(&parts, "[1]", now)), "not_a_stripe_event"),
        ];
        for (body, header, code) in cases {
            let (status, answer) = post(&parts, body, header).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {answer}");
            assert_eq!(answer["error"]["code"], code);
        }
        // A signature of the body with one byte changed does not match.
        let tampered = BODY.replace("evt_1", "evt_9");
        let (status, _) = post(&parts, &tampered, Some(sign(&parts, BODY, now))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(queued(&parts).await.is_empty());
    }
}
