//! Path parameters are identifiers (record ids, slugs, job and queue names),
//! and they become parts of store keys. One check in front of every route
//! keeps anything else away from the handlers: a parameter that is not 1-64
//! characters of `A-Z a-z 0-9 _ -` names no record, so the answer is the
//! same 404 a well-formed unknown id gets, whatever the method.

use crate::ErrorCode;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Longest path parameter any route takes (ids are 26, slugs at most 60).
pub const MAX_PATH_PARAM_CHARS: usize = 64;

/// Whether `value` can name a record.
pub fn is_identifier(value: &str) -> bool {
    (1..=MAX_PATH_PARAM_CHARS).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn no_such_record() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no record has that id",
    )
}

/// Middleware: answers 404 when any path parameter of the matched route is
/// not an identifier (including one that is not valid percent-encoded UTF-8).
pub async fn check_path_params(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let fit = match RawPathParams::from_request_parts(&mut parts, &()).await {
        Ok(params) => params.iter().all(|(_, value)| is_identifier(value)),
        // A route without parameters.
        Err(RawPathParamsRejection::MissingPathParams(_)) => true,
        Err(_) => false,
    };
    if fit {
        next.run(Request::from_parts(parts, body)).await
    } else {
        no_such_record().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_short_and_plain() {
        for ok in [
            "01J9ZQ3V6Y4K8M2N5P7R9T1W3X",
            "acme-inc",
            "hubspot-sync",
            "a_b",
        ] {
            assert!(is_identifier(ok), "{ok}");
        }
        let long = "a".repeat(MAX_PATH_PARAM_CHARS + 1);
        for bad in ["", "a\0b", "a b", "a/b", "ä", "a.b", long.as_str()] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }
}
