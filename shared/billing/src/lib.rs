//! Billing: each partner is charged once a month for the leads of the
//! month past, by Stripe invoice; Stripe's webhooks move invoices to paid,
//! failed or void; platform staff see and adjust invoices.

pub mod functions;
pub mod invoices_store;
pub mod stripe_events;
pub mod stripe_webhook;
