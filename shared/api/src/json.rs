//! The JSON body extractor: a body that does not parse is a 400 whose
//! details name every field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

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

/// Most bad fields one answer names; a body with more is refused with these.
const MAX_FIELD_ERRORS: usize = 50;

/// Stand-ins tried in place of a bad or missing value, so that checking can
/// go on past it and find the next bad field.
fn stand_ins() -> [Value; 6] {
    [
        Value::Null,
        Value::String(String::new()),
        Value::from(0),
        Value::Bool(false),
        Value::Array(Vec::new()),
        Value::Object(Map::new()),
    ]
}

/// Parses JSON into `T`; when it does not fit, the 400 names every bad
/// field, not only the first serde meets.
///
/// serde stops at the first error, so after each one the bad value is
/// replaced by a stand-in of another type (or a missing one supplied, an
/// unknown one dropped) and the body checked again, until it fits or no
/// stand-in gets past the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_json",
            "a JSON body is required",
        ));
    }
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("malformed JSON: {e}")))?;
    let mut errors: Vec<FieldError> = Vec::new();
    loop {
        let problem = match check::<T>(&value) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => break,
            Err(problem) => problem,
        };
        if errors.iter().any(|e| e.field == problem.field) || errors.len() >= MAX_FIELD_ERRORS {
            break;
        }
        errors.push(FieldError::new(&problem.field, &problem.message));
        if !problem.repair::<T>(&mut value) {
            break;
        }
    }
    Err(ApiError::validation(errors))
}

/// One misfit found by serde: where it is and what is wrong.
struct Problem {
    /// Where the value is, from the body's root.
    at: Vec<Segment>,
    /// The member serde named as missing or unknown, under `at`.
    member: Option<Member>,
    field: String,
    message: String,
}

enum Member {
    Missing(String),
    Unknown(String),
}

#[derive(Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn check<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let mut at = Vec::new();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Map { key } => at.push(Segment::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => at.push(Segment::Index(*index)),
                // Enum variants and untracked steps are not places in the body.
                _ => {}
            }
        }
        let message = e.into_inner().to_string();
        let member = quoted_after(&message, "missing field `")
            .map(|m| Member::Missing(m.to_owned()))
            .or_else(|| {
                quoted_after(&message, "unknown field `").map(|m| Member::Unknown(m.to_owned()))
            });
        // serde_path_to_error puts an unknown field in the path, and a
        // missing one at its parent's: `at` is kept as the parent for both.
        if let Some(Member::Unknown(name)) = &member
            && at.last() == Some(&Segment::Key(name.clone()))
        {
            at.pop();
        }
        let mut path = at.clone();
        if let Some(Member::Missing(name) | Member::Unknown(name)) = &member {
            path.push(Segment::Key(name.clone()));
        }
        Problem {
            field: field_name(&path),
            message: message
                .split(", expected one of")
                .next()
                .unwrap_or(&message)
                .to_owned(),
            at,
            member,
        }
    })
}

impl Problem {
    /// Changes `value` so this problem is gone; false when no change helps.
    fn repair<T: DeserializeOwned>(&self, value: &mut Value) -> bool {
        let mut place = self.at.clone();
        if let Some(Member::Unknown(name)) = &self.member {
            return match locate(value, &place) {
                Some(Value::Object(map)) => map.remove(name).is_some(),
                _ => false,
            };
        }
        if let Some(Member::Missing(name)) = &self.member {
            match locate(value, &place) {
                Some(Value::Object(map)) => {
                    map.insert(name.clone(), Value::Null);
                }
                _ => return false,
            }
            place.push(Segment::Key(name.clone()));
        }
        for stand_in in stand_ins() {
            let Some(slot) = locate(value, &place) else {
                return false;
            };
            *slot = stand_in;
            match check::<T>(value) {
                Ok(_) => return true,
                Err(next) if !next.at.starts_with(&place) && !next.field_is_under(&place) => {
                    return true;
                }
                Err(_) => {}
            }
        }
        false
    }

    fn field_is_under(&self, place: &[Segment]) -> bool {
        let mut path = self.at.clone();
        if let Some(Member::Missing(name) | Member::Unknown(name)) = &self.member {
            path.push(Segment::Key(name.clone()));
        }
        path.starts_with(place)
    }
}

fn locate<'v>(value: &'v mut Value, place: &[Segment]) -> Option<&'v mut Value> {
    place
        .iter()
        .try_fold(value, |v, segment| match (segment, v) {
            (Segment::Key(key), Value::Object(map)) => map.get_mut(key),
            (Segment::Index(i), Value::Array(items)) => items.get_mut(*i),
            _ => None,
        })
}

/// `email`, `contact.phone`, `types[2]`; `body` for the root.
fn field_name(path: &[Segment]) -> String {
    let mut name = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) if name.is_empty() => name.push_str(key),
            Segment::Key(key) => {
                name.push('.');
                name.push_str(key);
            }
            Segment::Index(i) => name.push_str(&format!("[{i}]")),
        }
    }
    if name.is_empty() {
        "body".to_owned()
    } else {
        name
    }
}

/// The text between `prefix` and the next backquote.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
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

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        email: String,
        tags: Vec<u32>,
    }

    fn fields<T: DeserializeOwned + std::fmt::Debug>(bytes: &str) -> Vec<String> {
        let e = parse_json::<T>(bytes.as_bytes()).unwrap_err();
        e.details.into_iter().map(|d| d.field).collect()
    }

    #[test]
    fn names_every_bad_field() {
        assert_eq!(
            fields::<Body>(r#"{"age": "x", "nested": {"name": 1}}"#),
            ["age", "nested.name", "email"]
        );
        assert_eq!(
            fields::<Strict>(r#"{"email": 5, "tags": [1, "two", 3, -4], "extra": true}"#),
            ["email", "extra", "tags[1]", "tags[3]"]
        );
        assert_eq!(fields::<Strict>("[]"), ["body"]);
    }

    #[test]
    fn malformed_json_is_a_400() {
        assert_eq!(field("{nope").0, "invalid_json");
        assert_eq!(field("").0, "invalid_json");
    }
}
