//! The rest of the AWS account a deployed function calls in the cold-start
//! comparison, on the same local endpoint as its secrets
//! ([`crate::secrets_api`]): DynamoDB answering reads from the benchmark's
//! seeded store (so a signed-in partner's session, user and partner are
//! found and a first request runs its whole path), every write accepted and
//! every query empty; SQS accepting every message; SES sending every email.

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use pc_platform::store::{Item, Key, Store};

/// SES (query protocol): the email is sent.
pub fn ses_sent(body: &[u8]) -> Option<Response> {
    let action = ["SendEmail", "SendRawEmail"]
        .into_iter()
        .find(|a| body.starts_with(format!("Action={a}&").as_bytes()))?;
    Some(
        (
            [(CONTENT_TYPE, "text/xml")],
            format!(
                "<{action}Response xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\
                 <{action}Result><MessageId>bench</MessageId></{action}Result>\
                 <ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></{action}Response>"
            ),
        )
            .into_response(),
    )
}

/// The answer to an AWS JSON call other than Secrets Manager's, `None`
/// for a call this account does not serve.
pub async fn answer(
    target: &str,
    request: &Value,
    seeded: Option<&Arc<dyn Store>>,
) -> Option<Value> {
    let (service, operation) = target.split_once('.')?;
    Some(match (service, operation) {
        ("DynamoDB_20120810", "GetItem") => match found(seeded, &[&request["Key"]]).await.pop() {
            Some(item) => json!({"Item": item}),
            None => json!({}),
        },
        ("DynamoDB_20120810", "BatchGetItem") => {
            let mut responses = Map::new();
            for (table, asked) in request["RequestItems"].as_object()? {
                let keys: Vec<&Value> = asked["Keys"].as_array()?.iter().collect();
                responses.insert(table.clone(), Value::Array(found(seeded, &keys).await));
            }
            json!({"Responses": responses, "UnprocessedKeys": {}})
        }
        ("DynamoDB_20120810", "Query" | "Scan") => {
            json!({"Items": [], "Count": 0, "ScannedCount": 0})
        }
        ("DynamoDB_20120810", "TransactGetItems") => json!({"Responses": []}),
        // `ReturnValues: ALL_NEW`: the item is at least its key.
        ("DynamoDB_20120810", "UpdateItem") => json!({"Attributes": request["Key"]}),
        ("DynamoDB_20120810", _) => json!({}),
        ("AmazonSQS", "SendMessage") => json!({"MessageId": "bench"}),
        ("AmazonSQS", "SendMessageBatch") => json!({"Successful": [], "Failed": []}),
        _ => return None,
    })
}

/// The seeded items of `keys` (DynamoDB JSON keys), as DynamoDB JSON.
async fn found(seeded: Option<&Arc<dyn Store>>, keys: &[&Value]) -> Vec<Value> {
    let Some(store) = seeded else {
        return Vec::new();
    };
    let text = |key: &Value, attr: &str| key[attr]["S"].as_str().map(str::to_owned);
    let keys: Vec<Key> = keys
        .iter()
        .filter_map(|k| Some(Key::new(text(k, "pk")?, text(k, "sk")?)))
        .collect();
    store
        .batch_get(&keys)
        .await
        .unwrap_or_default()
        .iter()
        .map(dynamo_item)
        .collect()
}

fn dynamo_item(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), dynamo_value(v)))
            .collect(),
    )
}

/// A JSON value as a DynamoDB attribute value, as the store's adapter
/// writes it (numbers as `N`, objects as `M`, arrays as `L`).
fn dynamo_value(value: &Value) -> Value {
    match value {
        Value::Null => json!({"NULL": true}),
        Value::Bool(b) => json!({"BOOL": b}),
        Value::Number(n) => json!({"N": n.to_string()}),
        Value::String(s) => json!({"S": s}),
        Value::Array(items) => json!({"L": items.iter().map(dynamo_value).collect::<Vec<_>>()}),
        Value::Object(map) => {
            json!({"M": map.iter().map(|(k, v)| (k.clone(), dynamo_value(v))).collect::<Map<_, _>>()})
        }
    }
}
