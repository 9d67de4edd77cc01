//! Reads by key: one item, or a batch of them. Both are strongly consistent,
//! as the embedded adapter's reads are.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use pc_platform::store::{Item, Key, MAX_BATCH_GET, StoreError, validate_key};

use super::DynamoStore;
use super::attributes::{Attributes, from_attributes, key_attributes};
use super::errors::{build_error, sdk_store_error};

/// How many times unprocessed batch-get keys are asked for again before the
/// batch is answered as throttled.
const BATCH_RETRIES: u32 = 8;

impl DynamoStore {
    pub(super) async fn get_item(&self, key: &Key) -> Result<Option<Item>, StoreError> {
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

    pub(super) async fn batch_get_items(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
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
}
