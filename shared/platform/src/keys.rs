//! The keys of the items the platform itself keeps: the outbox and, on
//! the embedded backend, queued messages and the mailbox. The partition
//! builders every capability shares for partner-scoped items are in
//! [`crate::store`] (`partner_partition`, `partner_collection`,
//! `partner_key`); the fakes of HubSpot and Stripe keep theirs in their own
//! `keys` modules.
//!
//! ## The outbox ([`crate::outbox`])
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | outbox item | `OUTBOX#<id>` | `OUTBOX` | `OUTBOX` / `<createdAt>#<id>` |
//!
//! ## The embedded queue (`queue::embedded`, local only)
//!
//! | item | pk | sk |
//! |---|---|---|
//! | queued message | `QUEUE#<queue>` | `<messageId>` |
//! | dead letter | `DLQ#<queue>` | `<messageId>` |
//!
//! ## The local mailbox (`email::mailbox`, local only)
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a sent email | `MAILBOX` | `<id>` |

use crate::queue::QueueName;
use crate::store::Key;

pub fn outbox_key(id: &str) -> Key {
    Key::new(format!("OUTBOX#{id}"), "OUTBOX")
}

/// The gsi1 partition listing outbox items by creation time.
pub const OUTBOX_PARTITION: &str = "OUTBOX";

/// The partition of a queue's pending messages (embedded backend).
pub fn pending_pk(queue: QueueName) -> String {
    format!("QUEUE#{queue}")
}

/// The partition of a queue's dead letters (embedded backend).
pub fn dead_pk(queue: QueueName) -> String {
    format!("DLQ#{queue}")
}

/// The partition of the local mailbox.
pub const MAILBOX_PARTITION: &str = "MAILBOX";
