//! The store port on DynamoDB: one table (see [`super::table`]), items
//! converted with serde_dynamo, conditions and updates translated by
//! [`super::expression`], errors mapped to the port's [`StoreError`]s.
//!
//! Reads of the table (get, batch get, table queries) are strongly
//! consistent, as the embedded adapter is; index queries cannot be (DynamoDB
//! indexes are eventually consistent). Requests are validated as the
//! embedded adapter validates them, before anything is sent, so invalid
//! requests get the same errors from both adapters.
//!
//! The operations live by kind: `reads` by key, `query` of a partition,
//! `writes` and transactions, with the shared `attributes` conversion and
//! `errors` mapping beside them.

mod attributes;
mod errors;
mod query;
mod reads;
mod writes;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use pc_platform::store::{Condition, Item, Key, Page, Query, Store, StoreError, Update, Write};

use crate::lazy_client::LazyClient;

pub use attributes::{from_attributes, to_attributes};
pub use errors::cancellation_error;

/// The store on one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: LazyClient<Client>,
    table: String,
}

impl DynamoStore {
    pub fn new(client: impl Into<LazyClient<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
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

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.get_item(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.batch_get_items(keys).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.put_item(item, condition).await
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.update_item(update).await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.delete_item(key, condition).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.transact_write(writes).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.query_page(query).await
    }
}
