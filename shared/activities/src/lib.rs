//! Activities: what happened that concerns a partner, as a feed in the app.
//!
//! Every source of partner events — audit events of leads, meetings and
//! invoices on the `events` queue ([`audit_sources`]), marketplace events
//! on the bus ([`bus_sources`]) — turns each change into
//! [`PartnerEvent`](pc_http::partner_events::PartnerEvent)s with ids derived
//! from the source. [`recording`] writes, in one transaction, an activity
//! for each partner concerned, its unread counter and the event's fan-out
//! message on the `webhook-deliveries` queue (through the outbox); an
//! event id already recorded changes nothing. [`activities_api`] serves
//! the feed and marks activities read.

pub mod activities_api;
pub mod activities_store;
pub mod audit_sources;
pub mod bus_sources;
pub mod functions;
pub mod keys;
pub mod mark_read;
pub mod recording;
pub mod unread_counter;
