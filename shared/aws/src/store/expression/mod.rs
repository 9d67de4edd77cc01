//! Turns the store port's [`Condition`]s, [`Update`]s and key conditions
//! into DynamoDB expressions with generated `#nN` name and `:vN` value
//! placeholders, so attribute names never clash with reserved words.
//!
//! The translation keeps the embedded adapter's semantics:
//!
//! - a JSON `null` attribute counts as absent (DynamoDB keeps it as a `NULL`
//!   attribute, so `Missing`/`Present` also test `attribute_type(.., NULL)`);
//! - comparisons against a missing attribute are false, and `NotEquals` is
//!   true when the attribute is missing (`attribute_not_exists(a) OR a <> v`);
//! - ordering comparisons hold between strings or between numbers only
//!   (guarded by `attribute_type`); comparisons against `null`, and ordering
//!   comparisons against values that are neither strings nor numbers, are
//!   constant (false, or true for `NotEquals`), where DynamoDB would refuse
//!   the expression;
//! - an update's set, remove and add lists are merged per attribute in the
//!   order the embedded adapter applies them (set, then remove, then add),
//!   since DynamoDB refuses two actions on one attribute.
//!
//! This module holds the placeholders every expression shares; each kind of
//! expression has its own module: `condition`, `key_condition` and `update`.
//!
//! [`Condition`]: pc_platform::store::Condition
//! [`Update`]: pc_platform::store::Update

mod condition;
mod key_condition;
mod update;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use pc_platform::store::StoreError;
use serde_json::Value;

pub use key_condition::effective_sort_key;
pub use update::{Action, plan_update};

/// The attribute an update without any action removes, so that DynamoDB
/// still creates the item when it is missing (as an empty update does in
/// the embedded adapter). No item ever holds it.
pub const NOOP_ATTRIBUTE: &str = "__pc_noop";

/// `ExpressionAttributeNames`: placeholder → attribute name.
pub type Names = HashMap<String, String>;
/// `ExpressionAttributeValues`: placeholder → value.
pub type Values = HashMap<String, AttributeValue>;

/// The placeholders of one request's expressions.
#[derive(Debug, Default)]
pub struct Expressions {
    /// placeholder → attribute name
    names: HashMap<String, String>,
    /// attribute name → placeholder
    by_attribute: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    /// DynamoDB type name → placeholder
    type_names: HashMap<String, String>,
}

/// A JSON value as a DynamoDB attribute value.
pub fn attribute_value(value: &Value) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| StoreError::Invalid(format!("value not storable in DynamoDB: {e}")))
}

impl Expressions {
    pub fn new() -> Self {
        Self::default()
    }

    /// The `#nN` placeholder of an attribute name (one per name).
    pub fn name(&mut self, attribute: &str) -> String {
        if let Some(placeholder) = self.by_attribute.get(attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        self.by_attribute
            .insert(attribute.to_owned(), placeholder.clone());
        placeholder
    }

    /// A new `:vN` placeholder for an attribute value.
    pub fn attribute(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// A new `:vN` placeholder for a JSON value.
    pub fn value(&mut self, value: &Value) -> Result<String, StoreError> {
        Ok(self.attribute(attribute_value(value)?))
    }

    fn string(&mut self, text: &str) -> String {
        self.attribute(AttributeValue::S(text.to_owned()))
    }

    /// The placeholder of a DynamoDB type name (`S`, `N`, `NULL`), one per type.
    fn type_name(&mut self, kind: &str) -> String {
        if let Some(placeholder) = self.type_names.get(kind) {
            return placeholder.clone();
        }
        let placeholder = self.string(kind);
        self.type_names.insert(kind.to_owned(), placeholder.clone());
        placeholder
    }

    fn null_type(&mut self) -> String {
        self.type_name("NULL")
    }

    /// The `ExpressionAttributeNames` and `ExpressionAttributeValues`, each
    /// `None` when empty (DynamoDB refuses empty maps).
    pub fn into_parts(self) -> (Option<Names>, Option<Values>) {
        let names = (!self.names.is_empty()).then_some(self.names);
        let values = (!self.values.is_empty()).then_some(self.values);
        (names, values)
    }
}

/// The name placeholders given so far, for tests of each expression kind.
#[cfg(test)]
fn names(e: &Expressions) -> HashMap<String, String> {
    e.names.clone()
}
