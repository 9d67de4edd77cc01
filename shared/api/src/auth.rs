//! The one authentication and authorization mechanism: every HTTP function
//! declares its [`Access`] in the function table, and this layer checks the
//! caller against it before the handler runs. The token is verified, then
//! the user and the session are read from the store (one batch get), so a
//! deactivated user or a revoked session is refused on the very next request.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use pc_platform::AppState;
use pc_platform::store::{Store, StoreError, from_item};

use crate::cookies::{ACCESS_COOKIE, bearer_token, read_cookie};
use crate::error::ApiError;
use crate::functions::Access;
use crate::identity::{Principal, Role, SessionRecord, UserRecord, session_key, user_key};
use crate::tokens::{self, AccessClaims};

/// The session token of a request: the bearer header wins over the cookie.
pub fn access_token(headers: &HeaderMap) -> Option<String> {
    bearer_token(headers).or_else(|| read_cookie(headers, ACCESS_COOKIE))
}

/// The user and one of its sessions, in one batch get (either may be gone).
pub async fn load_user_and_session(
    store: &dyn Store,
    user_id: &str,
    session_id: &str,
) -> Result<(Option<UserRecord>, Option<SessionRecord>), StoreError> {
    let items = store
        .batch_get(&[user_key(user_id), session_key(user_id, session_id)])
        .await?;
    let mut user = None;
    let mut session = None;
    for item in items {
        match item.get("entity").and_then(|e| e.as_str()) {
            Some("user") => user = Some(from_item(item)?),
            Some("session") => session = Some(from_item(item)?),
            _ => {}
        }
    }
    Ok((user, session))
}

/// Checks the request's access token against the store.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let token = access_token(headers).ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let now = state.clock.now();
    let envelope =
        tokens::verify::<AccessClaims>(state.config.jwt_secret.expose()?, "access", &token, now)
            .map_err(|e| ApiError::unauthorized(format!("invalid session: {e}")))?;
    let AccessClaims { sub, sid } = envelope.claims;
    let (user, session) = load_user_and_session(&*state.store, &sub, &sid).await?;
    let invalid = || ApiError::unauthorized("invalid session");
    let user = user.filter(UserRecord::can_sign_in).ok_or_else(invalid)?;
    let session = session
        .filter(|s| !s.revoked && s.expires_at > now)
        .ok_or_else(invalid)?;
    if user
        .tokens_valid_after
        .is_some_and(|after| envelope.iat < after.timestamp())
    {
        return Err(invalid());
    }
    Ok(Principal {
        user_id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        partner_id: user.partner_id,
        session_id: session.id,
    })
}

/// Whether `principal` passes `access` (403 when signed in but not allowed).
pub fn authorize(principal: &Principal, access: Access) -> Result<(), ApiError> {
    let allowed = match access {
        Access::Public | Access::Webhook | Access::SignedIn => true,
        Access::Admin => principal.role >= Role::Admin,
        Access::Staff => principal.is_staff(),
        Access::Owner => principal.is_owner(),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden("your role does not allow this"))
    }
}

/// The layer in front of every HTTP handler.
pub async fn auth_layer(
    State((state, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    if matches!(access, Access::Public | Access::Webhook) {
        return next.run(request).await;
    }
    let principal = match authenticate(&state, request.headers()).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = authorize(&principal, access) {
        return e.into_response();
    }
    tracing::Span::current().record("user_id", principal.user_id.as_str());
    request.extensions_mut().insert(principal);
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("sign in first"))
    }
}
