//! Accepting an invitation: the invited user sets a name and password
//! with the invitation's token and is signed in.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use pc_http::identity::UserRecord;
use pc_http::{ApiError, ApiResult, AppState, FieldError, ValidJson};

use super::{hash_password, save_user_change, signed_in};
use crate::email_address::parse_name;
use crate::one_time_tokens::{self, Purpose};
use crate::passwords;
use crate::sessions_store;
use crate::user_views::UserProfile;
use crate::users_store;

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
