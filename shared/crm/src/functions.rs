//! The Lambda functions of the HubSpot capability, one constructor each.
//! A binary in `functions/` calls one of them, so it links that handler
//! and no other; [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http, schedule};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::{HUBSPOT_TOKEN_REFRESH, dev_hubspot, integration_api, oauth_api, token_refresh};

pc_http::answer_through_failure!(
    crate::error::ConnectionError,
    crate::hubspot_access::NoAccess
);

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        integrations_hubspot_authorize(),
        integrations_hubspot_callback(),
        integrations_hubspot_status(),
        integrations_hubspot_create_pipeline(),
        integrations_hubspot_disconnect(),
        hubspot_token_refresh(),
    ]
}

pub fn hubspot_token_refresh() -> Function {
    schedule!(
        "hubspot-token-refresh",
        HUBSPOT_TOKEN_REFRESH,
        // The admins' emails go through the outbox to the emails queue.
        Permissions::WRITE.crm().sends(&[QueueName::Emails]),
        token_refresh::run_token_refresh
    )
}

// Connecting HubSpot is part of setting a partner up, so the partner's
// users may do it while the partner awaits approval.

pub fn integrations_hubspot_authorize() -> Function {
    http!(
        "integrations-hubspot-authorize",
        Access::Admin,
        // The state's nonce is stored and the state signed; the consent URL
        // is HubSpot's.
        Permissions::WRITE.crm().secrets(&[Secret::OauthState]),
        oauth_api::authorize
    )
    .open_to_pending_partners()
}

pub fn integrations_hubspot_callback() -> Function {
    http!(
        "integrations-hubspot-callback",
        // HubSpot sends the browser here; the signed state is the check.
        Access::Public,
        Permissions::WRITE.crm().secrets(&[Secret::OauthState]),
        oauth_api::callback
    )
}

pub fn integrations_hubspot_status() -> Function {
    http!(
        "integrations-hubspot-status",
        Access::SignedIn,
        Permissions::READ,
        integration_api::status
    )
    .open_to_pending_partners()
}

pub fn integrations_hubspot_create_pipeline() -> Function {
    http!(
        "integrations-hubspot-create-pipeline",
        Access::Admin,
        Permissions::WRITE.crm(),
        integration_api::create_pipeline
    )
    .open_to_pending_partners()
}

pub fn integrations_hubspot_disconnect() -> Function {
    http!(
        "integrations-hubspot-disconnect",
        Access::Admin,
        Permissions::WRITE,
        integration_api::disconnect
    )
    .open_to_pending_partners()
}

/// The fake HubSpot's routes: the local server only, never deployed.
pub fn dev() -> Vec<Function> {
    vec![
        Function::dev("dev-hubspot-consent", || {
            pc_http::routes!(dev_hubspot::consent)
        }),
        Function::dev("dev-hubspot-deal-change", || {
            pc_http::routes!(dev_hubspot::change_deal)
        }),
        Function::dev("dev-hubspot-contact-change", || {
            pc_http::routes!(dev_hubspot::change_contact)
        }),
        Function::dev("dev-hubspot-object-create", || {
            pc_http::routes!(dev_hubspot::create_object)
        }),
        Function::dev("dev-hubspot-portal-view", || {
            pc_http::routes!(dev_hubspot::portal_view)
        }),
        Function::dev("dev-hubspot-webhook-redeliver", || {
            pc_http::routes!(dev_hubspot::redeliver)
        }),
        Function::dev("dev-hubspot-limits", || {
            pc_http::routes!(dev_hubspot::set_limits)
        }),
        Function::dev("dev-hubspot-revoked", || {
            pc_http::routes!(dev_hubspot::set_revoked)
        }),
    ]
}
