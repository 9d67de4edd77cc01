//! Real-time events for the SPA: `lead-listed`, `lead-sold`,
//! `stage-updated`, `viewer-joined` and `viewer-left` go from the event bus
//! to the WebSocket connections of the partners they concern.
//!
//! A connection is authenticated when it opens (its `Origin` must be the
//! SPA's; a single-use connection ticket from `POST /v1/realtime/ticket`,
//! or on the dev server the session cookie; an active partner's user, see
//! [`socket_auth`]) and recorded under the user's partner
//! ([`connections_store`]); the broadcaster ([`broadcaster`]) reads the
//! connections an event concerns ([`audience`]) and pushes the message
//! through the [`pc_platform::realtime::ConnectionPush`] port, forgetting
//! connections that are gone. Clients say which listed lead they are
//! looking at ([`presence`]), which tells its seller.
//!
//! In AWS the transport is an API Gateway WebSocket API (its `$connect`,
//! `$disconnect` and message routes call [`socket_events`]); on the dev
//! server it is `GET /ws`, with the same messages and the same checks.

pub mod audience;
pub mod broadcaster;
pub mod connections_store;
pub mod functions;
pub mod keys;
pub mod presence;
pub mod socket_auth;
pub mod socket_events;
pub mod tickets;
