//! The Lambda functions of accounts (sign-in, users, partners,
//! registration), one constructor each. A binary in `functions/` calls one
//! of them, so it links that handler and no other; [`all`] lists them for
//! the function table.

use pc_http::{Access, Function, Permissions, http};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::{auth_api, partners_api, registration_api, users_api};

const EMAILS: Permissions = Permissions::WRITE.sends(&[QueueName::Emails]).email();
const AUDITED: Permissions = Permissions::WRITE.sends(&[QueueName::Events]);
/// Public routes that issue sessions: the only functions holding the
/// session signing key.
const SESSIONS: Permissions = Permissions::WRITE.secrets(&[Secret::JwtSigningKey]);
const AUDITED_SESSIONS: Permissions = AUDITED.secrets(&[Secret::JwtSigningKey]);
const EMAILS_AUDITED: Permissions = Permissions::WRITE
    .sends(&[QueueName::Emails, QueueName::Events])
    .email();

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        auth_sign_in(),
        auth_token_refresh(),
        auth_sign_out(),
        auth_me(),
        auth_forgot_password(),
        auth_reset_password(),
        auth_complete_registration(),
        auth_register_partner(),
        auth_verify_registration(),
        users_list(),
        users_create(),
        users_get(),
        users_update(),
        users_status(),
        users_delete(),
        partners_list(),
        partners_create(),
        partners_get(),
        partners_update(),
        partners_stats(),
        partners_billing_get(),
        partners_billing_put(),
        partners_onboarding(),
        partners_activate(),
        partners_notification_preferences(),
    ]
}

pub fn auth_sign_in() -> Function {
    http!("auth-sign-in", Access::Public, SESSIONS, auth_api::sign_in)
}

pub fn auth_token_refresh() -> Function {
    http!(
        "auth-token-refresh",
        Access::Public,
        SESSIONS,
        auth_api::refresh
    )
}

pub fn auth_sign_out() -> Function {
    http!(
        "auth-sign-out",
        Access::Public,
        // Reads the session to end from its tokens: public keys only.
        Permissions::WRITE.reads_sessions(),
        auth_api::sign_out
    )
}

pub fn auth_me() -> Function {
    http!("auth-me", Access::SignedIn, Permissions::READ, auth_api::me).open_to_pending_partners()
}

pub fn auth_forgot_password() -> Function {
    http!(
        "auth-forgot-password",
        Access::Public,
        EMAILS,
        auth_api::forgot_password
    )
}

pub fn auth_reset_password() -> Function {
    http!(
        "auth-reset-password",
        Access::Public,
        AUDITED,
        auth_api::reset_password
    )
}

pub fn auth_complete_registration() -> Function {
    http!(
        "auth-complete-registration",
        Access::Public,
        AUDITED_SESSIONS,
        auth_api::complete_registration
    )
}

pub fn auth_register_partner() -> Function {
    http!(
        "auth-register-partner",
        Access::Public,
        EMAILS_AUDITED,
        registration_api::register_partner
    )
}

pub fn auth_verify_registration() -> Function {
    http!(
        "auth-verify-registration",
        Access::Public,
        AUDITED_SESSIONS,
        registration_api::verify_registration
    )
}

pub fn users_list() -> Function {
    http!(
        "users-list",
        Access::Admin,
        Permissions::READ,
        users_api::list_users
    )
}

pub fn users_create() -> Function {
    http!(
        "users-create",
        Access::Admin,
        EMAILS_AUDITED,
        users_api::create_user
    )
}

pub fn users_get() -> Function {
    http!(
        "users-get",
        Access::SignedIn,
        Permissions::READ,
        users_api::get_user
    )
    .open_to_pending_partners()
}

pub fn users_update() -> Function {
    http!(
        "users-update",
        Access::SignedIn,
        AUDITED,
        users_api::update_user
    )
    .open_to_pending_partners()
}

pub fn users_status() -> Function {
    http!(
        "users-status",
        Access::Admin,
        AUDITED,
        users_api::set_user_status
    )
}

pub fn users_delete() -> Function {
    http!(
        "users-delete",
        Access::Admin,
        AUDITED,
        users_api::delete_user
    )
}

pub fn partners_list() -> Function {
    http!(
        "partners-list",
        Access::Admin,
        Permissions::READ,
        partners_api::listing::list_partners
    )
}

pub fn partners_create() -> Function {
    http!(
        "partners-create",
        Access::Owner,
        Permissions::WRITE,
        partners_api::create::create_partner
    )
}

pub fn partners_get() -> Function {
    http!(
        "partners-get",
        Access::SignedIn,
        Permissions::READ,
        partners_api::listing::get_partner
    )
    .open_to_pending_partners()
}

pub fn partners_update() -> Function {
    http!(
        "partners-update",
        Access::Admin,
        Permissions::WRITE,
        partners_api::update::update_partner
    )
    .open_to_pending_partners()
}

pub fn partners_stats() -> Function {
    http!(
        "partners-stats",
        Access::Admin,
        Permissions::READ,
        partners_api::listing::partner_stats
    )
}

pub fn partners_billing_get() -> Function {
    http!(
        "partners-billing-get",
        Access::Staff,
        Permissions::READ,
        partners_api::billing::get_billing
    )
    .open_to_pending_partners()
}

pub fn partners_billing_put() -> Function {
    http!(
        "partners-billing-put",
        Access::Staff,
        Permissions::WRITE,
        partners_api::billing::put_billing
    )
    .open_to_pending_partners()
}

pub fn partners_onboarding() -> Function {
    http!(
        "partners-onboarding",
        Access::Admin,
        Permissions::READ,
        partners_api::onboarding::onboarding
    )
    .open_to_pending_partners()
}

pub fn partners_activate() -> Function {
    http!(
        "partners-activate",
        Access::Owner,
        Permissions::WRITE,
        partners_api::onboarding::activate_partner
    )
}

pub fn partners_notification_preferences() -> Function {
    http!(
        "partners-notification-preferences",
        Access::Admin,
        // The webhook's signing secret is stored encrypted.
        Permissions::WRITE.secrets(&[Secret::Encryption]),
        partners_api::notifications::update_notification_preferences
    )
    .open_to_pending_partners()
}
