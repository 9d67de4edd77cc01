//! The one mapping from failures to HTTP answers:
//! `{"error": {"code", "message", "details"}}` with the right status, and
//! beside it, at the top level, the `statusCode` and `message` the
//! original app's error handling read from NestJS's answers
//! (`{statusCode, message, error}`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use pc_platform::config::{MissingPublicKeys, MissingSecret};
pub use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;
use pc_platform::queue::QueueError;
use pc_platform::store::StoreError;

pub use pc_platform::failure::FieldError;

/// An error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub details: Vec<FieldError>,
    pub retry_after_seconds: Option<u64>,
}

/// The error body, for the OpenAPI document.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"statusCode": 400, "message": "invalid input: email",
    "error": {"code": "validation_failed", "message": "invalid input: email",
        "details": [{"field": "email", "message": "is not an email address"}]}}))]
pub struct ErrorBody {
    /// The HTTP status again, as NestJS answered it.
    pub status_code: u16,
    /// The same text as `error.message`, where NestJS put it.
    pub message: String,
    pub error: ErrorContent,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorContent {
    #[schema(schema_with = error_code_schema)]
    pub code: String,
    pub message: String,
    pub details: Vec<FieldError>,
}

/// `error.code` as the closed list it is, each code with its meaning.
fn error_code_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    let meanings: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|code| format!("- `{}`: {}", code.as_str(), code.meaning()))
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
        .description(Some(format!(
            "What went wrong, for a program to act on:\n\n{}",
            meanings.join("\n")
        )))
        .build()
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after_seconds: None,
        }
    }

    /// 400 with one detail per bad field.
    pub fn validation(details: Vec<FieldError>) -> Self {
        let fields: Vec<_> = details.iter().map(|d| d.field.as_str()).collect();
        let message = format!("invalid input: {}", fields.join(", "));
        Self {
            details,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ValidationFailed,
                message,
            )
        }
    }

    /// 400 for one bad field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// 404, also the answer for another tenant's record.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} not found"),
        )
    }

    /// 403 for a user whose partner an owner has not activated yet.
    pub fn partner_not_active() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PartnerNotActive,
            "your partner account awaits approval; until an owner activates it you can manage only your profile, the partner's settings and onboarding",
        )
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            message,
        )
    }

    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "too many attempts, try again later",
            )
        }
    }

    /// 500: the cause is logged, never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "something went wrong",
        )
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "temporarily unavailable, retry",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // NestJS's `error` was the status's reason phrase; here `error` is
        // the object every client of this API reads, so only `statusCode`
        // and `message` are repeated at the top level.
        let body = serde_json::json!({
            "statusCode": self.status.as_u16(),
            "message": self.message,
            "error": {"code": self.code, "message": self.message, "details": self.details}
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A deployed function that was not given a secret its handler needs: a
/// deployment mistake, logged with the secret's name.
impl From<MissingSecret> for ApiError {
    fn from(e: MissingSecret) -> Self {
        ApiError::internal(e)
    }
}

/// Likewise for the public keys of session tokens.
impl From<MissingPublicKeys> for ApiError {
    fn from(e: MissingPublicKeys) -> Self {
        ApiError::internal(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => {
                Self::bad_request(ErrorCode::InvalidCursor, "invalid pagination cursor")
            }
            // Not a retry: what is left of a conflict once the use case's
            // own retries gave up is answered 503, for the client to retry.
            StoreError::Throttled | StoreError::TransactionConflict => Self::unavailable(e),
            // A value the store refuses (a key too long or holding NUL, an
            // item over the size limit) came from the request: the caller's
            // fault, never the server's. Input checks at the edge name the
            // field; this is the net under them.
            StoreError::Invalid(cause) => {
                tracing::warn!(error = %cause, "the store refused a value");
                Self::bad_request(
                    ErrorCode::InvalidRequest,
                    "the request holds a value that cannot be stored",
                )
            }
            other => Self::internal(other),
        }
    }
}

/// The one place a use case's failure becomes an HTTP answer.
impl From<Failure> for ApiError {
    fn from(e: Failure) -> Self {
        match e {
            Failure::NotFound(what) => ApiError::not_found(what),
            Failure::Invalid(details) => ApiError::validation(details),
            Failure::Refused(code, message) => ApiError::bad_request(code, message),
            Failure::Conflict(code, message) => ApiError::conflict(code, message),
            Failure::Forbidden(message) => ApiError::forbidden(message),
            Failure::Denied {
                code,
                message,
                details,
            } => ApiError {
                details,
                ..ApiError::new(StatusCode::FORBIDDEN, code, message)
            },
            Failure::RateLimited(seconds) => ApiError::rate_limited(seconds),
            Failure::Unavailable(cause) => ApiError::unavailable(cause),
            Failure::Internal(cause) => ApiError::internal(cause),
            Failure::Store(e) => e.into(),
            Failure::Queue(e) => e.into(),
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        Self::unavailable(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
