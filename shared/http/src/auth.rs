//! The one authentication and authorization mechanism: every HTTP function
//! declares its [`Access`] in the function table, and this layer checks the
//! caller against it before the handler runs. The token is verified, then
//! the user, the session and the user's partner are read from the store
//! (one batch get), so a deactivated user, a revoked session or an inactive
//! partner is refused on the very next request. The same layer refuses
//! cross-site cookie requests and non-JSON bodies (see [`crate::csrf`]).
//! Routes of [`Access::PartnerToken`] take a partner API token instead
//! (see [`crate::partner_tokens`]) and nothing else.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use pc_platform::AppState;
use pc_platform::store::{Item, Store, StoreError, from_item};

use crate::cookies::{ACCESS_COOKIE, bearer_token, read_cookie};
use crate::csrf;
use crate::error::ApiError;
use crate::functions::Access;
use crate::identity::{
    PartnerStanding, Principal, Role, SessionRecord, UserRecord, partner_key, session_key, user_key,
};
use crate::partner_tokens;
use crate::tokens::{self, AccessClaims};

/// The session token of a request: the bearer header wins over the cookie.
pub fn access_token(headers: &HeaderMap) -> Option<String> {
    bearer_token(headers).or_else(|| read_cookie(headers, ACCESS_COOKIE))
}

/// What one authenticated request needs from the store.
#[derive(Debug, Default)]
pub struct SessionRecords {
    pub user: Option<UserRecord>,
    pub session: Option<SessionRecord>,
    /// The standing of the user's partner (`None`: a user without partner).
    pub partner: Option<PartnerStanding>,
}

/// The user, one of its sessions and the user's partner, in one batch get
/// (any may be gone). `partner_hint` is the partner the token was signed
/// for; only when the user has since moved to another partner (or the
/// token names none) is that partner read with one more get.
pub async fn load_user_and_session(
    store: &dyn Store,
    user_id: &str,
    session_id: &str,
    partner_hint: Option<&str>,
) -> Result<SessionRecords, StoreError> {
    let mut keys = vec![user_key(user_id), session_key(user_id, session_id)];
    keys.extend(partner_hint.map(partner_key));
    let items = store.batch_get(&keys).await?;
    let mut records = SessionRecords::default();
    let mut hinted: Option<Item> = None;
    for item in items {
        match item.get("entity").and_then(|e| e.as_str()) {
            Some("user") => records.user = Some(from_item(item)?),
            Some("session") => records.session = Some(from_item(item)?),
            Some("partner") => hinted = Some(item),
            _ => {}
        }
    }
    if let Some(pid) = records.user.as_ref().and_then(|u| u.partner_id.clone()) {
        let partner = if partner_hint == Some(pid.as_str()) {
            hinted
        } else {
            store.get(&partner_key(&pid)).await?
        };
        records.partner = Some(PartnerStanding::of(partner.as_ref()));
    }
    Ok(records)
}

/// A caller checked against the store on this request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    /// The caller's partner is not active yet.
    pub awaiting_approval: bool,
}

/// Checks the request's access token against the store.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = access_token(headers).ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let now = state.clock.now();
    let envelope = tokens::verify_session::<AccessClaims>(&state.config, "access", &token, now)?
        .map_err(|e| ApiError::unauthorized(format!("invalid session: {e}")))?;
    let AccessClaims { sub, sid, pid } = envelope.claims;
    authenticate_session(state, &sub, &sid, pid.as_deref(), envelope.iat).await
}

/// Checks a session named by a credential issued at `issued_at` (unix
/// seconds) against the store: the user may sign in, the session is live,
/// the user's tokens were not revoked since, its partner is not inactive.
/// [`authenticate`] checks an access token's claims with it; a WebSocket
/// connection ticket's, the same way.
pub async fn authenticate_session(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    partner_hint: Option<&str>,
    issued_at: i64,
) -> Result<Caller, ApiError> {
    let now = state.clock.now();
    let records = load_user_and_session(&*state.store, user_id, session_id, partner_hint).await?;
    let invalid = || ApiError::unauthorized("invalid session");
    let user = records
        .user
        .filter(UserRecord::can_sign_in)
        .ok_or_else(invalid)?;
    let session = records
        .session
        .filter(|s| !s.revoked && s.expires_at > now)
        .ok_or_else(invalid)?;
    if user
        .tokens_valid_after
        .is_some_and(|after| issued_at < after.timestamp())
    {
        return Err(invalid());
    }
    // The users of an inactive partner are as locked out as deactivated users.
    if records.partner == Some(PartnerStanding::Refused) {
        return Err(invalid());
    }
    Ok(Caller {
        awaiting_approval: records.partner == Some(PartnerStanding::AwaitingApproval),
        principal: Principal {
            user_id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            partner_id: user.partner_id,
            session_id: session.id,
        },
    })
}

/// Whether `principal` passes `access` (403 when signed in but not allowed).
pub fn authorize(principal: &Principal, access: Access) -> Result<(), ApiError> {
    let allowed = match access {
        Access::Public | Access::Webhook | Access::SignedIn => true,
        Access::Admin => principal.role >= Role::Admin,
        Access::Staff => principal.is_staff(),
        Access::Owner => principal.is_owner(),
        // A session never passes a partner API token route.
        Access::PartnerToken => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden("your role does not allow this"))
    }
}

/// What the layer knows of the route it guards, from the function table
/// and the route's OpenAPI annotation.
#[derive(Clone)]
pub struct RouteGuard {
    pub state: AppState,
    pub access: Access,
    /// Open to users of a partner awaiting approval.
    pub open_to_pending_partners: bool,
    /// The route's body is JSON (other content types are a 415).
    pub json_body: bool,
}

/// The layer in front of every HTTP handler.
pub async fn auth_layer(
    State(guard): State<RouteGuard>,
    mut request: Request,
    next: Next,
) -> Response {
    if guard.access == Access::Webhook {
        return next.run(request).await;
    }
    if guard.access == Access::PartnerToken {
        // Only the bearer header counts here, never a cookie: no request
        // a browser sends on its own can authenticate, so there is no
        // cross-site request to refuse.
        let caller = match partner_tokens::authenticate(&guard.state, request.headers()).await {
            Ok(c) => c,
            Err(e) => return e.into_response(),
        };
        tracing::Span::current().record("user_id", caller.token.id.as_str());
        request.extensions_mut().insert(caller);
        if guard.json_body
            && let Err(e) = csrf::check_json_body(&request)
        {
            return e.into_response();
        }
        return next.run(request).await;
    }
    if let Err(e) = csrf::check_origin(&guard.state.config.cors_origin, &request) {
        return e.into_response();
    }
    if guard.access != Access::Public {
        let caller = match authenticate(&guard.state, request.headers()).await {
            Ok(c) => c,
            Err(e) => return e.into_response(),
        };
        if let Err(e) = authorize(&caller.principal, guard.access) {
            return e.into_response();
        }
        if caller.awaiting_approval && !guard.open_to_pending_partners {
            return ApiError::partner_not_active().into_response();
        }
        tracing::Span::current().record("user_id", caller.principal.user_id.as_str());
        request.extensions_mut().insert(caller.principal);
    }
    if guard.json_body
        && let Err(e) = csrf::check_json_body(&request)
    {
        return e.into_response();
    }
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
