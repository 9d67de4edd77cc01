//! Black-box scenarios, one module per capability.

mod accounts;
mod activities;
mod analytics;
mod billing_finance;
mod billing_invoices;
mod billing_webhooks;
mod hardening_auth;
mod hardening_imports;
mod hardening_input;
mod hardening_lists;
mod hardening_writes;
mod hubspot_oauth;
mod hubspot_sync;
mod leads;
mod marketplace;
mod marketplace_purchases;
mod migration;
mod notify;
mod partner_api;
mod realtime;
mod referrals;
mod spa_contract;
mod stripe_connect;
mod supply;
mod system;
mod webhooks;
