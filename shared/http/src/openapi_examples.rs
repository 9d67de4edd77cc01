//! An example for every schema of the OpenAPI document that its
//! annotation does not give one: built from the schema itself (its types,
//! formats, enums, bounds and `$ref`s) and the names of its members, so a
//! reader and a generated client's tests see a plausible value of every
//! type without a hundred and fifty hand-kept literals going stale. An
//! annotation's own `example` always wins, and is reused wherever its
//! schema is referenced.

use serde_json::{Map, Value, json};

/// How many `$ref`s deep an example is followed before `null` ends it (the
/// schemas are not recursive today; this only bounds a future one).
const MAX_DEPTH: usize = 16;

/// Gives every schema of `components` without an `example` or `examples`
/// one, as `examples: [value]` (OpenAPI 3.1's JSON Schema keyword).
pub fn add_examples(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        if has_example(&schemas[&name]) {
            continue;
        }
        let example = example_of(schemas, &schemas[&name], &name, 0);
        if let Some(schema) = schemas.get_mut(&name).and_then(Value::as_object_mut) {
            schema.insert("examples".to_owned(), Value::Array(vec![example]));
        }
    }
}

/// True when `schema` carries its own example.
pub fn has_example(schema: &Value) -> bool {
    schema.get("example").is_some()
        || schema
            .get("examples")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty())
}

fn own_example(schema: &Value) -> Option<Value> {
    schema.get("example").cloned().or_else(|| {
        schema
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.first().cloned())
    })
}

/// A value of `schema`; `hint` is the member or schema name it is for.
fn example_of(schemas: &Map<String, Value>, schema: &Value, hint: &str, depth: usize) -> Value {
    if let Some(example) = own_example(schema) {
        return example;
    }
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return match schemas.get(name) {
            Some(target) => example_of(schemas, target, hint, depth + 1),
            None => Value::Null,
        };
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.iter().find(|v| !v.is_null()).or(values.first()))
    {
        return first.clone();
    }
    for alternatives in ["oneOf", "anyOf"] {
        if let Some(variants) = schema.get(alternatives).and_then(Value::as_array) {
            let variant = variants
                .iter()
                .find(|v| v.get("type") != Some(&json!("null")))
                .or(variants.first());
            if let Some(variant) = variant {
                return example_of(schemas, variant, hint, depth);
            }
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(members) = example_of(schemas, part, hint, depth) {
                merged.extend(members);
            }
        }
        if let Some(Value::Object(own)) = object_example(schemas, schema, depth) {
            merged.extend(own);
        }
        return Value::Object(merged);
    }
    match main_type(schema) {
        Some("object") => object_example(schemas, schema, depth).unwrap_or_default(),
        Some("array") => {
            let item = schema
                .get("items")
                .map(|items| example_of(schemas, items, singular(hint), depth))
                .unwrap_or_else(|| json!("item"));
            Value::Array(vec![item])
        }
        Some("string") => json!(string_example(schema, hint)),
        Some("integer") => integer_example(schema, hint),
        Some("number") => number_example(schema),
        Some("boolean") => json!(true),
        Some("null") => Value::Null,
        _ if schema.get("properties").is_some() => {
            object_example(schemas, schema, depth).unwrap_or_default()
        }
        // Any JSON value.
        _ => json!({"key": "value"}),
    }
}

/// The type of `schema` other than `null` (3.1 writes a nullable string as
/// `["string", "null"]`).
fn main_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .or(Some("null")),
        _ => None,
    }
}

fn object_example(schemas: &Map<String, Value>, schema: &Value, depth: usize) -> Option<Value> {
    let mut object = Map::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            object.insert(name.clone(), example_of(schemas, property, name, depth));
        }
    }
    match schema.get("additionalProperties") {
        Some(values @ Value::Object(_)) if object.is_empty() => {
            object.insert("name".to_owned(), example_of(schemas, values, "", depth));
        }
        Some(Value::Bool(true)) if object.is_empty() => {
            object.insert("key".to_owned(), json!("value"));
        }
        _ => {}
    }
    Some(Value::Object(object))
}

fn singular(hint: &str) -> &str {
    hint.strip_suffix('s').unwrap_or(hint)
}

fn string_example(schema: &Value, hint: &str) -> String {
    let lower = hint.to_ascii_lowercase();
    let by_format = match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => Some("2026-12-07T09:30:00.000Z"),
        Some("date") => Some("2026-12-07"),
        Some("email") => Some("ada@example.com"),
        Some("uri" | "url") => Some("https://example.com/"),
        Some("uuid") => Some("3f6c1a2e-8b4d-4c1e-9a7f-2d5e6b8c9a01"),
        Some("binary") => Some("(the file's bytes)"),
        _ => None,
    };
    let by_name = || -> &str {
        if lower == "id" || lower.ends_with("id") && !lower.ends_with("paid") {
            "01JF0Z8X3Q9M4T7V2K6N5R1B8C"
        } else if lower.contains("email") {
            "ada@example.com"
        } else if lower.ends_with("at")
            || lower.ends_with("time")
            || lower.contains("date")
            || lower.ends_with("until")
        {
            "2026-12-07T09:30:00.000Z"
        } else if lower.contains("url") || lower.contains("website") || lower.contains("uri") {
            "https://example.com/"
        } else if lower.contains("phone") {
            "+1 555 0100"
        } else if lower.contains("country") {
            "US"
        } else if lower.contains("currency") {
            "usd"
        } else if lower.contains("size") {
            "11-50"
        } else if lower.contains("company") || lower.contains("partnername") {
            "Acme Corp"
        } else if lower.contains("firstname") {
            "Ada"
        } else if lower.contains("lastname") {
            "Lovelace"
        } else if lower.contains("name") {
            "Ada Lovelace"
        } else if lower.contains("industry") {
            "Software"
        } else if lower.contains("token") {
            "pcp_4f9c2b7e1d8a6053"
        } else if lower.contains("slug") {
            "acme-corp"
        } else if lower.contains("message") || lower.contains("description") {
            "A short text."
        } else {
            "text"
        }
    };
    let text = by_format.unwrap_or_else(by_name).to_owned();
    fit_length(schema, text)
}

/// `text`, cut or padded to the schema's length bounds.
fn fit_length(schema: &Value, mut text: String) -> String {
    let bound = |key: &str| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
    if let Some(max) = bound("maxLength") {
        text = text.chars().take(max).collect();
    }
    if let Some(min) = bound("minLength") {
        while text.chars().count() < min {
            text.push('x');
        }
    }
    text
}

fn integer_example(schema: &Value, hint: &str) -> Value {
    let lower = hint.to_ascii_lowercase();
    let preferred: i64 = if lower == "page" {
        0
    } else if lower.contains("cents") {
        125_050
    } else {
        1
    };
    let min = schema.get("minimum").and_then(Value::as_i64);
    let max = schema.get("maximum").and_then(Value::as_i64);
    json!(
        preferred
            .max(min.unwrap_or(i64::MIN))
            .min(max.unwrap_or(i64::MAX))
    )
}

fn number_example(schema: &Value) -> Value {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    json!(
        1250.5_f64
            .max(min.unwrap_or(f64::MIN))
            .min(max.unwrap_or(f64::MAX))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_follow_types_formats_refs_and_names() {
        let mut schemas = json!({
            "Status": {"type": "string", "enum": ["open", "won"]},
            "Lead": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "email": {"type": ["string", "null"]},
                "createdAt": {"type": "string", "format": "date-time"},
                "status": {"$ref": "#/components/schemas/Status"},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}},
                "page": {"type": "integer", "minimum": 0},
                "extra": {"type": "object", "additionalProperties": true}
            }},
            "Given": {"type": "object", "example": {"a": 1}},
            "UsesGiven": {"type": "array", "items": {"$ref": "#/components/schemas/Given"}}
        });
        let schemas = schemas.as_object_mut().unwrap();
        add_examples(schemas);
        assert_eq!(
            schemas["Lead"]["examples"][0],
            json!({
                "id": "01JF0Z8X3Q9M4T7V2K6N5R1B8C",
                "email": "ada@example.com",
                "createdAt": "2026-12-07T09:30:00.000Z",
                "status": "open",
                "tags": ["tex"],
                "page": 0,
                "extra": {"key": "value"}
            })
        );
        assert!(schemas["Given"].get("examples").is_none(), "its own stays");
        assert_eq!(schemas["UsesGiven"]["examples"][0], json!([{"a": 1}]));
        assert!(schemas.values().all(has_example));
    }
}
