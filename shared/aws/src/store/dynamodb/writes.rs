//! Writes: put, update and delete of one item, and transactions of several.
//! Each write is checked as the embedded adapter checks it before anything
//! is sent, and its condition and update become DynamoDB expressions.

use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem, Update as UpdateAction,
};
use pc_platform::store::{
    Condition, Item, Key, StoreError, Update, Write, validate_key, validate_transaction,
};

use super::DynamoStore;
use super::attributes::{from_attributes, key_attributes, to_attributes};
use super::errors::{build_error, sdk_store_error, transaction_error};
use crate::store::expression::{Expressions, NOOP_ATTRIBUTE};

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

    pub(super) async fn put_item(
        &self,
        item: Item,
        condition: Option<Condition>,
    ) -> Result<(), StoreError> {
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

    pub(super) async fn update_item(&self, update: Update) -> Result<Item, StoreError> {
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
        item.remove(NOOP_ATTRIBUTE);
        Ok(item)
    }

    pub(super) async fn delete_item(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<(), StoreError> {
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

    pub(super) async fn transact_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
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
}
