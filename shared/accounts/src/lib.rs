//! Accounts: sign-in and sessions, users, partners,
//! self-registration, and the tenancy rules every capability relies on.

pub mod account_emails;
pub mod auth_api;
pub mod billing_config;
pub mod client_ip;
pub mod email_address;
pub mod functions;
pub mod keys;
pub mod notification_preferences;
pub mod one_time_tokens;
pub mod partner_input;
pub mod partner_views;
pub mod partners_api;
pub mod partners_store;
pub mod passwords;
pub mod platform_seller;
pub mod rate_limit;
pub mod registration_api;
pub mod seed;
pub mod sessions_store;
pub mod slug;
pub mod stripe_connect;
pub mod tenancy;
pub mod user_views;
pub mod users_api;
pub mod users_store;
pub mod webhook_secret;
