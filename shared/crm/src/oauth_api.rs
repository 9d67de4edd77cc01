//! Connecting a partner's HubSpot portal by OAuth. `authorize` answers the
//! consent page's URL with a signed, single-use, ten-minute `state` bound
//! to the partner and the user ([`crate::oauth_state`]); HubSpot sends the
//! browser back to `callback` with a code, which is exchanged for tokens
//! that are stored encrypted with the portal and scopes, and the browser
//! goes on to the SPA's settings page with `status=success` or
//! `status=error`. A bad state (tampered, expired, used) or a refused code
//! stores nothing.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Redirect;
use serde::Serialize;
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_api::{ApiError, ApiResult, AppState, Principal};
use pc_platform::crm::AuthorizeRequest;
use pc_platform::store::Write;

use crate::connection::{self, ConnectionRecord};
use crate::oauth_state;
use crate::token_cipher::TokenCipher;

/// The scopes the system asks for: read and write contacts and deals.
pub const SCOPES: &str = "oauth crm.objects.contacts.read crm.objects.contacts.write crm.objects.deals.read crm.objects.deals.write";

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeResponse {
    pub authorization_url: String,
}

fn query_value(raw: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.trim().is_empty())
}

/// The URL of HubSpot's consent page for the partner.
#[utoipa::path(get, path = "/v1/integrations/hubspot/authorize", tag = "integrations",
    params(("partnerId" = String, Query, description = "The partner to connect")),
    responses((status = 200, body = AuthorizeResponse), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn authorize(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<AuthorizeResponse>> {
    let partner_id = query_value(raw.as_deref(), "partnerId")
        .ok_or_else(|| ApiError::invalid_field("partnerId", "is required"))?;
    principal.ensure_sees_partner(Some(&partner_id), "partner")?;
    get_partner(&*ctx.store, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    let client_id = ctx
        .config
        .hubspot_client_id
        .expose()
        .map_err(ApiError::internal)?;
    let state = oauth_state::issue(&ctx, &partner_id, &principal.user_id, ctx.clock.now())
        .await
        .map_err(ApiError::internal)?;
    let redirect_uri = ctx.config.hubspot_callback_uri();
    let authorization_url = ctx.crm.authorize_url(&AuthorizeRequest {
        client_id,
        redirect_uri: &redirect_uri,
        scopes: SCOPES,
        state: &state,
    });
    Ok(Json(AuthorizeResponse { authorization_url }))
}

/// HubSpot's redirect after consent: stores the connection, then sends the
/// browser to the SPA with the outcome.
#[utoipa::path(get, path = "/v1/integrations/hubspot/callback", tag = "integrations",
    params(("code" = String, Query), ("state" = String, Query)),
    responses((status = 303, description = "To the SPA's HubSpot settings with status=success or status=error")))]
pub async fn callback(State(ctx): State<AppState>, RawQuery(raw): RawQuery) -> Redirect {
    let status = match connect(&ctx, raw.as_deref()).await {
        Ok(partner_id) => {
            tracing::info!(partner = %partner_id, "HubSpot connected");
            "success"
        }
        Err(reason) => {
            tracing::warn!(%reason, "HubSpot connection refused");
            "error"
        }
    };
    Redirect::to(&format!(
        "{}/settings/integrations/hubspot?status={status}",
        ctx.config.client_url
    ))
}

/// Why a callback connected nothing (never a token or a code).
async fn connect(ctx: &AppState, raw: Option<&str>) -> Result<String, String> {
    let state = query_value(raw, "state").ok_or("no state")?;
    let now = ctx.clock.now();
    // The state is consumed first: even a refused code uses it up.
    let claims = oauth_state::consume(ctx, &state, now)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(error) = query_value(raw, "error") {
        return Err(format!("HubSpot answered {error}"));
    }
    let code = query_value(raw, "code").ok_or("no code")?;
    let cipher = TokenCipher::from_config(&ctx.config).map_err(|e| e.to_string())?;
    let tokens = ctx
        .crm
        .exchange_code(&code, &ctx.config.hubspot_callback_uri())
        .await
        .map_err(|e| e.to_string())?;
    let info = ctx
        .crm
        .token_info(&tokens.access_token)
        .await
        .map_err(|e| e.to_string())?;
    let previous = connection::load(ctx, &claims.pid)
        .await
        .map_err(|e| e.to_string())?;
    let mut record = ConnectionRecord::new(
        &cipher,
        &claims.pid,
        info.portal_id,
        info.scopes,
        &tokens,
        &claims.uid,
        now,
    );
    // Reconnecting the same portal keeps its pipeline.
    let write = match previous {
        Some(previous) => {
            if previous.portal_id == record.portal_id {
                record.pipeline_id = previous.pipeline_id;
                record.pipeline_stages = previous.pipeline_stages;
            }
            record.replace(previous.version)
        }
        None => record.item().map(Write::put_new),
    }
    .map_err(|e| e.to_string())?;
    ctx.store
        .transact(vec![write])
        .await
        .map_err(|e| e.to_string())?;
    Ok(claims.pid)
}
