//! Billing: each partner is charged once a month for the leads of the
//! month past, by Stripe invoice; Stripe's webhooks move invoices to paid,
//! failed or void; platform staff see and adjust invoices.

pub mod billing_math;
pub mod credits_api;
pub mod credits_store;
pub mod customers;
pub mod error;
pub mod functions;
pub mod invoice_listing;
pub mod invoice_views;
pub mod invoice_void;
pub mod invoices_api;
pub mod invoices_store;
pub mod money;

pub use error::BillingError;
