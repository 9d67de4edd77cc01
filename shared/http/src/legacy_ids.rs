//! `_id` beside every `id`, for the original single-page app: it was
//! written against MongoDB documents and keys rows and builds links from
//! `_id` (`:key="user._id"`, `` `/leads/${apt.lead._id}` ``). Rather than
//! each view adding it, one response layer does, and one transform of the
//! OpenAPI document shows it, so no view can forget it.
//!
//! The rule, on the wire and in the document alike: every JSON object of a
//! successful JSON answer that has a string member `id` is a record or a
//! reference to one (a lead, `lead: {id, email, company}`, `partner: {id,
//! name}`, a note, a token...), and gets `_id` with the same value, at any
//! depth. Objects whose `id` is not a string, or that already carry `_id`,
//! are left as they are; error answers carry no records and are left
//! alone. Request bodies are never changed.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::ApiError;
use crate::error_bodies::is_json;

/// The member the original app reads.
pub const LEGACY_ID: &str = "_id";

/// Adds `_id` beside the string `id` of every object in `value`; answers
/// whether it added any.
pub fn add_legacy_ids(value: &mut Value) -> bool {
    // Every member is visited (no short cut once one is added).
    let mut added = false;
    match value {
        Value::Object(map) => {
            for member in map.values_mut() {
                added |= add_legacy_ids(member);
            }
            if let Some(Value::String(id)) = map.get("id")
                && !map.contains_key(LEGACY_ID)
            {
                let id = id.clone();
                map.insert(LEGACY_ID.to_owned(), Value::String(id));
                added = true;
            }
        }
        Value::Array(items) => {
            for item in items {
                added |= add_legacy_ids(item);
            }
        }
        _ => {}
    }
    added
}

/// Middleware: gives every record in a successful JSON answer its `_id`.
pub async fn legacy_ids(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.status().is_success() || !is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // A handler's JSON answer is already whole in memory.
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::internal(format!("reading an answer: {e}")).into_response(),
    };
    // Most answers without an `id` are skipped without parsing them, and
    // one without a record to change (the OpenAPI document) is sent as it is.
    let mentions_id = bytes.windows(4).any(|w| w == b"\"id\"");
    let rewritten = mentions_id
        .then(|| serde_json::from_slice::<Value>(&bytes).ok())
        .flatten()
        .and_then(|mut value| {
            add_legacy_ids(&mut value)
                .then(|| serde_json::to_vec(&value).ok())
                .flatten()
        });
    let Some(rewritten) = rewritten else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(rewritten))
}

/// Shows `_id` in the document wherever an answer's schema has `id`: every
/// component schema (they describe answers; no request body has an `id`)
/// and every schema written inline in a response.
pub fn document_legacy_ids(document: &mut OpenApi) {
    if let Some(components) = document.components.as_mut() {
        components.schemas.values_mut().for_each(add_id_property);
    }
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for content in response.content.values_mut() {
                    if let Some(schema) = content.schema.as_mut() {
                        add_id_property(schema);
                    }
                }
            }
        }
    }
}

fn add_id_property(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            if let Some(id) = object.properties.get("id").cloned()
                && !object.properties.contains_key(LEGACY_ID)
            {
                let mut legacy = id;
                if let RefOr::T(Schema::Object(property)) = &mut legacy {
                    property.description =
                        Some("Equal to `id` (the original app reads MongoDB's `_id`).".to_owned());
                }
                object.properties.insert(LEGACY_ID.to_owned(), legacy);
                if object.required.iter().any(|r| r == "id") {
                    object.required.push(LEGACY_ID.to_owned());
                }
            }
            object.properties.values_mut().for_each(add_id_property);
            if let Some(additional) = object.additional_properties.as_deref_mut()
                && let AdditionalProperties::RefOr(inner) = additional
            {
                add_id_property(inner);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                add_id_property(items);
            }
        }
        Schema::AllOf(all) => all.items.iter_mut().for_each(add_id_property),
        Schema::OneOf(one) => one.items.iter_mut().for_each(add_id_property),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(add_id_property),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_record_at_any_depth_gets_its_id() {
        let mut body = json!({
            "list": [
                {"id": "M1", "lead": {"id": "L1", "email": "a@b.co"}, "guests": [{"email": "x"}]},
                {"id": "M2", "lead": null}
            ],
            "meta": {"total": 2}
        });
        assert!(add_legacy_ids(&mut body));
        assert_eq!(body["list"][0]["_id"], "M1");
        assert_eq!(body["list"][0]["lead"]["_id"], "L1");
        assert_eq!(body["list"][1]["_id"], "M2");
        assert!(body["list"][0]["guests"][0].get("_id").is_none());
        assert!(body["meta"].get("_id").is_none());
    }

    #[test]
    fn only_string_ids_and_never_over_an_existing_one() {
        let mut body = json!({"a": {"id": 7}, "b": {"id": "new", "_id": "kept"}, "c": ["id"]});
        assert!(!add_legacy_ids(&mut body));
        assert!(body["a"].get("_id").is_none());
        assert_eq!(body["b"]["_id"], "kept");
        assert_eq!(body["c"], json!(["id"]));
    }
}
