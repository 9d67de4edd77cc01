//! The JSON body extractor: a body that does not parse is a 400 whose
//! details name every field at fault.

use crate::ErrorCode;
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
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                crate::ErrorCode::UnsupportedMediaType,
                "the body must be JSON, sent with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large("the body is too large")
            } else {
                ApiError::bad_request(ErrorCode::InvalidBody, "the body could not be read")
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
            ErrorCode::InvalidJson,
            "a JSON body is required",
        ));
    }
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(ErrorCode::InvalidJson, format!("malformed JSON: {e}"))
    })?;
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

/// Deserializes `T`, or names the first misfit: where serde met it, then
/// narrowed to the member at fault when serde could only tell the object
/// holding it ([`Problem::pinpoint`]).
fn check<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
    misfit::<T>(value).map_err(|mut problem| {
        problem.pinpoint::<T>(value);
        problem
    })
}

fn misfit<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
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
    /// A value serde took in whole before reading it (the members of a
    /// `#[serde(flatten)]` field) fails with the path of the object that
    /// holds it, and a wrong type reported against that object names the
    /// member whose value serde did not expect. The members of that object
    /// holding such a value are tried in the order serde reads them: the
    /// first whose change of value shows in the error is the one at fault
    /// (a value serde names with no content, a `null` or a list, cannot be
    /// told apart: the first holding it is named).
    fn pinpoint<T: DeserializeOwned>(&mut self, value: &Value) {
        if self.member.is_some() {
            return;
        }
        let Some(unexpected) = unexpected_in(&self.message) else {
            return;
        };
        let mut probe = value.clone();
        let Some(Value::Object(map)) = locate(&mut probe, &self.at) else {
            return;
        };
        if self.object_is_at_fault::<T>(value) {
            return;
        }
        let holding: Vec<(String, Option<Value>)> = map
            .iter()
            .filter(|(_, v)| unexpected_of(v) == unexpected)
            .map(|(k, v)| (k.clone(), variant_of(v)))
            .collect();
        for (key, variant) in holding {
            let mut place = self.at.clone();
            place.push(Segment::Key(key));
            let at_fault = match variant {
                None => true,
                Some(variant) => {
                    let shown = unexpected_of(&variant);
                    let mut changed = value.clone();
                    if let Some(slot) = locate(&mut changed, &place) {
                        *slot = variant;
                    }
                    matches!(misfit::<T>(&changed),
                        Err(p) if p.member.is_none() && p.at == self.at
                            && unexpected_in(&p.message) == Some(shown.clone()))
                }
            };
            if at_fault {
                self.field = field_name(&place);
                self.at = place;
                return;
            }
        }
    }

    /// Whether the object at `at` is itself the value serde did not
    /// expect: another kind of value there is refused for the same reason,
    /// or accepted.
    fn object_is_at_fault<T: DeserializeOwned>(&self, value: &Value) -> bool {
        let expected = expected_in(&self.message);
        [Value::Bool(false), Value::Array(Vec::new())]
            .into_iter()
            .any(|other| {
                let mut changed = value.clone();
                if let Some(slot) = locate(&mut changed, &self.at) {
                    *slot = other;
                }
                match misfit::<T>(&changed) {
                    Err(p) if p.at == self.at && p.member.is_none() => {
                        expected_in(&p.message) == expected
                    }
                    _ => true,
                }
            })
    }

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

/// The value serde names in "invalid type: integer `5`, expected ...".
fn unexpected_in(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?;
    rest.split_once(", expected").map(|(v, _)| v.to_owned())
}

/// What serde expected, in the same message.
fn expected_in(message: &str) -> Option<&str> {
    message.split_once(", expected ").map(|(_, e)| e)
}

/// How serde names `value` in such a message.
fn unexpected_of(value: &Value) -> String {
    use serde::de::Unexpected;
    let named = match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, Some(f)) => Unexpected::Float(f),
            _ => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    };
    // serde_json names null `null` where serde says unit value.
    match named {
        Unexpected::Unit => "null".to_owned(),
        other => other.to_string(),
    }
}

/// Another value of the same kind, named differently by serde; none for
/// the kinds serde names without their content.
fn variant_of(value: &Value) -> Option<Value> {
    match value {
        Value::Bool(b) => Some(Value::Bool(!b)),
        Value::Number(n) => Some(match n.as_u64() {
            Some(u) => Value::from(u.wrapping_add(1)),
            None => Value::from(n.as_f64().unwrap_or_default() * 2.0 + 1.0),
        }),
        Value::String(s) => Some(Value::String(format!("{s}~"))),
        _ => None,
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
        (e.code.to_string(), d)
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

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Contact {
        phone: Option<String>,
        title: Option<String>,
        company: Option<String>,
        size: Option<u32>,
    }

    /// A body with a flattened part, as a lead's contact fields are.
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Lead {
        email: String,
        #[serde(flatten)]
        contact: Contact,
        deal_amount: Option<serde_json::Number>,
    }

    fn sorted<T: DeserializeOwned + std::fmt::Debug>(bytes: &str) -> Vec<String> {
        let mut names = fields::<T>(bytes);
        names.sort();
        names
    }

    #[test]
    fn names_each_bad_field_of_a_flattened_part() {
        assert_eq!(
            sorted::<Lead>(r#"{"email":5,"phone":123,"dealAmount":"x"}"#),
            ["dealAmount", "email", "phone"]
        );
        // The same wrong value in two fields, and a field that takes it.
        assert_eq!(
            sorted::<Lead>(r#"{"email":"a","phone":123,"size":123,"title":123,"company":true}"#),
            ["company", "phone", "title"]
        );
        assert_eq!(
            sorted::<Lead>(r#"{"email":"a","phone":[1],"title":{"x":1}}"#),
            ["phone", "title"]
        );
        // An object where a text belongs is itself the bad value.
        assert_eq!(sorted::<Lead>(r#"{"email":{"x":{}}}"#), ["email"]);
        let e = parse_json::<Lead>(br#"{"email":"a","phone":123}"#).unwrap_err();
        assert_eq!(
            e.details[0].message,
            "invalid type: integer `123`, expected a string"
        );
    }

    #[test]
    fn an_unknown_field_hides_no_type_error() {
        assert_eq!(
            sorted::<Strict>(r#"{"aaa": 1, "email": 5, "tags": "x", "zzz": 2}"#),
            ["aaa", "email", "tags", "zzz"]
        );
    }

    #[tokio::test]
    async fn another_content_type_is_a_415() {
        let request = Request::builder()
            .header(header::CONTENT_TYPE, "text/plain")
            .body(axum::body::Body::from("{}"))
            .unwrap();
        let Err(e) = ValidJson::<Value>::from_request(request, &()).await else {
            panic!("text/plain accepted");
        };
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (415, "unsupported_media_type")
        );
    }

    #[test]
    fn malformed_json_is_a_400() {
        assert_eq!(field("{nope").0, "invalid_json");
        assert_eq!(field("").0, "invalid_json");
    }
}
