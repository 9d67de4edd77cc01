//! Accounts (SPEC.md §2): sign-in and sessions, users, partners,
//! self-registration, and the tenancy rules every capability relies on.

pub mod account_emails;
pub mod auth_api;
pub mod client_ip;
pub mod email_address;
pub mod one_time_tokens;
pub mod partners_store;
pub mod passwords;
pub mod rate_limit;
pub mod seed;
pub mod sessions_store;
pub mod user_views;
pub mod users_store;

use pc_api::{Access, Function, Permissions, http};
use pc_platform::queue::QueueName;

/// The functions of this capability, one Lambda each.
pub fn functions() -> Vec<Function> {
    let emails = Permissions::WRITE.sends(&[QueueName::Emails]).email();
    let audited = Permissions::WRITE.sends(&[QueueName::Events]);
    vec![
        http!(
            "auth-sign-in",
            Access::Public,
            Permissions::WRITE,
            auth_api::sign_in
        ),
        http!(
            "auth-token-refresh",
            Access::Public,
            Permissions::WRITE,
            auth_api::refresh
        ),
        http!(
            "auth-sign-out",
            Access::Public,
            Permissions::WRITE,
            auth_api::sign_out
        ),
        http!("auth-me", Access::SignedIn, Permissions::READ, auth_api::me),
        http!(
            "auth-forgot-password",
            Access::Public,
            emails,
            auth_api::forgot_password
        ),
        http!(
            "auth-reset-password",
            Access::Public,
            audited,
            auth_api::reset_password
        ),
        http!(
            "auth-complete-registration",
            Access::Public,
            audited,
            auth_api::complete_registration
        ),
    ]
}
