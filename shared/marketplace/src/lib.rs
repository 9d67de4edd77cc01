//! The lead marketplace: sellers list the leads that do not fit them,
//! other partners browse them masked and scored against their ideal
//! customer profile, open one (still masked, one view per partner) and
//! reserve it for 7 to 14 days before buying it; expired reservations go
//! back on the market.
//!
//! The store modules ([`listing_store`], [`reservations_store`],
//! [`purchases_store`]) own the marketplace keys (a seller's Stripe Connect
//! state is the accounts capability's, `pc_accounts::stripe_connect`); the purchase flow uses
//! their named transitions so every change of a lead's marketplace state
//! is conditional on the state it expects.

pub mod analytics_rebuild;
pub mod auto_list;
pub mod browse_api;
pub mod browse_index;
pub mod browse_index_worker;
pub mod browse_page;
pub mod demand;
pub mod error;
pub mod functions;
pub mod icp_match;
pub mod keys;
pub mod listing_api;
pub mod listing_notices;
pub mod listing_store;
pub mod market_views;
pub mod pricing;
pub mod purchase_payments;
pub mod purchase_refund;
pub mod purchase_refund_api;
pub mod purchases_api;
pub mod purchases_store;
pub mod reservation_end;
pub mod reservation_expiry;
pub mod reservation_warning;
pub mod reservations_api;
pub mod reservations_store;
pub mod sale_snapshot;
pub mod sold_status;

pub use error::MarketError;

use pc_http::functions::{Cadence, Schedule};

/// Expired reservations are released every five minutes.
pub const RESERVATION_EXPIRY: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(5),
    timezone: "UTC",
};

/// The schedules of the marketplace by function name, without their jobs
/// (see `pc_notify::SCHEDULES`).
pub const SCHEDULES: &[(&str, Schedule)] = &[("reservation-expiry", RESERVATION_EXPIRY)];

#[cfg(test)]
mod tests {
    use pc_http::functions::schedules_of;

    #[test]
    fn schedules_are_the_schedule_functions() {
        assert_eq!(schedules_of(&super::functions::all()), super::SCHEDULES);
    }
}
