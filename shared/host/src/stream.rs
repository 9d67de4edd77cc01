//! The Lambda side of a table-stream function: DynamoDB Streams delivers
//! batches of records (filtered by the event source mapping to the items
//! the function cares about); each record's key goes to the function's
//! handler, in order. The first failure and everything after it are
//! reported as batch item failures (by sequence number), so Lambda retries
//! from there and nothing is skipped.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_http::AppState;
use pc_http::functions::StreamFn;
use pc_platform::store::Key;

/// A DynamoDB Streams event, with what the runner reads of it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct StreamRecord {
    #[serde(rename = "eventName", default)]
    pub event_name: String,
    #[serde(default)]
    pub dynamodb: StreamChange,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct StreamChange {
    /// The item's key attributes, as DynamoDB attribute values.
    #[serde(rename = "Keys", default)]
    pub keys: serde_json::Map<String, Value>,
    #[serde(rename = "SequenceNumber", default)]
    pub sequence_number: String,
}

impl StreamChange {
    /// The item's `pk`/`sk`, when both are string attributes.
    pub fn key(&self) -> Option<Key> {
        let text = |name: &str| self.keys.get(name)?.get("S")?.as_str().map(str::to_owned);
        Some(Key::new(text("pk")?, text("sk")?))
    }
}

/// `{batchItemFailures: [{itemIdentifier}]}` (the event source mapping has
/// `ReportBatchItemFailures`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct StreamResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<StreamFailure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct StreamFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Hands every inserted record's key to `handler`, in order; answers the
/// first failed record and all after it.
pub async fn handle_stream(
    ctx: &AppState,
    name: &str,
    handler: StreamFn,
    event: StreamEvent,
) -> StreamResponse {
    let mut response = StreamResponse::default();
    let mut failed = false;
    for record in event.records {
        let sequence = record.dynamodb.sequence_number.clone();
        if failed {
            response.batch_item_failures.push(StreamFailure {
                item_identifier: sequence,
            });
            continue;
        }
        if record.event_name != "INSERT" {
            continue;
        }
        let Some(key) = record.dynamodb.key() else {
            tracing::error!(function = name, sequence, "stream record without pk/sk");
            continue;
        };
        if let Err(e) = handler(ctx, &key).await {
            tracing::warn!(function = name, sequence, pk = key.pk, error = %e, "stream record failed");
            failed = true;
            response.batch_item_failures.push(StreamFailure {
                item_identifier: sequence,
            });
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_http::BoxFuture;
    use pc_http::functions::WorkerError;
    use pc_platform::EmbeddedParts;
    use serde_json::json;

    fn fail_on_bad<'a>(_: &'a AppState, key: &'a Key) -> BoxFuture<'a, Result<(), WorkerError>> {
        let bad = key.pk == "BAD";
        Box::pin(async move {
            if bad {
                Err(WorkerError::new("refused"))
            } else {
                Ok(())
            }
        })
    }

    fn record(pk: &str, name: &str, sequence: &str) -> Value {
        json!({"eventName": name, "dynamodb": {
            "Keys": {"pk": {"S": pk}, "sk": {"S": "OUTBOX"}}, "SequenceNumber": sequence}})
    }

    #[tokio::test]
    async fn the_first_failure_and_everything_after_it_are_retried() {
        let ctx = EmbeddedParts::in_memory().context;
        let event: StreamEvent = serde_json::from_value(json!({"Records": [
            record("A", "INSERT", "1"),
            record("B", "REMOVE", "2"),
            record("BAD", "INSERT", "3"),
            record("C", "INSERT", "4"),
        ]}))
        .unwrap();
        let answer = handle_stream(&ctx, "outbox-relay", fail_on_bad, event).await;
        let failed: Vec<_> = answer
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["3", "4"]);
    }
}
