//! The store port on DynamoDB: one table (see [`super::table`]), items
//! converted with serde_dynamo, conditions and updates translated by
//! [`super::expression`], errors mapped to the port's [`StoreError`]s.
//!
//! Reads of the table (get, batch get, table queries) are strongly
//! consistent, as the embedded adapter is; index queries cannot be (DynamoDB
//! indexes are eventually consistent). Requests are validated as the
//! embedded adapter validates them, before anything is sent, so invalid
//! requests get the same errors from both adapters.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem,
    Update as UpdateAction,
};
use pc_platform::store::{
    Condition, Cursor, Index, Item, Key, MAX_BATCH_GET, Page, Query, Store, StoreError, Update,
    Write, validate_key, validate_transaction,
};
use serde_json::Value;

use super::expression::{Expressions, effective_sort_key};
use crate::sdk_error::{Failure, THROTTLING_CODES, failure};

/// A DynamoDB attribute map.
type Attributes = HashMap<String, AttributeValue>;

/// How many times unprocessed batch-get keys are asked for again before the
/// batch is answered as throttled.
const BATCH_RETRIES: u32 = 8;

/// The store on one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Maps a failed call that is not a transaction to a store error.
fn store_error(failure: &Failure) -> StoreError {
    if failure.code_is(&["ConditionalCheckFailedException"]) {
        StoreError::ConditionFailed
    } else if failure.code_is(THROTTLING_CODES) {
        StoreError::Throttled
    } else if failure.code_is(&[
        "TransactionConflictException",
        "TransactionInProgressException",
    ]) {
        StoreError::TransactionConflict
    } else if failure.code_is(&["ValidationException"]) {
        StoreError::Invalid(failure.message.clone())
    } else {
        StoreError::Backend(failure.to_string())
    }
}

fn sdk_store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let failure = failure(&err);
    let error = store_error(&failure);
    if matches!(error, StoreError::Backend(_)) {
        tracing::warn!(error = %failure, "DynamoDB call failed");
    }
    error
}

/// Maps the cancellation reasons of a cancelled transaction (one per write,
/// in order) to a store error: failed conditions first, then conflicts.
pub fn cancellation_error<'a>(
    codes: impl IntoIterator<Item = &'a str>,
    message: &str,
) -> StoreError {
    let codes: Vec<&str> = codes.into_iter().collect();
    let failed: Vec<usize> = codes
        .iter()
        .enumerate()
        .filter(|(_, code)| **code == "ConditionalCheckFailed")
        .map(|(position, _)| position)
        .collect();
    if !failed.is_empty() {
        return StoreError::TransactionCancelled { failed };
    }
    let any = |wanted: &[&str]| codes.iter().any(|c| wanted.contains(c));
    if any(&["TransactionConflict"]) {
        StoreError::TransactionConflict
    } else if any(&[
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    ]) {
        StoreError::Throttled
    } else if any(&["ValidationError"]) {
        StoreError::Invalid(message.to_owned())
    } else {
        StoreError::Backend(format!("transaction cancelled: {message}"))
    }
}

/// The reason codes DynamoDB lists in a cancellation message
/// (`... reasons [None, ConditionalCheckFailed]`), for when the response
/// carries no structured reasons.
fn codes_in_message(message: &str) -> Vec<&str> {
    let Some(start) = message.rfind('[') else {
        return Vec::new();
    };
    let end = message[start..]
        .find(']')
        .map_or(message.len(), |e| start + e);
    message[start + 1..end].split(',').map(str::trim).collect()
}

fn transaction_error<R: std::fmt::Debug>(err: SdkError<TransactWriteItemsError, R>) -> StoreError {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    {
        let message = cancelled.message().unwrap_or_default();
        let reasons = cancelled.cancellation_reasons();
        return if reasons.is_empty() {
            cancellation_error(codes_in_message(message), message)
        } else {
            cancellation_error(reasons.iter().map(|r| r.code().unwrap_or("None")), message)
        };
    }
    sdk_store_error(err)
}

/// An item as a DynamoDB attribute map.
pub fn to_attributes(item: &Item) -> Result<Attributes, StoreError> {
    serde_dynamo::to_item(item)
        .map_err(|e| StoreError::Invalid(format!("item not storable in DynamoDB: {e}")))
}

/// A DynamoDB attribute map as an item.
pub fn from_attributes(attributes: Attributes) -> Result<Item, StoreError> {
    serde_dynamo::from_item(attributes)
        .map_err(|e| StoreError::Backend(format!("unreadable DynamoDB item: {e}")))
}

fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
        ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// The key of an item to put, checked as the embedded adapter checks it.
fn put_key(item: &Item) -> Result<Key, StoreError> {
    let key = Key::of(item)
        .ok_or_else(|| StoreError::Invalid("an item needs string pk and sk".into()))?;
    validate_key(&key)?;
    Ok(key)
}

fn condition_expression(
    expressions: &mut Expressions,
    condition: Option<&Condition>,
) -> Result<Option<String>, StoreError> {
    condition.map(|c| expressions.condition(c)).transpose()
}

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("request not buildable: {e}"))
}

impl DynamoStore {
    /// One write of a transaction as a `TransactWriteItem`.
    fn transact_item(&self, write: &Write) -> Result<TransactWriteItem, StoreError> {
        let mut expressions = Expressions::new();
        let item = match write {
            Write::Put { item, condition } => {
                put_key(item)?;
                let condition = condition_expression(&mut expressions, condition.as_ref())?;
                let (names, values) = expressions.into_parts();
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_attributes(item)?))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().put(put).build()
            }
            Write::Update(update) => {
                let expression = expressions.update(update)?;
                let condition = condition_expression(&mut expressions, update.condition.as_ref())?;
                let (names, values) = expressions.into_parts();
                let action = UpdateAction::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(&update.key)))
                    .update_expression(expression)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().update(action).build()
            }
            Write::Delete { key, condition } => {
                let condition = condition_expression(&mut expressions, condition.as_ref())?;
                let (names, values) = expressions.into_parts();
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().delete(delete).build()
            }
            Write::Check { key, condition } => {
                let condition = expressions.condition(condition)?;
                let (names, values) = expressions.into_parts();
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        Ok(item)
    }

    /// The `ExclusiveStartKey` a cursor stands for, checked as the embedded
    /// adapter checks it (key attributes present, same partition).
    fn start_key(query: &Query, cursor: &Cursor) -> Result<Attributes, StoreError> {
        let last = cursor.decode()?;
        let (ipk, isk) = query.index.key_attributes();
        let mut start = HashMap::new();
        for attribute in ["pk", "sk", ipk, isk] {
            let value = last
                .get(attribute)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or(StoreError::InvalidCursor)?;
            start.insert(attribute.to_owned(), AttributeValue::S(value.to_owned()));
        }
        if last.get(ipk).and_then(Value::as_str) != Some(query.pk.as_str()) {
            return Err(StoreError::InvalidCursor);
        }
        // The cursor must resume inside the key condition (DynamoDB refuses
        // such a start key; some compatible servers do not).
        let resumes_inside = last
            .get(isk)
            .and_then(Value::as_str)
            .is_some_and(|sk| query.sk.matches(sk));
        if !resumes_inside {
            return Err(StoreError::InvalidCursor);
        }
        Ok(start)
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_store_error)?;
        output.item.map(from_attributes).transpose()
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.len() > MAX_BATCH_GET {
            return Err(StoreError::Invalid(format!(
                "a batch get holds at most {MAX_BATCH_GET} keys"
            )));
        }
        for key in keys {
            validate_key(key)?;
        }
        // DynamoDB refuses a key asked twice; ask once, answer as often as asked.
        let mut pending: Vec<Attributes> = Vec::new();
        let mut asked = std::collections::HashSet::new();
        for key in keys {
            if asked.insert(key) {
                pending.push(key_attributes(key));
            }
        }
        let mut found: HashMap<Key, Item> = HashMap::new();
        let mut retries = 0;
        while !pending.is_empty() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(sdk_store_error)?;
            let responses = output.responses.unwrap_or_default();
            for attributes in responses.into_values().flatten() {
                let item = from_attributes(attributes)?;
                if let Some(key) = Key::of(&item) {
                    found.insert(key, item);
                }
            }
            pending = output
                .unprocessed_keys
                .unwrap_or_default()
                .remove(&self.table)
                .map(|k| k.keys)
                .unwrap_or_default();
            if !pending.is_empty() {
                if retries == BATCH_RETRIES {
                    return Err(StoreError::Throttled);
                }
                tokio::time::sleep(Duration::from_millis(25 << retries)).await;
                retries += 1;
            }
        }
        Ok(keys.iter().filter_map(|k| found.get(k).cloned()).collect())
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        put_key(&item)?;
        let mut expressions = Expressions::new();
        let condition = condition_expression(&mut expressions, condition.as_ref())?;
        let (names, values) = expressions.into_parts();
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attributes(&item)?))
            .set_condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .send()
            .await
            .map_err(sdk_store_error)?;
        Ok(())
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        validate_key(&update.key)?;
        let mut expressions = Expressions::new();
        let expression = expressions.update(&update)?;
        let condition = condition_expression(&mut expressions, update.condition.as_ref())?;
        let (names, values) = expressions.into_parts();
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(&update.key)))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(sdk_store_error)?;
        let mut item = output
            .attributes
            .map(from_attributes)
            .transpose()?
            .ok_or_else(|| StoreError::Backend("an update left no item".into()))?;
        item.remove(super::expression::NOOP_ATTRIBUTE);
        Ok(item)
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        validate_key(key)?;
        let mut expressions = Expressions::new();
        let condition = condition_expression(&mut expressions, condition.as_ref())?;
        let (names, values) = expressions.into_parts();
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .send()
            .await
            .map_err(sdk_store_error)?;
        Ok(())
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        validate_transaction(&writes)?;
        let items = writes
            .iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(transaction_error)?;
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        if query.pk.is_empty() || query.pk.contains('\0') {
            return Err(StoreError::Invalid(
                "a query needs a partition key without NUL".into(),
            ));
        }
        let mut start = query
            .cursor
            .as_ref()
            .map(|c| Self::start_key(query, c))
            .transpose()?;
        let Some(sk) = effective_sort_key(&query.sk) else {
            return Ok(Page::default());
        };
        if query.limit == Some(0) {
            return Ok(Page::default());
        }
        let mut expressions = Expressions::new();
        let key_condition = expressions.key_condition(query.index, &query.pk, &sk);
        let (names, values) = expressions.into_parts();
        let mut items: Vec<Item> = Vec::new();
        loop {
            let remaining = query.limit.map(|l| l.saturating_sub(items.len()));
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.name().map(str::to_owned))
                .key_condition_expression(&key_condition)
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(values.clone())
                .scan_index_forward(query.ascending)
                .set_limit(remaining.map(|r| i32::try_from(r).unwrap_or(i32::MAX)))
                .set_exclusive_start_key(start.take())
                .consistent_read(query.index == Index::Table)
                .send()
                .await
                .map_err(|e| {
                    let failure = failure(&e);
                    // A cursor from another query (or forged) points outside it.
                    if query.cursor.is_some()
                        && failure.code_is(&["ValidationException"])
                        && failure.message.to_lowercase().contains("start")
                    {
                        StoreError::InvalidCursor
                    } else {
                        store_error(&failure)
                    }
                })?;
            for attributes in output.items.unwrap_or_default() {
                items.push(from_attributes(attributes)?);
            }
            let last_key = output.last_evaluated_key;
            if query.limit.is_some_and(|l| items.len() >= l) {
                let cursor = match last_key {
                    Some(last) => Cursor::from_item(&from_attributes(last)?, query.index),
                    None => match items.last() {
                        Some(last) => Cursor::from_item(last, query.index),
                        None => return Ok(Page::default()),
                    },
                };
                return Ok(Page {
                    items,
                    cursor: Some(cursor),
                });
            }
            match last_key {
                // A page cut by DynamoDB's 1 MB limit: read on.
                Some(last) => start = Some(last),
                None => {
                    return Ok(Page {
                        items,
                        cursor: None,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cancellation_reasons_map_to_store_errors() {
        let err = cancellation_error(["None", "ConditionalCheckFailed", "None"], "m");
        assert_eq!(err, StoreError::TransactionCancelled { failed: vec![1] });
        let err = cancellation_error(["TransactionConflict", "None"], "m");
        assert_eq!(err, StoreError::TransactionConflict);
        let err = cancellation_error(["ConditionalCheckFailed", "TransactionConflict"], "m");
        assert_eq!(err, StoreError::TransactionCancelled { failed: vec![0] });
        let err = cancellation_error(["ThrottlingError"], "m");
        assert_eq!(err, StoreError::Throttled);
        assert!(matches!(
            cancellation_error(["ValidationError"], "m"),
            StoreError::Invalid(_)
        ));
        assert!(matches!(
            cancellation_error(["Other"], "m"),
            StoreError::Backend(_)
        ));
    }

    #[test]
    fn reason_codes_are_read_from_the_message_when_missing() {
        let message = "Transaction cancelled, please refer cancellation reasons for specific \
                       reasons [None, ConditionalCheckFailed, None]";
        assert_eq!(
            codes_in_message(message),
            ["None", "ConditionalCheckFailed", "None"]
        );
        assert!(codes_in_message("no list").is_empty());
        assert_eq!(codes_in_message("broken [A, B"), ["A", "B"]);
    }

    #[test]
    fn items_round_trip_through_attribute_maps() {
        let item = json!({"pk": "P", "sk": "S", "n": 3, "f": 2.5, "s": "héllo", "b": true,
            "l": [1, "x"], "m": {"k": "v"}, "z": null});
        let item = item.as_object().unwrap().clone();
        let attributes = to_attributes(&item).unwrap();
        assert_eq!(attributes["n"], AttributeValue::N("3".into()));
        assert_eq!(attributes["z"], AttributeValue::Null(true));
        assert_eq!(from_attributes(attributes).unwrap(), item);
    }

    #[test]
    fn cursors_must_hold_the_index_keys_of_the_same_partition() {
        let item = json!({"pk": "P", "sk": "S", "gsi1pk": "G", "gsi1sk": "x"});
        let cursor = Cursor::from_item(item.as_object().unwrap(), Index::Gsi1);
        let query = Query::partition(Index::Gsi1, "G");
        let start = DynamoStore::start_key(&query, &cursor).unwrap();
        assert_eq!(start.len(), 4);
        assert_eq!(start["gsi1sk"], AttributeValue::S("x".into()));
        let other = Query::partition(Index::Gsi1, "H");
        assert_eq!(
            DynamoStore::start_key(&other, &cursor),
            Err(StoreError::InvalidCursor)
        );
        let table = Query::partition(Index::Gsi2, "G");
        assert_eq!(
            DynamoStore::start_key(&table, &cursor),
            Err(StoreError::InvalidCursor)
        );
        let forged = Cursor("e30".into()); // "{}"
        assert_eq!(
            DynamoStore::start_key(&query, &forged),
            Err(StoreError::InvalidCursor)
        );
    }
}
