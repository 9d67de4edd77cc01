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
pub use pc_platform::queue::QueueMessage;
pub use utoipa_axum::routes;
