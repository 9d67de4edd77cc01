//! Every key the fake Stripe writes (local only), and the items under
//! them; its modules build these keys only through the functions here.
//!
//! ## Objects, events and idempotency keys
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | Stripe object (customer, invoice, invoice item, balance transaction, payment intent, charge, refund, account) | `STRIPE#<objectId>` | `OBJECT` | (gsi2: `STRIPEOBJECTS#<type>` / `<objectId>`) |
//! | Stripe event (body, last `Stripe-Signature`, delivery outcome) | `STRIPE#<evt_id>` | `OBJECT` | `STRIPEEVENTS` / `<evt_id>` |
//! | idempotency key (operation, request fingerprint, object id) | `STRIPEIDEMPOTENCY#<key>` | `KEY` | |

use crate::store::Key;

/// The store item of object `id` (an event is an object too).
pub fn object_key(id: &str) -> Key {
    Key::new(format!("STRIPE#{id}"), "OBJECT")
}

/// The gsi2 partition listing the objects of one type (`invoice`).
pub fn type_partition(object_type: &str) -> String {
    format!("STRIPEOBJECTS#{object_type}")
}

/// The gsi1 partition listing events in the order they were made.
pub const EVENTS_PARTITION: &str = "STRIPEEVENTS";

/// The store item of an idempotency key.
pub fn idempotency_key(key: &str) -> Key {
    Key::new(format!("STRIPEIDEMPOTENCY#{key}"), "KEY")
}
