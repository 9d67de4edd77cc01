//! WebSocket connection tickets. A socket cannot carry the session cookie
//! in AWS (the WebSocket API has a domain of its own, which the cookies
//! are not sent to), and an access token in `?token=` would sit in URLs
//! and access logs for its whole life. So the SPA asks
//! `POST /v1/realtime/ticket` (signed in) for a ticket, and opens the
//! socket with `?ticket=` at once: a random value good for one connection
//! within [`TICKET_SECONDS`], stored only as its SHA-256 and consumed by a
//! conditional delete when the socket opens, so a ticket that leaks
//! afterwards opens nothing.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Attributes: `userId`, `sessionId`, `partnerId`, `issuedAt` (unix
//! seconds), `expiresAt` (millis), `ttl` (the table drops tickets never
//! used).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use pc_http::auth::{Caller, authenticate_session};
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::store::{Condition, Item, Key};
use pc_platform::time::timestamp;

use crate::keys;

/// How long a ticket waits for its socket.
pub const TICKET_SECONDS: i64 = 60;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketView {
    /// Opens one socket: `wss://…?ticket=<ticket>`.
    pub ticket: String,
    pub expires_at: String,
}

fn ticket_key(ticket: &str) -> Key {
    keys::ticket_key(&hex::encode(Sha256::digest(ticket.as_bytes())))
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_i64())
}

/// Issues a ticket for the caller's session.
pub async fn issue(
    ctx: &AppState,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<TicketView, ApiError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let ticket = hex::encode(bytes);
    let expires = now + Duration::seconds(TICKET_SECONDS);
    let key = ticket_key(&ticket);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "ws_ticket".into());
    item.insert("userId".into(), principal.user_id.clone().into());
    item.insert("sessionId".into(), principal.session_id.clone().into());
    if let Some(pid) = &principal.partner_id {
        item.insert("partnerId".into(), pid.clone().into());
    }
    item.insert("issuedAt".into(), now.timestamp().into());
    item.insert("expiresAt".into(), expires.timestamp_millis().into());
    item.insert("ttl".into(), (expires.timestamp() + 3_600).into());
    ctx.store.put(item, Some(Condition::NotExists)).await?;
    Ok(TicketView {
        ticket,
        expires_at: timestamp(expires),
    })
}

/// Consumes `ticket` once and answers its caller, checked against the
/// store as a request's session is. Unknown, used or expired: 401.
pub async fn redeem(ctx: &AppState, ticket: &str) -> Result<Caller, ApiError> {
    let refused = || ApiError::unauthorized("the connection ticket is unknown, used or expired");
    let now = ctx.clock.now();
    let key = ticket_key(ticket);
    let item = ctx.store.get(&key).await?.ok_or_else(refused)?;
    // Whoever deletes it uses it: one socket per ticket, even when two
    // connect with it at once.
    match ctx.store.delete(&key, Some(Condition::Exists)).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => return Err(refused()),
        Err(e) => return Err(e.into()),
    }
    if number(&item, "expiresAt").is_none_or(|at| at < now.timestamp_millis()) {
        return Err(refused());
    }
    let (Some(user_id), Some(session_id), Some(issued_at)) = (
        text(&item, "userId"),
        text(&item, "sessionId"),
        number(&item, "issuedAt"),
    ) else {
        return Err(refused());
    };
    let partner = text(&item, "partnerId");
    authenticate_session(ctx, &user_id, &session_id, partner.as_deref(), issued_at).await
}

/// A ticket for one WebSocket connection of a partner's user, good once
/// within 60 seconds: open `?ticket=<ticket>` on the WebSocket URL.
#[utoipa::path(post, path = "/v1/realtime/ticket", tag = "realtime",
    responses((status = 201, body = TicketView), (status = 401),
        (status = 403, description = "Real-time events are for partners' users")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn create_ticket(
    State(ctx): State<AppState>,
    principal: Principal,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    if principal.partner_id.is_none() {
        return Err(ApiError::forbidden(
            "real-time events are for partners' users",
        ));
    }
    let view = issue(&ctx, &principal, ctx.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}
