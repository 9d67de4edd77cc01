//! Billing: each partner is charged once a month for the leads of the
//! month past, by Stripe invoice; Stripe's webhooks move invoices to paid,
//! failed or void; platform staff see and adjust invoices. Sellers of the
//! marketplace connect their Stripe account here (Stripe Connect).

pub mod billing_math;
pub mod credits_api;
pub mod credits_store;
pub mod customers;
pub mod error;
pub mod finance_request;
pub mod functions;
pub mod generate_api;
pub mod invoice_events;
pub mod invoice_listing;
pub mod invoice_run;
pub mod invoice_views;
pub mod invoice_void;
pub mod invoices_api;
pub mod invoices_store;
pub mod keys;
pub mod manual_charge_api;
pub mod manual_charges;
pub mod money;
pub mod monthly_invoices;
pub mod stripe_connect_api;
pub mod stripe_connect_events;
pub mod stripe_events;
pub mod stripe_webhook;

pub use error::BillingError;

use pc_http::functions::{Cadence, Schedule};

/// 00:00 in Los Angeles on the 1st: the month past is over there too.
pub const MONTHLY_INVOICES: Schedule = Schedule {
    cadence: Cadence::Monthly {
        day: 1,
        hour: 0,
        minute: 0,
    },
    timezone: "America/Los_Angeles",
};

/// The schedules of billing by function name, without their jobs (see
/// `pc_notify::SCHEDULES`).
pub const SCHEDULES: &[(&str, Schedule)] = &[("monthly-invoices", MONTHLY_INVOICES)];

#[cfg(test)]
mod tests {
    use pc_http::functions::schedules_of;

    #[test]
    fn schedules_are_the_schedule_functions() {
        assert_eq!(schedules_of(&super::functions::all()), super::SCHEDULES);
    }
}
