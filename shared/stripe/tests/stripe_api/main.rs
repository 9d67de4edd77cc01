//! The Stripe adapter over HTTP against a local stand-in for Stripe's API
//! (wiremock): the requests it sends (method, path, form fields, the
//! secret key and the idempotency key), how Stripe's objects parse into
//! the port's types, and how Stripe's errors map to the port's.
//!
//! The answers are Stripe's own example objects (`fixtures/`, see its
//! README), adapted to the scenario of each test.

mod connected_accounts;
mod customers;
mod failures;
mod invoices;
mod payment_intents;
mod refunds;
mod stripe_server;
