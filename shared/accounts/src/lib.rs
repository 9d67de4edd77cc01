//! Accounts: sign-in and sessions, users, partners,
//! self-registration, and the tenancy rules every capability relies on.

pub mod account_emails;
pub mod auth_api;
pub mod billing_config;
pub mod client_ip;
pub mod email_address;
pub mod one_time_tokens;
pub mod partner_input;
pub mod partner_views;
pub mod partners_api;
pub mod partners_store;
pub mod passwords;
pub mod rate_limit;
pub mod registration_api;
pub mod seed;
pub mod sessions_store;
pub mod slug;
pub mod tenancy;
pub mod user_views;
pub mod users_api;
pub mod users_store;

use pc_api::{Access, Function, Permissions, http};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

/// The functions of this capability, one Lambda each.
pub fn functions() -> Vec<Function> {
    let emails = Permissions::WRITE.sends(&[QueueName::Emails]).email();
    let audited = Permissions::WRITE.sends(&[QueueName::Events]);
    let emails_audited = Permissions::WRITE
        .sends(&[QueueName::Emails, QueueName::Events])
        .email();
    // Public routes that sign or read session tokens themselves.
    let sessions = Permissions::WRITE.secrets(&[Secret::Jwt]);
    let audited_sessions = audited.secrets(&[Secret::Jwt]);
    vec![
        http!("auth-sign-in", Access::Public, sessions, auth_api::sign_in),
        http!(
            "auth-token-refresh",
            Access::Public,
            sessions,
            auth_api::refresh
        ),
        http!(
            "auth-sign-out",
            Access::Public,
            sessions,
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
            audited_sessions,
            auth_api::complete_registration
        ),
        http!(
            "auth-register-partner",
            Access::Public,
            emails_audited,
            registration_api::register_partner
        ),
        http!(
            "auth-verify-registration",
            Access::Public,
            audited_sessions,
            registration_api::verify_registration
        ),
        http!(
            "users-list",
            Access::Admin,
            Permissions::READ,
            users_api::list_users
        ),
        http!(
            "users-create",
            Access::Admin,
            emails_audited,
            users_api::create_user
        ),
        http!(
            "users-get",
            Access::SignedIn,
            Permissions::READ,
            users_api::get_user
        ),
        http!(
            "users-update",
            Access::SignedIn,
            audited,
            users_api::update_user
        ),
        http!(
            "users-status",
            Access::Admin,
            audited,
            users_api::set_user_status
        ),
        http!(
            "users-delete",
            Access::Admin,
            audited,
            users_api::delete_user
        ),
        http!(
            "partners-list",
            Access::Admin,
            Permissions::READ,
            partners_api::list_partners
        ),
        http!(
            "partners-create",
            Access::Owner,
            Permissions::WRITE,
            partners_api::create_partner
        ),
        http!(
            "partners-get",
            Access::SignedIn,
            Permissions::READ,
            partners_api::get_partner
        ),
        http!(
            "partners-update",
            Access::Admin,
            Permissions::WRITE,
            partners_api::update_partner
        ),
        http!(
            "partners-stats",
            Access::Admin,
            Permissions::READ,
            partners_api::partner_stats
        ),
        http!(
            "partners-billing-get",
            Access::Staff,
            Permissions::READ,
            partners_api::get_billing
        ),
        http!(
            "partners-billing-put",
            Access::Staff,
            Permissions::WRITE,
            partners_api::put_billing
        ),
        http!(
            "partners-onboarding",
            Access::Admin,
            Permissions::READ,
            partners_api::onboarding
        ),
        http!(
            "partners-activate",
            Access::Owner,
            Permissions::WRITE,
            partners_api::activate_partner
        ),
        http!(
            "partners-notification-preferences",
            Access::Admin,
            Permissions::WRITE,
            partners_api::update_notification_preferences
        ),
    ]
}
