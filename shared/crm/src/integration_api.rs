//! A partner's HubSpot connection as the SPA sees it: its status (never a
//! token), the creation of its deal pipeline, and disconnection. Another
//! partner's connection is a 404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::store::{Condition, Write};

use crate::connection::{self, connection_key, release_portal};
use crate::pipeline::{self, PipelineView};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatus {
    pub connected: bool,
    pub portal_id: Option<String>,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub pipeline_id: Option<String>,
    /// False once HubSpot refused the connection's refresh token: the
    /// partner must connect again.
    pub healthy: bool,
}

/// The partner, when the caller may see it.
async fn visible_partner(ctx: &AppState, principal: &Principal, id: &str) -> ApiResult<()> {
    principal.ensure_sees_partner(Some(id), "partner")?;
    get_partner(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    Ok(())
}

/// Whether the partner is connected, to which portal, how healthy.
#[utoipa::path(get, path = "/v1/integrations/hubspot/{partnerId}/status", tag = "integrations",
    params(("partnerId" = String, Path)),
    responses((status = 200, body = ConnectionStatus), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn status(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<Json<ConnectionStatus>> {
    visible_partner(&ctx, &principal, &partner_id).await?;
    let status = match connection::load(&ctx, &partner_id).await? {
        Some(record) => ConnectionStatus {
            connected: true,
            portal_id: Some(record.portal_id),
            scopes: record.scopes,
            expires_at: Some(record.expires_at),
            pipeline_id: record.pipeline_id,
            healthy: record.healthy,
        },
        None => ConnectionStatus {
            connected: false,
            portal_id: None,
            scopes: Vec::new(),
            expires_at: None,
            pipeline_id: None,
            healthy: false,
        },
    };
    Ok(Json(status))
}

/// Creates the partner's deal pipeline in HubSpot, once: a second call
/// answers the existing pipeline (`created: false`).
#[utoipa::path(post, path = "/v1/integrations/hubspot/{partnerId}/create-pipeline", tag = "integrations",
    params(("partnerId" = String, Path)),
    responses((status = 200, body = PipelineView), (status = 404), (status = 409), (status = 429), (status = 503)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn create_pipeline(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<Json<PipelineView>> {
    visible_partner(&ctx, &principal, &partner_id).await?;
    Ok(Json(pipeline::ensure_pipeline(&ctx, &partner_id).await?))
}

/// Forgets the partner's connection and its tokens, and frees its portal.
#[utoipa::path(delete, path = "/v1/integrations/hubspot/{partnerId}", tag = "integrations",
    params(("partnerId" = String, Path)),
    responses((status = 204), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn disconnect(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<StatusCode> {
    visible_partner(&ctx, &principal, &partner_id).await?;
    let connection = connection::load(&ctx, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("HubSpot connection"))?;
    // The connection goes with its portal's guard, so the portal may then
    // connect to another partner.
    let writes = vec![
        Write::Delete {
            key: connection_key(&partner_id),
            condition: Some(Condition::equals("portalId", connection.portal_id.clone())),
        },
        release_portal(&partner_id, &connection.portal_id),
    ];
    match ctx.store.transact(writes).await {
        Ok(()) => {
            tracing::info!(partner = %partner_id, "HubSpot disconnected");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(e) if e.is_condition_failure() => Err(ApiError::not_found("HubSpot connection")),
        Err(e) => Err(e.into()),
    }
}
