//! The Lambda functions of real-time delivery, one constructor each: the
//! WebSocket API's three routes and the broadcaster, a rule on the event
//! bus for the events SPAs receive. A binary in `functions/` calls one of
//! them, so it links that handler and no other; [`all`] lists them for the
//! function table. The dev server serves `GET /ws` over the same
//! [`socket_events`](crate::socket_events) instead of these.

use pc_http::functions::WorkerError;
use pc_http::socket_functions::{BusEvent, SocketRequest, SocketRoute};
use pc_http::{Access, ApiError, AppState, Function, Permissions, bus_rule, http, socket};

use crate::audience::CLIENT_EVENTS;
use crate::broadcaster::broadcast;
use crate::socket_events::{on_connect, on_disconnect, on_message};
use crate::tickets;

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        realtime_ticket(),
        realtime_connect(),
        realtime_disconnect(),
        realtime_default(),
        realtime_broadcaster(),
    ]
}

pub fn realtime_ticket() -> Function {
    http!(
        "realtime-ticket",
        Access::SignedIn,
        // Stores the ticket's hash.
        Permissions::WRITE,
        tickets::create_ticket
    )
}

pub fn realtime_connect() -> Function {
    socket!(
        "realtime-connect",
        SocketRoute::Connect,
        // Consumes the ticket, reads the caller's user and session,
        // records the connection.
        Permissions::WRITE,
        connect
    )
}

pub fn realtime_disconnect() -> Function {
    socket!(
        "realtime-disconnect",
        SocketRoute::Disconnect,
        // Forgets the connection; what it had open is left (`viewer-left`).
        Permissions::WRITE.events(),
        disconnect
    )
}

pub fn realtime_default() -> Function {
    socket!(
        "realtime-default",
        SocketRoute::Default,
        // A viewer's `viewer-joined`/`viewer-left` go out on the bus, and
        // the broadcaster pushes them: this route posts to no connection.
        Permissions::WRITE.events(),
        message
    )
}

pub fn realtime_broadcaster() -> Function {
    bus_rule!(
        "realtime-broadcaster",
        &CLIENT_EVENTS,
        // Forgets the connections found gone.
        Permissions::WRITE.pushes(),
        broadcast_event
    )
}

async fn connect(ctx: &AppState, request: &SocketRequest) -> Result<(), ApiError> {
    let connection = on_connect(
        ctx,
        &request.connection_id,
        &request.headers,
        request.query.as_deref(),
    )
    .await?;
    tracing::info!(connection = %connection.connection_id, partner = %connection.partner_id,
        "socket connected");
    Ok(())
}

async fn disconnect(ctx: &AppState, request: &SocketRequest) -> Result<(), ApiError> {
    Ok(on_disconnect(ctx, &request.connection_id).await?)
}

async fn message(ctx: &AppState, request: &SocketRequest) -> Result<(), ApiError> {
    let text = request.body.as_deref().unwrap_or_default();
    Ok(on_message(ctx, &request.connection_id, text).await?)
}

/// A store failure fails the invocation, so EventBridge retries it (then
/// dead-letters it); a push that fails is logged and not retried, as a
/// retry would send the event again to those who got it.
async fn broadcast_event(ctx: &AppState, event: &BusEvent) -> Result<(), WorkerError> {
    let report = broadcast(&*ctx.store, &*ctx.push, event)
        .await
        .map_err(WorkerError::new)?;
    tracing::info!(event = %event.detail_type, sent = report.sent, gone = report.gone,
        failed = report.failed, "broadcast");
    Ok(())
}
