//! Partners in the single table.
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | partner | `PARTNER#<id>` | `PROFILE` | `PARTNERS` / `<createdAt>#<id>` |
//! | slug guard | `SLUG#<slug>` | `SLUG` | |
//! | meeting-type guard | `MEETINGTYPE#<name>` | `MEETINGTYPE` | |
//! | billing config | `PARTNER#<id>` | `BILLING` | | (see `billing_config`)
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

pub use create::*;
pub use guards::*;
pub use pages::*;
pub use reads::*;
pub use record::*;
pub use writes::*;
