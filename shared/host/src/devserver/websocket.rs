//! `GET /ws` of the dev server: the real-time events of the API Gateway
//! WebSocket API, on the same checks (the SPA's `Origin`; a connection
//! ticket in `?ticket=` or the `accessToken` cookie; an active partner's
//! user) and with the same messages. The sockets
//! live in this process ([`LocalConnections`]); their connection records
//! go to the store as in AWS, so the broadcaster — subscribed to the local
//! bus — is the same code that runs behind EventBridge.

use std::sync::{Arc, Weak};

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};

use pc_http::AppState;
use pc_platform::AppContext;
use pc_platform::realtime::LocalConnections;
use pc_realtime::socket_events::{on_connect, on_disconnect, on_message};

#[derive(Clone)]
struct Sockets {
    context: Weak<AppContext>,
    local: Arc<LocalConnections>,
    shutdown: watch::Receiver<bool>,
}

/// The `/ws` route over `local`; sockets close when `shutdown` turns true.
pub fn router(
    context: &AppState,
    local: Arc<LocalConnections>,
    shutdown: watch::Receiver<bool>,
) -> Router {
    let sockets = Sockets {
        context: Arc::downgrade(context),
        local,
        shutdown,
    };
    Router::new().route("/ws", get(open)).with_state(sockets)
}

async fn open(
    State(sockets): State<Sockets>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(ctx) = sockets.context.upgrade() else {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let id = ctx.ids.new_id();
    // Registered before the record is stored, so no broadcast finds the
    // record without the socket (and forgets it as gone).
    let outgoing = sockets.local.open(&id);
    if let Err(refused) = on_connect(&ctx, &id, &headers, query.as_deref()).await {
        sockets.local.close(&id);
        return refused.into_response();
    }
    upgrade.on_upgrade(move |socket| serve(sockets, id, socket, outgoing))
}

/// Until the server stops (the guard of `wait_for` is not held across the
/// socket's awaits).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve(
    mut sockets: Sockets,
    id: String,
    socket: WebSocket,
    mut outgoing: mpsc::UnboundedReceiver<String>,
) {
    let (mut sink, mut incoming) = socket.split();
    loop {
        tokio::select! {
            message = outgoing.recv() => {
                let Some(text) = message else { break };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            received = incoming.next() => match received {
                Some(Ok(Message::Text(text))) => {
                    let Some(ctx) = sockets.context.upgrade() else { break };
                    if let Err(e) = on_message(&ctx, &id, text.as_str()).await {
                        tracing::warn!(connection = %id, error = %e, "client message failed");
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = stopped(&mut sockets.shutdown) => break,
        }
    }
    sockets.local.close(&id);
    if let Some(ctx) = sockets.context.upgrade()
        && let Err(e) = on_disconnect(&ctx, &id).await
    {
        tracing::warn!(connection = %id, error = %e, "forgetting the connection failed");
    }
}
