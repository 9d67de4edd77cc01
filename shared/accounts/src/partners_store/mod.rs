//! Partners in the single table.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Guards hold `partnerId`; they are written in the same transaction as
//! the partner item, so a slug or meeting type belongs to one partner even
//! under concurrent requests.
//!
//! Profile changes write only the fields they change, conditional on the
//! partner's `version` (bumped by each), so concurrent edits of different
//! fields both survive and the guards always match the stored slug and
//! meeting types.
//!
//! The partner item also carries the counters the leads capability keeps
//! in the same transaction as each change (`totalLeads`,
//! `totalAppointments`, `lastAppointmentDate`), so the partners list is one
//! query.
//!
//! One module per access pattern: the record and its item, the guards that
//! keep slugs and meeting types unique, creation, reads, the pages every
//! partner is walked by, and the writes other transactions carry.

mod create;
mod guards;
mod pages;
mod reads;
mod record;
mod writes;

pub use create::{CreatePartnerError, create_partner, create_registered_partner};
pub use guards::{
    MEETING_TYPE_GUARD, REGISTRATION_EXPIRES_AT, RegistrationExpiry, SLUG_GUARD,
    claim_meeting_type, claim_slug, release_meeting_type, release_slug, slug_guard_key,
};
pub use pages::{PartnerPages, list_partners, partners_page};
pub use reads::{
    email_preferences, find_partner, get_partner, get_partner_versioned, partner_names,
};
pub use record::{
    EmailPreferences, NotificationPreferences, PartnerKind, PartnerRecord, PartnerStatus,
    WebhookPreferences, partner_item,
};
pub use writes::{count_new_lead, profile_update, uncount_lead, version_condition};
