//! HubSpot (temporary scaffold until the connection crate is merged).
pub mod conflicts_api;
pub mod conflicts_resolve;
pub mod conflicts_store;
pub mod hubspot_access;
pub mod hubspot_fields;
pub mod links_store;
pub mod stage_mapping;
pub mod stage_mapping_api;
pub mod sync_api;
pub mod sync_functions;
pub mod sync_links;
pub mod sync_pages;
pub mod sync_plan;
pub mod sync_schedule;
pub mod sync_tasks;
pub mod sync_worker;
pub mod webhook;
pub mod webhook_events;

use pc_api::functions::Schedule;

/// The schedules of this capability (the operations list reads them with
/// the other capabilities').
pub const SCHEDULES: &[(&str, Schedule)] = &[("hubspot-sync", sync_functions::HUBSPOT_SYNC)];
