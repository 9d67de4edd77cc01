//! What happens when a socket opens, speaks and closes — the same for the
//! API Gateway WebSocket API's routes and the dev server's `GET /ws`.

use axum::http::HeaderMap;

use pc_http::{ApiError, AppState};
use pc_platform::AppContext;
use pc_platform::store::StoreError;

use crate::connections_store::{Connection, get_connection, remove_connection, save_connection};
use crate::presence::{self, ClientMessage};
use crate::socket_auth::authenticate_socket;

/// Authenticates the socket and records it under the user's partner.
pub async fn on_connect(
    state: &AppState,
    connection_id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Connection, ApiError> {
    let (principal, partner_id) = authenticate_socket(state, headers, query).await?;
    let now = state.clock.now();
    Ok(save_connection(
        &*state.store,
        connection_id,
        &partner_id,
        &principal.user_id,
        now,
    )
    .await?)
}

/// Forgets the socket; whatever it had open is left.
pub async fn on_disconnect(ctx: &AppContext, connection_id: &str) -> Result<(), StoreError> {
    if let Some(connection) = remove_connection(&*ctx.store, connection_id).await? {
        presence::leave(ctx, &connection).await;
    }
    Ok(())
}

/// One text message from the client; unknown messages are ignored (and
/// logged), so an older SPA never breaks the socket.
pub async fn on_message(
    ctx: &AppContext,
    connection_id: &str,
    text: &str,
) -> Result<(), StoreError> {
    let message = match serde_json::from_str::<ClientMessage>(text) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(connection = connection_id, error = %e, "unknown client message");
            return Ok(());
        }
    };
    let Some(connection) = get_connection(&*ctx.store, connection_id).await? else {
        return Ok(());
    };
    presence::apply(ctx, &connection, &message).await
}
