//! A fuzzer over the API's own OpenAPI document: for every operation it
//! makes requests a careless or hostile client could send (NUL and control
//! characters, 10 KB strings, huge numbers, wrong types, malformed or empty
//! bodies, deep nesting, odd path ids and list parameters), each from a
//! plausible body built from the operation's schema with one part spoiled,
//! so the bad value gets past the body's shape to the code behind it.
//!
//! Deterministic: the cases come from the document and a seeded generator.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// How a case's body is sent.
#[derive(Clone, Debug)]
pub enum Body {
    None,
    Json(Value),
    /// Bytes as they are, with this content type.
    Raw(&'static str, Vec<u8>),
}

/// One request to send.
#[derive(Clone, Debug)]
pub struct Case {
    pub method: String,
    pub path: String,
    pub body: Body,
    /// What was spoiled, for the failure report.
    pub what: String,
}

/// Ids of real records, so spoiled bodies reach past the 404 of an unknown id.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub partner_id: String,
    pub user_id: String,
    pub lead_id: String,
}

/// Hostile strings: control characters, sizes, encodings, injections.
fn hostile_strings() -> Vec<String> {
    vec![
        "a\u{0}b".into(),
        "\u{1}\u{1f}\u{7f}".into(),
        "x".repeat(10 * 1024),
        String::new(),
        "   ".into(),
        "\u{202e}\u{feff}💥".into(),
        "' OR 1=1 --".into(),
        "../../etc/passwd".into(),
        "#pk\u{0}#sk".into(),
        "2030-13-45T99:99:99Z".into(),
    ]
}

/// Hostile values of every JSON type.
fn hostile_values() -> Vec<Value> {
    let mut values: Vec<Value> = hostile_strings().into_iter().map(Value::String).collect();
    let deep = (0..200).fold(json!([]), |inner, _| json!([inner]));
    values.extend([
        json!(1e308),
        json!(-1),
        json!(u64::MAX),
        serde_json::from_str("123456789012345678901234567890").unwrap_or(json!(0)),
        json!(0.5),
        json!(true),
        json!(null),
        json!([]),
        json!({}),
        json!([[["a\u{0}"]]]),
        json!({"a\u{0}": {"b": [1, "x"]}}),
        deep,
        Value::Array(vec![json!("a\u{0}b"); 60]),
    ]);
    values
}

/// Path parameter values that name no record, or are not ids at all.
fn hostile_ids() -> Vec<String> {
    vec![
        "a%00b".into(),
        "%FF%FE".into(),
        "x".repeat(65),
        "x".repeat(3000),
        "..".into(),
        "a%20b".into(),
        "%F0%9F%92%A5".into(),
        "-1".into(),
        "01ZZZZZZZZZZZZZZZZZZZZZZZZ".into(),
        "%23pk%23".into(),
    ]
}

/// List parameters that do not parse or name nothing.
fn hostile_queries() -> Vec<String> {
    let deep = "[".repeat(500);
    vec![
        "filter=[".into(),
        "filter=%7B%7D".into(),
        format!("filter={deep}"),
        "filter=%5B%7B%22column%22%3A%22status%22%2C%22operator%22%3A%22in%22%2C%22value%22%3A%5B%5B%5B1%5D%5D%5D%7D%5D".into(),
        "filter=%5B%7B%22column%22%3A%22createdAt%22%2C%22operator%22%3A%22gt%22%2C%22value%22%3A1e400%7D%5D".into(),
        "sort=x:y".into(),
        "sort=".into(),
        "sort=createdAt:asc:desc".into(),
        "page=-1".into(),
        "page=99999999999999999999999".into(),
        "perPage=abc".into(),
        "perPage=0".into(),
        format!("search={}", "x".repeat(10 * 1024)),
        "search=a%00b".into(),
        "cursor=%00%FF".into(),
        "nope=1&nope=2".into(),
        "%FF=%FE".into(),
    ]
}

/// Bodies that are not the JSON an operation takes.
fn hostile_bodies() -> Vec<(Body, &'static str)> {
    let deep = "[".repeat(100_000);
    vec![
        (Body::Raw("application/json", Vec::new()), "empty body"),
        (Body::Raw("application/json", b"{".to_vec()), "malformed JSON"),
        (Body::Raw("application/json", b"null".to_vec()), "null"),
        (Body::Raw("application/json", b"[]".to_vec()), "array body"),
        (Body::Raw("application/json", b"\"x\"".to_vec()), "string body"),
        (Body::Raw("application/json", b"1e400".to_vec()), "huge number"),
        (Body::Raw("application/json", deep.into_bytes()), "deep nesting"),
        (Body::Raw("application/json", vec![0xff, 0xfe, 0]), "not UTF-8"),
        (Body::Raw("text/plain", b"{}".to_vec()), "text/plain"),
        (
            Body::Raw("multipart/form-data", b"--x\r\n\r\n".to_vec()),
            "multipart without boundary",
        ),
        (
            Body::Raw(
                "multipart/form-data; boundary=x",
                b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\0.csv\"\r\n\r\nemail\r\na\0@b.c\r\n--x--\r\n".to_vec(),
            ),
            "multipart with NUL",
        ),
        (
            Body::Raw("application/json", vec![b' '; 300 * 1024]),
            "body over the limit",
        ),
    ]
}

/// Every case for every operation of `doc`, in a fixed order for `seed`.
/// Operations under `/auth/` come last: signing out or refreshing must not
/// cut the rest of the run short.
pub fn cases(doc: &Value, targets: &Targets, seed: u64) -> Vec<Case> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                operations.push((path.clone(), method.to_uppercase(), operation.clone()));
            }
        }
    }
    operations.sort_by_key(|(path, method, _)| {
        (path.starts_with("/auth/"), path.clone(), method.clone())
    });
    let mut all = Vec::new();
    for (path, method, operation) in operations {
        all.extend(operation_cases(
            doc, &path, &method, &operation, targets, &mut rng,
        ));
    }
    all
}

fn operation_cases(
    doc: &Value,
    template: &str,
    method: &str,
    operation: &Value,
    targets: &Targets,
    rng: &mut StdRng,
) -> Vec<Case> {
    let path = fill_path(template, |_| real_id(template, targets));
    let schema = operation["requestBody"]["content"]["application/json"]["schema"].clone();
    let takes_json = !schema.is_null();
    let takes_body = !operation["requestBody"].is_null();
    let base = if takes_json {
        example(doc, &schema, 0)
    } else {
        Value::Null
    };
    let base_body = || {
        if takes_json {
            Body::Json(base.clone())
        } else {
            Body::None
        }
    };
    let case = |path: String, body: Body, what: String| Case {
        method: method.to_owned(),
        path,
        body,
        what,
    };
    let mut cases = vec![case(path.clone(), base_body(), "plausible body".into())];
    if template.contains('{') {
        for id in hostile_ids() {
            cases.push(case(
                fill_path(template, |_| id.clone()),
                base_body(),
                format!("path id {id:.40}"),
            ));
        }
    }
    let queries = hostile_queries();
    for query in queries.choose_multiple(rng, if method == "GET" { queries.len() } else { 3 }) {
        cases.push(case(
            format!("{path}?{query}"),
            base_body(),
            format!("query {query:.60}"),
        ));
    }
    if takes_body || method != "GET" {
        for (body, what) in hostile_bodies() {
            cases.push(case(path.clone(), body, what.into()));
        }
    }
    if takes_json {
        let values = hostile_values();
        // NUL and size always; three of the rest by the seed.
        let (always, rest) = values.split_at(3);
        for (place, _) in places(&base, Vec::new()) {
            let picked = always.iter().chain(rest.choose_multiple(rng, 3));
            for value in picked {
                let mut body = base.clone();
                if let Some(slot) = locate(&mut body, &place) {
                    *slot = value.clone();
                }
                cases.push(case(
                    path.clone(),
                    Body::Json(body),
                    format!("{} = {:.60}", place.join("."), value.to_string()),
                ));
            }
        }
        // Every field at once, so a handler must name each.
        let mut body = base.clone();
        for (place, _) in places(&base, Vec::new()) {
            if let Some(slot) = locate(&mut body, &place) {
                *slot = values[rng.gen_range(0..values.len())].clone();
            }
        }
        cases.push(case(
            path.clone(),
            Body::Json(body),
            "every field spoiled".into(),
        ));
    }
    cases
}

/// The id of a real record for the path's collection, or a well-formed unknown one.
fn real_id(template: &str, targets: &Targets) -> String {
    let id = if template.starts_with("/v1/partners/") {
        &targets.partner_id
    } else if template.starts_with("/v1/users/") {
        &targets.user_id
    } else if template.starts_with("/v1/leads/") && !template.contains("import") {
        &targets.lead_id
    } else {
        "01ZZZZZZZZZZZZZZZZZZZZZZZZ"
    };
    id.to_owned()
}

fn fill_path(template: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        out.push_str(&rest[..start]);
        out.push_str(&value(&rest[start + 1..end]));
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// A plausible value for `schema`: every property present, strings short
/// and plain, the first of each enum and of each alternative.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return example(doc, &doc["components"]["schemas"][name], depth + 1);
    }
    for alternatives in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[alternatives]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["type"] != "null"))
        {
            return example(doc, first, depth + 1);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind
        .as_str()
        .unwrap_or(if schema["properties"].is_object() {
            "object"
        } else {
            ""
        }) {
        "object" => {
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), example(doc, property, depth + 1));
            }
            Value::Object(object)
        }
        "array" => json!([example(doc, &schema["items"], depth + 1)]),
        "string" => match schema["format"].as_str() {
            Some("date-time") => json!("2030-01-15T17:00:00Z"),
            Some("email") => json!("fuzz@example.com"),
            _ => json!("fuzz"),
        },
        "integer" | "number" => json!(1),
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

/// Every place in `value` (object members and array items, nested), with its value.
fn places(value: &Value, at: Vec<String>) -> Vec<(Vec<String>, Value)> {
    let mut found = Vec::new();
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (name, child) in children {
        let mut place = at.clone();
        place.push(name);
        found.push((place.clone(), child.clone()));
        found.extend(places(child, place));
    }
    found
}

fn locate<'v>(value: &'v mut Value, place: &[String]) -> Option<&'v mut Value> {
    place.iter().try_fold(value, |v, step| match v {
        Value::Object(map) => map.get_mut(step),
        Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}
