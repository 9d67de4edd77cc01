//! Items and keys as DynamoDB attribute maps (through serde_dynamo), the one
//! conversion every read and write shares.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use pc_platform::store::{Item, Key, StoreError};

/// A DynamoDB attribute map.
pub(super) type Attributes = HashMap<String, AttributeValue>;

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

pub(super) fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
        ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
