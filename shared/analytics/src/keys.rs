//! Every key the analytics capability writes, and the items under them.
//! The changes that count append these writes through [`crate::tally`],
//! which builds the keys only through the functions here.
//!
//! ## Aggregates ([`crate::tally`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a partner's month | `ANALYTICS#PARTNER#<pid>` | `MONTH#<YYYY-MM>` |
//! | the marketplace's month | `ANALYTICS#MARKETPLACE` | `MONTH#<YYYY-MM>` |
//! | active partners of a month, one shard | `ANALYTICS#MARKETPLACE` | `MONTH#<YYYY-MM>#ACTIVE#<nn>` |
//! | a listing counted as matched | `ANALYTICS#MATCHED#<leadId>` | `<listedAt>` |

use pc_platform::store::Key;

/// Every aggregate's partition begins with it.
const PREFIX: &str = "ANALYTICS#";

/// The partition of the marketplace's months.
pub const MARKETPLACE_PARTITION: &str = "ANALYTICS#MARKETPLACE";

/// The partition of a partner's months.
pub fn partner_partition(partner_id: &str) -> String {
    format!("ANALYTICS#PARTNER#{partner_id}")
}

pub fn month_sk(month: &str) -> String {
    format!("MONTH#{month}")
}

pub fn partner_month_key(partner_id: &str, month: &str) -> Key {
    Key::new(partner_partition(partner_id), month_sk(month))
}

pub fn marketplace_month_key(month: &str) -> Key {
    Key::new(MARKETPLACE_PARTITION, month_sk(month))
}

pub fn active_shard_key(month: &str, shard: u32) -> Key {
    Key::new(
        MARKETPLACE_PARTITION,
        format!("MONTH#{month}#ACTIVE#{shard:02}"),
    )
}

/// The marker of a listing counted as matched (its sort key is the
/// listing time).
pub fn matched_partition(lead_id: &str) -> String {
    format!("ANALYTICS#MATCHED#{lead_id}")
}

/// Whether `key` is one of the analytics items.
pub fn is_aggregate(key: &Key) -> bool {
    key.pk.starts_with(PREFIX)
}
