//! The JSON body extractor: a body that does not parse is a 400 whose
//! details name the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// A JSON request body, parsed into `T`.
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError::bad_request(
                "unsupported_content_type",
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large("the body is too large")
            } else {
                ApiError::bad_request("invalid_body", "the body could not be read")
            }
        })?;
        parse_json(&bytes).map(ValidJson)
    }
}

/// Parses JSON, naming the field at fault when it does not fit `T`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_json",
            "a JSON body is required",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request("invalid_json", format!("malformed JSON: {inner}"));
        }
        let message = inner.to_string();
        let field = missing_field(&message)
            .map(|name| {
                if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            })
            .unwrap_or_else(|| if path == "." { "body".to_owned() } else { path });
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        ApiError::validation(vec![FieldError::new(field, message)])
    })
}

/// serde reports a missing field at its parent's path; the name is in the text.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        age: u32,
        nested: Option<Inner>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn field(bytes: &str) -> (String, String) {
        let e = parse_json::<Body>(bytes.as_bytes()).unwrap_err();
        let d = e
            .details
            .first()
            .map(|d| d.field.clone())
            .unwrap_or_default();
        (e.code.to_owned(), d)
    }

    #[test]
    fn names_missing_and_mistyped_fields() {
        assert_eq!(
            field(r#"{"age": 3}"#),
            ("validation_failed".into(), "email".into())
        );
        assert_eq!(
            field(r#"{"email": "a", "age": "x"}"#),
            ("validation_failed".into(), "age".into())
        );
        assert_eq!(
            field(r#"{"email": "a", "age": 1, "nested": {}}"#),
            ("validation_failed".into(), "nested.name".into())
        );
        assert_eq!(
            field(r#""text""#),
            ("validation_failed".into(), "body".into())
        );
    }

    #[test]
    fn malformed_json_is_a_400() {
        assert_eq!(field("{nope").0, "invalid_json");
        assert_eq!(field("").0, "invalid_json");
    }
}
