//! The store port on DynamoDB: the table's definition, the translation of
//! conditions, updates and key conditions into DynamoDB expressions, and the
//! adapter itself.

pub mod dynamodb;
pub mod expression;
pub mod table;

pub use dynamodb::DynamoStore;
pub use table::{TableDefinition, table_definition};
