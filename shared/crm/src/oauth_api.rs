//! Connecting a partner's HubSpot portal by OAuth. `authorize` answers the
//! consent page's URL with a signed, single-use, ten-minute `state` bound
//! to the partner and the user ([`crate::oauth_state`]); HubSpot sends the
//! browser back to `callback` with a code, which is exchanged for tokens
//! that are stored encrypted with the portal and scopes, and the browser
//! goes on to the SPA's settings page with `status=success` or
//! `status=error`. A bad state (tampered, expired, used) or a refused code
//! stores nothing.
//!
//! The callback completes only in the browser that asked: `authorize` sets
//! an HttpOnly cookie whose hash the state carries (see
//! [`crate::oauth_state`]), `SameSite=Lax` because HubSpot's redirect is a
//! cross-site top-level navigation, scoped to the callback's path; a
//! callback without it, or with another browser's, connects nothing
//! (`status=error&reason=other_browser`). A portal connects to one partner
//! at a time: a second partner connecting it gets
//! `status=error&reason=portal_in_use` until the first disconnects.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect};
use serde::Serialize;
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::crm::AuthorizeRequest;
use pc_platform::store::{Guard, Transaction, Write};

use crate::connection::{self, ConnectionRecord, claim_portal, release_portal};
use crate::oauth_state::{self, BINDING_COOKIE, STATE_MINUTES, StateError};
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

/// The `Set-Cookie` of the browser binding, living `max_age_seconds` (0
/// clears it): HttpOnly, Secure (unless the local server turns it off),
/// `SameSite=Lax` so HubSpot's cross-site redirect carries it, sent to the
/// callback's path only.
fn binding_cookie(ctx: &AppState, value: &str, max_age_seconds: i64) -> HeaderValue {
    let callback = ctx.config.hubspot_callback_uri();
    let path = url::Url::parse(&callback)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/".into());
    let secure = if ctx.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{BINDING_COOKIE}={value}; Path={path}; HttpOnly{secure}; SameSite=Lax; Max-Age={max_age_seconds}"
    );
    HeaderValue::from_str(&text).expect("hex and a URL path are valid in a header")
}

/// The URL of HubSpot's consent page for the partner, and the cookie that
/// binds the flow to this browser.
#[utoipa::path(get, path = "/v1/integrations/hubspot/authorize", tag = "integrations",
    params(("partnerId" = String, Query, description = "The partner to connect")),
    responses((status = 200, body = AuthorizeResponse,
        headers(("Set-Cookie" = String, description = "`hubspotOauthBinding`: HttpOnly, SameSite=Lax, ten minutes; the callback needs it"))),
        (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn authorize(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<impl IntoResponse> {
    let partner_id = query_value(raw.as_deref(), "partnerId")
        .ok_or_else(|| ApiError::invalid_field("partnerId", "is required"))?;
    principal.ensure_sees_partner(Some(&partner_id), "partner")?;
    get_partner(&*ctx.store, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    let client_id = ctx
        .config
        .secrets
        .current(pc_platform::config::Secret::HubspotClientId)
        .map_err(ApiError::internal)?;
    let issued = oauth_state::issue(&ctx, &partner_id, &principal.user_id, ctx.clock.now())
        .await
        .map_err(ApiError::internal)?;
    let redirect_uri = ctx.config.hubspot_callback_uri();
    let authorization_url = ctx.crm.authorize_url(&AuthorizeRequest {
        client_id: &client_id,
        redirect_uri: &redirect_uri,
        scopes: SCOPES,
        state: &issued.state,
    });
    let cookie = binding_cookie(&ctx, &issued.binding, STATE_MINUTES * 60);
    Ok((
        AppendHeaders([(header::SET_COOKIE, cookie)]),
        Json(AuthorizeResponse { authorization_url }),
    ))
}

/// Why a callback connected nothing: a short word for the SPA (`reason`)
/// and the words for the log (never a token or a code).
struct Refusal {
    reason: Option<&'static str>,
    detail: String,
}

impl From<String> for Refusal {
    fn from(detail: String) -> Self {
        Refusal {
            reason: None,
            detail,
        }
    }
}

impl From<&str> for Refusal {
    fn from(detail: &str) -> Self {
        detail.to_owned().into()
    }
}

/// HubSpot's redirect after consent: stores the connection, then sends the
/// browser to the SPA with the outcome.
#[utoipa::path(get, path = "/v1/integrations/hubspot/callback", tag = "integrations",
    params(("code" = String, Query), ("state" = String, Query)),
    responses((status = 303, description = "To the SPA's HubSpot settings with status=success, or status=error with reason=other_browser (no binding cookie of this flow) or reason=portal_in_use (the portal is another partner's)")))]
pub async fn callback(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> impl IntoResponse {
    let binding = pc_http::cookies::read_cookie(&headers, BINDING_COOKIE);
    let outcome = match connect(&ctx, raw.as_deref(), binding.as_deref()).await {
        Ok(partner_id) => {
            tracing::info!(partner = %partner_id, "HubSpot connected");
            "success".to_owned()
        }
        Err(refusal) => {
            tracing::warn!(reason = %refusal.detail, "HubSpot connection refused");
            match refusal.reason {
                Some(reason) => format!("error&reason={reason}"),
                None => "error".to_owned(),
            }
        }
    };
    // The binding is spent either way.
    (
        AppendHeaders([(header::SET_COOKIE, binding_cookie(&ctx, "", 0))]),
        Redirect::to(&format!(
            "{}/settings/integrations/hubspot?status={outcome}",
            ctx.config.client_url
        )),
    )
}

async fn connect(
    ctx: &AppState,
    raw: Option<&str>,
    binding: Option<&str>,
) -> Result<String, Refusal> {
    let state = query_value(raw, "state").ok_or("no state")?;
    let now = ctx.clock.now();
    // The state is consumed first: even a refused code uses it up.
    let claims = match oauth_state::consume(ctx, &state, binding, now).await {
        Ok(claims) => claims,
        Err(e @ StateError::OtherBrowser) => {
            return Err(Refusal {
                reason: Some("other_browser"),
                detail: e.to_string(),
            });
        }
        Err(e) => return Err(e.to_string().into()),
    };
    if let Some(error) = query_value(raw, "error") {
        return Err(format!("HubSpot answered {error}").into());
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
    /// Another partner holds the portal.
    const PORTAL_GUARD: Guard = Guard::new("portal_guard");
    let mut writes = Transaction::new();
    writes.guarded(PORTAL_GUARD, claim_portal(&claims.pid, &record.portal_id));
    // Reconnecting the same portal keeps its pipeline; another portal
    // frees the one it replaces.
    let write = match previous {
        Some(previous) => {
            if previous.portal_id == record.portal_id {
                record.pipeline_id = previous.pipeline_id;
                record.pipeline_stages = previous.pipeline_stages;
            } else {
                writes.push(release_portal(&claims.pid, &previous.portal_id));
            }
            record.replace(previous.version)
        }
        None => record.item().map(Write::put_new),
    }
    .map_err(|e| e.to_string())?;
    writes.push(write);
    match writes.commit(&*ctx.store).await {
        Ok(()) => Ok(claims.pid),
        Err(e) if e.failed(PORTAL_GUARD) => Err(Refusal {
            reason: Some("portal_in_use"),
            detail: format!(
                "HubSpot portal {} is connected to another partner",
                record.portal_id
            ),
        }),
        Err(e) => Err(e.to_string().into()),
    }
}
