//! The Lambda functions of the public partner API, one constructor each. A
//! binary in `functions/` calls one of them, so it links that handler and
//! no other; [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http, worker};
use pc_platform::queue::QueueName;

use crate::{status_api, status_worker, tokens_api};

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        partner_api_tokens_create(),
        partner_api_tokens_list(),
        partner_api_tokens_revoke(),
        partner_api_status_request(),
        partner_api_status_get(),
        partner_api_lead_worker(),
    ]
}

pub fn partner_api_tokens_create() -> Function {
    http!(
        "partner-api-tokens-create",
        Access::Admin,
        Permissions::WRITE,
        tokens_api::create_token
    )
}

pub fn partner_api_tokens_list() -> Function {
    http!(
        "partner-api-tokens-list",
        Access::Admin,
        Permissions::READ,
        tokens_api::list_tokens
    )
}

pub fn partner_api_tokens_revoke() -> Function {
    http!(
        "partner-api-tokens-revoke",
        Access::Admin,
        Permissions::WRITE,
        tokens_api::revoke_token
    )
}

pub fn partner_api_status_request() -> Function {
    http!(
        "partner-api-status-request",
        Access::PartnerToken,
        // The rate window, the token's last use, and the request with its
        // message through the outbox.
        Permissions::WRITE,
        status_api::request_status_change
    )
}

pub fn partner_api_status_get() -> Function {
    http!(
        "partner-api-status-get",
        Access::PartnerToken,
        // The rate window and the token's last use.
        Permissions::WRITE,
        status_api::get_status_request
    )
}

pub fn partner_api_lead_worker() -> Function {
    worker!(
        "partner-api-lead-worker",
        QueueName::PartnerApiLead,
        // The change's audit event and alert go through the outbox.
        Permissions::WRITE,
        status_worker::status_worker
    )
    // The table only: five invocations of ten, so a partner's bulk status
    // updates cannot take the API's concurrency.
    .with_scaling(10, 5)
}
