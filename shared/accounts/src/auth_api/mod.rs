//! The session endpoints, one module per flow: sign-in, the session
//! (refresh, sign-out, me), forgot/reset password and accepting an
//! invitation. Wrong email and wrong password look the same from outside;
//! failures are rate limited in the store so the limit holds across Lambda
//! instances.
//!
//! This module holds what the flows share: the error answers, the
//! confirmation body, the signed-in answer and password hashing.

mod invitation;
mod password_reset;
mod session;
mod sign_in;
mod user_changes;

// Named one by one (with utoipa's `__path_` item of each handler, which
// the OpenAPI document reads), so a name leads to its module.
pub use invitation::{
    __path_complete_registration, CompleteRegistrationBody, complete_registration,
};
pub use password_reset::{
    __path_forgot_password, __path_reset_password, ForgotPasswordBody, ResetPasswordBody,
    forgot_password, reset_password,
};
pub use session::{__path_me, __path_refresh, __path_sign_out, me, refresh, sign_out};
pub use sign_in::{__path_sign_in, SignInBody, clear_sign_in_limits, sign_in};
pub use user_changes::{save_user_change, user_change_event};

use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use pc_platform::error_code::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use pc_http::cookies::add_session_cookies;
use pc_http::identity::UserRecord;
use pc_http::{ApiError, ApiResult};
use pc_platform::AppContext;

use crate::one_time_tokens::ConsumeError;
use crate::passwords;
use crate::sessions_store::TokenPair;
use crate::user_views::UserProfile;
use crate::users_store::SaveUserError;

impl From<SaveUserError> for ApiError {
    fn from(e: SaveUserError) -> Self {
        match e {
            SaveUserError::Stale => ApiError::conflict(ErrorCode::StaleUser, e.to_string()),
            SaveUserError::LastOwner => ApiError::conflict(ErrorCode::LastOwner, e.to_string()),
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

/// A new Argon2id hash, off the async threads.
pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(ApiError::internal)
}
