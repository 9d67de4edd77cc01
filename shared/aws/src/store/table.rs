//! The single table's definition, in one place: the bootstrap creates the
//! table from it, and the infrastructure template is generated from it.
//!
//! Every key attribute is a string; each generic index projects all
//! attributes; billing is on demand. Attribute and index names come from
//! [`pc_platform::store::Index`], so the adapters and the table cannot
//! disagree.

use pc_platform::store::Index;

/// The type every key attribute has (DynamoDB's `S`).
pub const KEY_ATTRIBUTE_TYPE: &str = "S";
/// The billing mode of the table.
pub const BILLING_MODE: &str = "PAY_PER_REQUEST";
/// The projection of every index.
pub const PROJECTION: &str = "ALL";

/// A partition key and sort key pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySchema {
    /// The `HASH` key attribute.
    pub partition_key: &'static str,
    /// The `RANGE` key attribute.
    pub sort_key: &'static str,
}

/// One global secondary index (projection [`PROJECTION`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalIndex {
    pub name: &'static str,
    pub keys: KeySchema,
}

/// Everything about the table except its name (which is a setting:
/// `TABLE_NAME`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDefinition {
    pub keys: KeySchema,
    pub indexes: Vec<GlobalIndex>,
    /// [`BILLING_MODE`].
    pub billing_mode: &'static str,
}

impl TableDefinition {
    /// Every attribute used in a key of the table or an index, each once,
    /// all of type [`KEY_ATTRIBUTE_TYPE`] (CloudFormation's
    /// `AttributeDefinitions`).
    pub fn attribute_names(&self) -> Vec<&'static str> {
        let mut names = vec![self.keys.partition_key, self.keys.sort_key];
        for index in &self.indexes {
            for name in [index.keys.partition_key, index.keys.sort_key] {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

fn key_schema(index: Index) -> KeySchema {
    let (partition_key, sort_key) = index.key_attributes();
    KeySchema {
        partition_key,
        sort_key,
    }
}

/// The single table: `pk`/`sk`, and the indexes `gsi1`..`gsi5` keyed by
/// `gsiNpk`/`gsiNsk`.
pub fn table_definition() -> TableDefinition {
    TableDefinition {
        keys: key_schema(Index::Table),
        indexes: Index::GSIS
            .iter()
            .filter_map(|&index| {
                Some(GlobalIndex {
                    name: index.name()?,
                    keys: key_schema(index),
                })
            })
            .collect(),
        billing_mode: BILLING_MODE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_five_generic_indexes() {
        let def = table_definition();
        assert_eq!(def.keys.partition_key, "pk");
        assert_eq!(def.keys.sort_key, "sk");
        let names: Vec<_> = def.indexes.iter().map(|i| i.name).collect();
        assert_eq!(names, ["gsi1", "gsi2", "gsi3", "gsi4", "gsi5"]);
        assert_eq!(def.indexes[1].keys.partition_key, "gsi2pk");
        assert_eq!(def.indexes[2].keys.sort_key, "gsi3sk");
        assert_eq!(
            def.attribute_names(),
            [
                "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "gsi4pk",
                "gsi4sk", "gsi5pk", "gsi5sk"
            ]
        );
    }
}
