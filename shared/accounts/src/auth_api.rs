//! The session endpoints: sign-in, refresh, sign-out, me,
//! forgot/reset password and accepting an invitation. Wrong email and
//! wrong password look the same from outside; failures are rate limited in
//! the store so the limit holds across Lambda instances.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_api::auth::load_user_and_session;
use pc_api::cookies::{
    REFRESH_COOKIE, add_clearing_cookies, add_session_cookies, bearer_token, read_cookie,
};
use pc_api::identity::{PartnerStanding, UserRecord, partner_key, user_key};
use pc_api::tokens::{self, AccessClaims, RefreshClaims};
use pc_api::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{Condition, Update};

use crate::account_emails;
use crate::client_ip::ClientIp;
use crate::email_address::{EmailAddress, parse_name};
use crate::one_time_tokens::{self, ConsumeError, Purpose};
use crate::passwords::{self, Verdict};
use crate::rate_limit::{
    self, REFRESHES, RESET_EMAILS, SIGN_IN_FAILURES, SIGN_IN_FAILURES_PER_EMAIL,
};
use crate::sessions_store::{self, RotateError, TokenPair};
use crate::user_views::{UserProfile, audit_summary};
use crate::users_store::{self, SaveUserError};

impl From<SaveUserError> for ApiError {
    fn from(e: SaveUserError) -> Self {
        match e {
            SaveUserError::Stale => ApiError::conflict("stale_user", e.to_string()),
            SaveUserError::LastOwner => ApiError::conflict("last_owner", e.to_string()),
            SaveUserError::Store(s) => s.into(),
        }
    }
}

impl From<ConsumeError> for ApiError {
    fn from(e: ConsumeError) -> Self {
        match e {
            ConsumeError::Invalid => ApiError::invalid_field("token", e.to_string()),
            ConsumeError::Store(s) => s.into(),
        }
    }
}

/// A plain confirmation.
#[derive(Serialize, ToSchema)]
pub struct Confirmation {
    pub message: String,
}

impl Confirmation {
    pub fn new(text: &str) -> Json<Self> {
        Json(Self {
            message: text.to_owned(),
        })
    }
}

/// The answer that starts a session: the profile, and the tokens only as cookies.
pub fn signed_in(ctx: &AppContext, user: &UserRecord, pair: &TokenPair) -> Response {
    let mut headers = HeaderMap::new();
    add_session_cookies(&mut headers, &ctx.config, &pair.access, &pair.refresh);
    (headers, Json(UserProfile::from(user))).into_response()
}

/// Hashes off the async threads: Argon2id is deliberately slow.
async fn check_password(password: String, stored: Option<String>) -> Verdict {
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => passwords::verify(&password, &hash),
        None => {
            passwords::verify_dummy(&password);
            Verdict::Wrong
        }
    })
    .await
    .unwrap_or(Verdict::Wrong)
}

/// A new Argon2id hash, off the async threads.
pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(ApiError::internal)
}

fn require_password(field: &str, password: &str) -> Result<(), FieldError> {
    if password.is_empty() {
        Err(FieldError::new(field, "is required"))
    } else if password.len() > 256 {
        Err(FieldError::new(field, "must be at most 256 bytes"))
    } else {
        Ok(())
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SignInBody {
    pub email: String,
    pub password: String,
}

/// Signs in with email and password; sets the `accessToken` and
/// `refreshToken` cookies and answers the user's profile.
#[utoipa::path(post, path = "/auth/sign-in", tag = "auth", request_body = SignInBody,
    responses((status = 200, body = UserProfile), (status = 400), (status = 401), (status = 429)))]
pub async fn sign_in(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<SignInBody>,
) -> ApiResult<Response> {
    let email = EmailAddress::parse(&body.email);
    let mut errors = Vec::new();
    if let Err(message) = &email {
        errors.push(FieldError::new("email", *message));
    }
    if let Err(e) = require_password("password", &body.password) {
        errors.push(e);
    }
    let email = match email {
        Ok(email) if errors.is_empty() => email,
        _ => return Err(ApiError::validation(errors)),
    };
    let now = ctx.clock.now();
    // Every attempt is counted before the password is looked at, with a
    // conditional increment: twenty concurrent guesses cannot all slip in
    // under the limit. A successful attempt gives its count back. Unknown
    // emails are counted the same way, so the answers reveal nothing.
    let windows = [
        (
            SIGN_IN_FAILURES,
            SIGN_IN_FAILURES.window(&format!("{email}|{ip}"), now),
        ),
        (
            SIGN_IN_FAILURES_PER_EMAIL,
            SIGN_IN_FAILURES_PER_EMAIL.window(email.as_str(), now),
        ),
    ];
    for (i, (limit, window)) in windows.iter().enumerate() {
        if let Some(wait) = rate_limit::take(&*ctx.store, limit, window, now).await? {
            for (_, taken) in &windows[..i] {
                rate_limit::give_back(&*ctx.store, taken).await?;
            }
            return Err(ApiError::rate_limited(wait));
        }
    }
    let user = users_store::find_by_email(&*ctx.store, email.as_str()).await?;
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let verdict = check_password(body.password, stored_hash.clone()).await;
    let user = match user {
        Some(user) if user.can_sign_in() && verdict != Verdict::Wrong => user,
        _ => return Err(ApiError::unauthorized("wrong email or password")),
    };
    // The users of an inactive partner are locked out like deactivated users.
    if let Some(pid) = &user.partner_id {
        let partner = ctx.store.get(&partner_key(pid)).await?;
        if PartnerStanding::of(partner.as_ref()) == PartnerStanding::Refused {
            return Err(ApiError::unauthorized("wrong email or password"));
        }
    }
    for (_, window) in &windows {
        rate_limit::give_back(&*ctx.store, window).await?;
    }
    if let (Verdict::RightRehash(new_hash), Some(old_hash)) = (verdict, stored_hash) {
        // Only if the hash is still the one just checked; losing that race
        // is harmless, the next sign-in rehashes.
        let update = Update::new(user_key(&user.id))
            .set("passwordHash", new_hash)
            .when(Condition::equals("passwordHash", old_hash));
        if let Err(e) = ctx.store.update(update).await
            && !e.is_condition_failure()
        {
            return Err(e.into());
        }
    }
    let pair = sessions_store::start(&ctx, &user).await?;
    Ok(signed_in(&ctx, &user, &pair))
}

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
        tokens::verify::<RefreshClaims>(ctx.config.jwt_secret.expose()?, "refresh", &token, now)
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
    let secret = ctx.config.jwt_secret.expose()?;
    let from_access = pc_api::auth::access_token(&headers)
        .and_then(|t| tokens::verify::<AccessClaims>(secret, "access", &t, now).ok())
        .map(|e| (e.claims.sub, e.claims.sid));
    let session = from_access.or_else(|| {
        read_cookie(&headers, REFRESH_COOKIE)
            .and_then(|t| tokens::verify::<RefreshClaims>(secret, "refresh", &t, now).ok())
            .map(|e| (e.claims.sub, e.claims.sid))
    });
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

#[derive(Deserialize, ToSchema)]
pub struct ForgotPasswordBody {
    pub email: String,
}

const FORGOT_ANSWER: &str = "If an account exists for this email, a reset link is on its way.";

/// Emails a one-hour, single-use reset link if the account exists; the
/// answer is the same either way.
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth", request_body = ForgotPasswordBody,
    responses((status = 200, body = Confirmation), (status = 400)))]
pub async fn forgot_password(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<ForgotPasswordBody>,
) -> ApiResult<Json<Confirmation>> {
    let email =
        EmailAddress::parse(&body.email).map_err(|m| ApiError::invalid_field("email", m))?;
    let user = users_store::find_by_email(&*ctx.store, email.as_str()).await?;
    let now = ctx.clock.now();
    let window = RESET_EMAILS.window(email.as_str(), now);
    let over_limit = match &user {
        Some(user) if user.can_sign_in() => RESET_EMAILS
            .retry_after(
                rate_limit::count(&*ctx.store, &window).await? - 1,
                &window,
                now,
            )
            .is_some(),
        _ => false,
    };
    if let Some(user) = user.filter(|u| u.can_sign_in() && !over_limit) {
        let token = one_time_tokens::issue(
            Purpose::PasswordReset,
            &user.id,
            user.partner_id.as_deref(),
            now,
        );
        // The email commits with its token: one never exists without the other.
        let mut outbox = Outbox::new(ctx.ids.new_id(), now);
        account_emails::send_password_reset(&ctx, &mut outbox, &user.email, &user.name, &token)?;
        let mut writes = vec![token.write.clone()];
        outbox.add_to(&mut writes)?;
        ctx.store.transact(writes).await?;
    }
    Ok(Confirmation::new(FORGOT_ANSWER))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordBody {
    pub token: String,
    pub new_password: String,
}

/// Sets a new password with a reset link's token and revokes every
/// session of the user.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", request_body = ResetPasswordBody,
    responses((status = 200, body = Confirmation), (status = 400)))]
pub async fn reset_password(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<ResetPasswordBody>,
) -> ApiResult<Json<Confirmation>> {
    let mut errors = Vec::new();
    if body.token.trim().is_empty() {
        errors.push(FieldError::new("token", "is required"));
    }
    if let Err(e) = passwords::check_policy("newPassword", &body.new_password) {
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = ctx.clock.now();
    let consumed =
        one_time_tokens::consume(&*ctx.store, Purpose::PasswordReset, &body.token, now).await?;
    let before = users_store::get_user(&*ctx.store, &consumed.user_id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(|| ApiError::invalid_field("token", "the link is invalid or has expired"))?;
    let mut after = before.clone();
    after.password_hash = Some(hash_password(body.new_password).await?);
    after.tokens_valid_after = Some(now);
    after.updated_at = now;
    save_user_change(&ctx, None, "password_reset", &before, &after).await?;
    sessions_store::revoke_all(&*ctx.store, &after.id).await?;
    Ok(Confirmation::new(
        "Your password has been changed. Sign in with the new one.",
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct CompleteRegistrationBody {
    pub token: String,
    pub name: String,
    pub password: String,
}

/// Accepts an invitation: sets name and password, then signs in.
#[utoipa::path(post, path = "/auth/complete-registration", tag = "auth",
    request_body = CompleteRegistrationBody,
    responses((status = 200, body = UserProfile), (status = 400)))]
pub async fn complete_registration(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<CompleteRegistrationBody>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    if body.token.trim().is_empty() {
        errors.push(FieldError::new("token", "is required"));
    }
    let name = parse_name(&body.name).map_err(|m| FieldError::new("name", m));
    if let Err(e) = &name {
        errors.push(e.clone());
    }
    if let Err(e) = passwords::check_policy("password", &body.password) {
        errors.push(e);
    }
    let name = match name {
        Ok(name) if errors.is_empty() => name,
        _ => return Err(ApiError::validation(errors)),
    };
    let password_hash = hash_password(body.password).await?;
    let now = ctx.clock.now();
    let consumed =
        one_time_tokens::consume(&*ctx.store, Purpose::Invitation, &body.token, now).await?;
    let before = users_store::get_user(&*ctx.store, &consumed.user_id)
        .await?
        // A user deactivated or deleted since the invitation stays locked out.
        .filter(UserRecord::can_sign_in)
        .ok_or_else(|| ApiError::invalid_field("token", "the link is invalid or has expired"))?;
    let mut after = before.clone();
    after.name = name;
    after.password_hash = Some(password_hash);
    after.updated_at = now;
    save_user_change(&ctx, None, "invitation_accepted", &before, &after).await?;
    let pair = sessions_store::start(&ctx, &after).await?;
    Ok(signed_in(&ctx, &after, &pair))
}

/// Saves a change to a user (conditional on the version read) with its
/// audit event in the same transaction's outbox.
pub async fn save_user_change(
    ctx: &AppContext,
    actor: Option<&Principal>,
    action: &str,
    before: &UserRecord,
    after: &UserRecord,
) -> ApiResult<()> {
    let event = user_change_event(ctx, actor, action, before, after);
    let mut outbox = Outbox::new(ctx.ids.new_id(), ctx.clock.now());
    pc_api::audit::add_to_outbox(&mut outbox, &event)?;
    let extra = outbox.write()?.into_iter().collect();
    users_store::save_user_with(&*ctx.store, before, after, extra).await?;
    Ok(())
}

/// The audit event of a change to a user.
pub fn user_change_event(
    ctx: &AppContext,
    actor: Option<&Principal>,
    action: &str,
    before: &UserRecord,
    after: &UserRecord,
) -> pc_api::audit::AuditEvent {
    pc_api::audit::AuditEvent::new(
        ctx,
        actor,
        action,
        "user",
        &after.id,
        after.partner_id.as_deref(),
        audit_summary(before),
        audit_summary(after),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_api::identity::Role;
    use pc_platform::EmbeddedParts;

    async fn sign_in_with(ctx: &AppState, email: &str, password: &str) -> Response {
        sign_in_from(ctx, "192.0.2.1", email, password).await
    }

    async fn sign_in_from(ctx: &AppState, ip: &str, email: &str, password: &str) -> Response {
        let body = SignInBody {
            email: email.into(),
            password: password.into(),
        };
        match sign_in(State(ctx.clone()), ClientIp(ip.into()), ValidJson(body)).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    }

    #[tokio::test]
    async fn no_change_of_ip_lifts_the_per_email_limit() {
        let ctx = EmbeddedParts::in_memory().context;
        let mut statuses = Vec::new();
        for i in 0..12 {
            let ip = format!("192.0.2.{i}");
            let r = sign_in_from(&ctx, &ip, "who@x.io", "Wrong-Pass-12").await;
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses[..10], [401; 10]);
        assert_eq!(statuses[10..], [429; 2]);
    }

    #[tokio::test]
    async fn legacy_bcrypt_hashes_sign_in_and_are_upgraded() {
        let ctx = EmbeddedParts::in_memory().context;
        let now = ctx.clock.now();
        let user = UserRecord {
            id: ctx.ids.new_id(),
            email: "legacy@x.io".into(),
            name: "Legacy".into(),
            role: Role::User,
            partner_id: None,
            is_active: true,
            is_partner_owner: false,
            password_hash: Some(bcrypt::hash("Old-System-Pass1", 4).unwrap()),
            tokens_valid_after: None,
            deleted_at: None,
            created_at: now,
            updated_at: now,
        };
        users_store::create_user(&*ctx.store, &user).await.unwrap();

        let wrong = sign_in_with(&ctx, "legacy@x.io", "Not-The-Pass1").await;
        assert_eq!(wrong.status().as_u16(), 401);
        let right = sign_in_with(&ctx, "LEGACY@x.io", "Old-System-Pass1").await;
        assert_eq!(right.status().as_u16(), 200);
        assert_eq!(
            right.headers().get_all("set-cookie").iter().count(),
            2,
            "access and refresh cookies"
        );
        let stored = users_store::get_user(&*ctx.store, &user.id)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
        // And the upgraded hash still signs in.
        let again = sign_in_with(&ctx, "legacy@x.io", "Old-System-Pass1").await;
        assert_eq!(again.status().as_u16(), 200);
    }
}
