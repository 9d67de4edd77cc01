//! The HTTP layer shared by every function: errors, JSON and list parsing,
//! session cookies and tokens, the one auth layer, the function table's
//! types, routers and the OpenAPI document.

pub mod audit;
pub mod auth;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod error_bodies;
pub mod functions;
pub mod identity;
pub mod json;
pub mod keys;
pub mod legacy_ids;
pub mod list;
pub mod openapi;
mod openapi_examples;
pub mod partner_events;
pub mod partner_tokens;
pub mod path_params;
pub mod router;
pub mod socket_functions;
pub mod telemetry;
pub mod tokens;

pub use chrono::{DateTime, Utc};
pub use error::{ApiError, ApiResult, ErrorCode, FieldError};
pub use functions::{Access, Function, Permissions};
pub use futures::future::BoxFuture;
pub use identity::{Principal, Role};
pub use json::ValidJson;
pub use list::{ListQuery, ListResponse, ListSpec};
pub use pc_platform::AppState;
pub use pc_platform::failure::Failure;
pub use pc_platform::queue::QueueMessage;
pub use utoipa_axum::routes;

/// Lets `?` turn a capability's own error into an HTTP answer: through the
/// [`Failure`] the capability says it means, mapped to a status in one place.
#[macro_export]
macro_rules! answer_through_failure {
    ($($error:ty),+ $(,)?) => {
        $(impl From<$error> for $crate::ApiError {
            fn from(e: $error) -> Self {
                $crate::ApiError::from($crate::Failure::from(e))
            }
        })+
    };
}
