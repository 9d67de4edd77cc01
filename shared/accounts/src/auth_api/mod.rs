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

pub use invitation::*;
pub use password_reset::*;
pub use session::*;
pub use sign_in::*;
pub use user_changes::*;

use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use pc_platform::error_code::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use pc_api::cookies::add_session_cookies;
use pc_api::identity::UserRecord;
use pc_api::{ApiError, ApiResult};
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
