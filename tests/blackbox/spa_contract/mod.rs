//! The original single-page app's own calls and field reads, one module
//! per rule of "Compatibility with the original app" (docs/api.md). Each
//! scenario quotes the app's code it protects, as the app's documents show
//! it, and makes that call the way the app does.

mod activities;
mod appointments;
mod email_links;
mod error_bodies;
mod lead_filters;
mod legacy_ids;
mod paging;
mod referral_portal;
