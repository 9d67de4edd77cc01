//! HubSpot: a partner connects its portal by OAuth (tokens stored
//! encrypted), the system keeps the tokens fresh and creates the partner's
//! deal pipeline; the fake HubSpot of local runs is driven by dev routes.
//! Leads sync both ways: pages on `sync-leads` send our changes, signed
//! webhooks bring HubSpot's, through the same lead rules as the API; a
//! field changed on both sides is a conflict someone resolves.

pub mod connection;
pub mod dev_hubspot;
pub mod error;
pub mod functions;
pub mod integration_api;
pub mod oauth_api;
pub mod oauth_state;
pub mod pipeline;
pub mod token_cipher;
pub mod token_refresh;

pub mod conflicts_api;
pub mod conflicts_resolve;
pub mod conflicts_store;
pub mod hubspot_access;
pub mod hubspot_fields;
pub mod inventory_api;
pub mod inventory_backfill;
pub mod inventory_events;
pub mod inventory_import;
pub mod inventory_settings;
pub mod keys;
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

pub use error::ConnectionError;

use pc_http::functions::{Cadence, Schedule};

pub const HUBSPOT_TOKEN_REFRESH: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(30),
    timezone: "UTC",
};

/// The schedules of the HubSpot capability by function name, without
/// their jobs (the operations list reads them with the other
/// capabilities').
pub const SCHEDULES: &[(&str, Schedule)] = &[
    ("hubspot-token-refresh", HUBSPOT_TOKEN_REFRESH),
    ("hubspot-sync", sync_functions::HUBSPOT_SYNC),
    ("hubspot-inventory", inventory_backfill::HUBSPOT_INVENTORY),
];

#[cfg(test)]
mod tests {
    use pc_http::functions::schedules_of;

    #[test]
    fn schedules_are_the_schedule_functions() {
        let mut all = super::functions::all();
        all.extend(super::sync_functions::all());
        assert_eq!(schedules_of(&all), super::SCHEDULES);
    }
}
