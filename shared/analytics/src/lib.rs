//! Analytics from aggregates: one item per partner and month, one per
//! marketplace month (with its active partners in shards), moved by
//! writes the changing code appends to its own transaction ([`tally`]),
//! so every answer is one query over at most 24 months of items
//! ([`reports`]) and never a scan or a count of records.
//!
//! The crate sits low in the dependency graph (platform and api only):
//! leads, the marketplace and billing call [`tally`] with plain values.

pub mod analytics_api;
pub mod functions;
pub mod keys;
pub mod month_range;
pub mod rebuild;
pub mod reports;
pub mod tally;
