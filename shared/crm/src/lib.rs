//! HubSpot: a partner connects its portal by OAuth (tokens stored
//! encrypted), the system keeps the tokens fresh and creates the partner's
//! deal pipeline; the fake HubSpot of local runs is driven by dev routes.

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

pub use error::ConnectionError;

use pc_api::functions::{Cadence, Schedule};

pub const HUBSPOT_TOKEN_REFRESH: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(30),
    timezone: "UTC",
};

/// The schedules of the HubSpot capability by function name, without
/// their jobs (see `pc_notify::SCHEDULES`).
pub const SCHEDULES: &[(&str, Schedule)] = &[("hubspot-token-refresh", HUBSPOT_TOKEN_REFRESH)];

#[cfg(test)]
mod tests {
    use pc_api::functions::schedules_of;

    #[test]
    fn schedules_are_the_schedule_functions() {
        assert_eq!(schedules_of(&super::functions::all()), super::SCHEDULES);
    }
}
