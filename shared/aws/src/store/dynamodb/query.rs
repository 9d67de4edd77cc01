//! Queries of the table and its indexes: cursors turned into start keys
//! (checked as the embedded adapter checks them), the key condition, and
//! reading on past DynamoDB's 1 MB pages until the limit is met.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use pc_platform::store::{Cursor, Index, Item, Page, Query, StoreError};
use serde_json::Value;

use super::DynamoStore;
use super::attributes::{Attributes, from_attributes};
use super::errors::store_error;
use crate::sdk_error::failure;
use crate::store::expression::{Expressions, effective_sort_key};

impl DynamoStore {
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

    pub(super) async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
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
