//! The life of a session after sign-in: refreshing its token pair,
//! signing out and reading the signed-in user.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use pc_http::auth::load_user_and_session;
use pc_http::cookies::{REFRESH_COOKIE, add_clearing_cookies, bearer_token, read_cookie};
use pc_http::identity::PartnerStanding;
use pc_http::tokens::{self, AccessClaims, RefreshClaims};
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::AppContext;

use super::{Confirmation, signed_in};
use crate::client_ip::ClientIp;
use crate::rate_limit::{self, REFRESHES};
use crate::sessions_store::{self, RotateError};
use crate::user_views::UserProfile;

/// The refresh token of a request: the cookie, else a bearer header.
fn refresh_token(headers: &HeaderMap) -> Option<String> {
    read_cookie(headers, REFRESH_COOKIE).or_else(|| bearer_token(headers))
}

/// A refused refresh also clears the cookies, so the SPA goes to sign-in.
fn refused(ctx: &AppContext, message: &str) -> Response {
    let mut headers = HeaderMap::new();
    add_clearing_cookies(&mut headers, &ctx.config);
    (headers, ApiError::unauthorized(message)).into_response()
}

/// Rotates the token pair: the presented refresh token is spent, a new
/// pair is set as cookies. Presenting a spent refresh token revokes its
/// whole family (the session), except the one spent in the last 30 seconds
/// (another tab refreshing at the same moment), which gets a pair of the
/// same family.
#[utoipa::path(post, path = "/auth/token/refresh", tag = "auth",
    responses((status = 200, body = UserProfile), (status = 401), (status = 429)))]
pub async fn refresh(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let now = ctx.clock.now();
    let window = REFRESHES.window(&ip, now);
    let count = rate_limit::count(&*ctx.store, &window).await?;
    if let Some(wait) = REFRESHES.retry_after(count - 1, &window, now) {
        return Err(ApiError::rate_limited(wait));
    }
    let Some(token) = refresh_token(&headers) else {
        return Ok(refused(&ctx, "no refresh token"));
    };
    let Ok(envelope) =
        tokens::verify_session::<RefreshClaims>(&ctx.config, "refresh", &token, now)?
    else {
        return Ok(refused(&ctx, "invalid refresh token"));
    };
    let RefreshClaims { sub, sid, jti } = envelope.claims;
    let records = load_user_and_session(&*ctx.store, &sub, &sid, None).await?;
    let partner_refused = records.partner == Some(PartnerStanding::Refused);
    let user = records.user.filter(|u| {
        u.can_sign_in()
            && !partner_refused
            && u.tokens_valid_after
                .is_none_or(|after| envelope.iat >= after.timestamp())
    });
    let session = records.session.filter(|s| !s.revoked && s.expires_at > now);
    let (Some(user), Some(session)) = (user, session) else {
        return Ok(refused(&ctx, "invalid refresh token"));
    };
    match sessions_store::rotate(&ctx, &user, &session, &jti).await {
        Ok(pair) => Ok(signed_in(&ctx, &user, &pair)),
        Err(RotateError::Reused) => Ok(refused(
            &ctx,
            "this refresh token was already used; the session is revoked",
        )),
        Err(RotateError::Store(e)) => Err(e.into()),
    }
}

/// Ends the session named by the access token (or, when that has expired,
/// by the refresh token) and clears the cookies. Always succeeds.
#[utoipa::path(post, path = "/auth/sign-out", tag = "auth",
    responses((status = 200, body = Confirmation)))]
pub async fn sign_out(State(ctx): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let now = ctx.clock.now();
    let mut session = None;
    if let Some(token) = pc_http::auth::access_token(&headers) {
        session = tokens::verify_session::<AccessClaims>(&ctx.config, "access", &token, now)?
            .ok()
            .map(|e| (e.claims.sub, e.claims.sid));
    }
    if let (None, Some(token)) = (&session, read_cookie(&headers, REFRESH_COOKIE)) {
        session = tokens::verify_session::<RefreshClaims>(&ctx.config, "refresh", &token, now)?
            .ok()
            .map(|e| (e.claims.sub, e.claims.sid));
    }
    if let Some((user_id, sid)) = session {
        sessions_store::revoke(&*ctx.store, &user_id, &sid).await?;
    }
    let mut out = HeaderMap::new();
    add_clearing_cookies(&mut out, &ctx.config);
    Ok((out, Confirmation::new("signed out")).into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, body = UserProfile), (status = 401)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn me(principal: Principal) -> Json<UserProfile> {
    Json(UserProfile::from(&principal))
}
