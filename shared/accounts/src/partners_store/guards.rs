//! The guards that make a slug or a ChiliPiper meeting type belong to one
//! partner: claimed and released in the partner's own transactions, and
//! held with an expiry by an unverified self-registration.

use pc_http::keys::meeting_type_key;

pub use crate::keys::slug_guard_key;
use pc_platform::store::{Condition, Guard, Item, Key, Write};

/// Another partner holds the slug.
pub const SLUG_GUARD: Guard = Guard::new("slug_guard");
/// Another partner holds a meeting type.
pub const MEETING_TYPE_GUARD: Guard = Guard::new("meeting_type_guard");

pub(super) fn guard(key: Key, entity: &str, partner_id: &str) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), entity.into());
    item.insert("partnerId".into(), partner_id.into());
    item
}

/// Claims `slug` for `partner_id` (fails if anyone holds it).
pub fn claim_slug(slug: &str, partner_id: &str) -> Write {
    Write::put_new(guard(slug_guard_key(slug), "slug_guard", partner_id))
}

/// When an unverified self-registration lets go of its email and slug.
#[derive(Clone, Copy, Debug)]
pub struct RegistrationExpiry {
    /// Epoch seconds: the guards are free to take from then on, and
    /// DynamoDB TTL removes the registration's items.
    pub expires_at: i64,
    /// Epoch seconds of the request.
    pub now: i64,
}

/// The attribute of a guard held by an unverified registration.
pub const REGISTRATION_EXPIRES_AT: &str = "registrationExpiresAt";

impl RegistrationExpiry {
    /// Marks an item of the registration as expiring.
    pub fn mark(&self, item: &mut Item) {
        item.insert(REGISTRATION_EXPIRES_AT.into(), self.expires_at.into());
        item.insert("ttl".into(), self.expires_at.into());
    }

    /// A guard may be put when free or held by an expired registration.
    pub fn claim_condition(&self) -> Condition {
        Condition::Or(vec![
            Condition::NotExists,
            Condition::LessThan(REGISTRATION_EXPIRES_AT.into(), self.now.into()),
        ])
    }
}

/// Releases `slug`, only if `partner_id` holds it.
pub fn release_slug(slug: &str, partner_id: &str) -> Write {
    Write::Delete {
        key: slug_guard_key(slug),
        condition: Some(Condition::equals("partnerId", partner_id)),
    }
}

/// Claims a ChiliPiper meeting type for `partner_id`.
pub fn claim_meeting_type(name: &str, partner_id: &str) -> Write {
    let mut item = guard(meeting_type_key(name), "meeting_type_guard", partner_id);
    item.insert("name".into(), name.into());
    Write::put_new(item)
}

/// Releases a meeting type, only if `partner_id` holds it.
pub fn release_meeting_type(name: &str, partner_id: &str) -> Write {
    Write::Delete {
        key: meeting_type_key(name),
        condition: Some(Condition::equals("partnerId", partner_id)),
    }
}
