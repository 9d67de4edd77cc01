//! The Lambda functions of outbound webhooks, one constructor each. A
//! binary in `functions/` calls one of them, so it links that handler and
//! no other; [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http, schedule, worker};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::{RETRY_SWEEP, deliveries_api, retries, worker};

pc_http::answer_through_failure!(crate::error::WebhookError);

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        webhook_deliveries_worker(),
        webhook_retries(),
        webhook_deliveries_list(),
        webhook_deliveries_redeliver(),
    ]
}

pub fn webhook_deliveries_worker() -> Function {
    worker!(
        "webhook-deliveries-worker",
        QueueName::WebhookDeliveries,
        // Retries go back on its own queue; failure emails and first
        // attempts go through the outbox; the signing secrets are sealed.
        Permissions::WRITE
            .sends(&[QueueName::WebhookDeliveries])
            .secrets(&[Secret::Encryption]),
        worker::webhook_deliveries_worker
    )
    // Partners' endpoints may be slow: at most fifty deliveries in flight
    // (five invocations of ten), each with its own timeout.
    .with_scaling(10, 5)
}

pub fn webhook_retries() -> Function {
    schedule!(
        "webhook-retries",
        RETRY_SWEEP,
        Permissions::READ.sends(&[QueueName::WebhookDeliveries]),
        retries::send_due_retries
    )
}

pub fn webhook_deliveries_list() -> Function {
    http!(
        "webhook-deliveries-list",
        Access::Admin,
        Permissions::READ,
        deliveries_api::list_deliveries
    )
}

pub fn webhook_deliveries_redeliver() -> Function {
    http!(
        "webhook-deliveries-redeliver",
        Access::Admin,
        // The attempt message goes through the outbox.
        Permissions::WRITE,
        deliveries_api::redeliver
    )
}
