//! A forgotten password: the reset link by email (the same answer whether
//! or not the account exists) and the new password set with its token.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, FieldError, ValidJson};
use pc_platform::outbox::Outbox;

use super::{Confirmation, hash_password, save_user_change};
use crate::account_emails;
use crate::email_address::EmailAddress;
use crate::one_time_tokens::{self, Purpose};
use crate::passwords;
use crate::rate_limit::{self, RESET_EMAILS};
use crate::sessions_store;
use crate::users_store;

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
