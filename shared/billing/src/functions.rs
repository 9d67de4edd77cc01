//! The Lambda functions of billing, one constructor each. A binary in
//! `functions/` calls one of them, so it links that handler and no other;
//! [`all`] lists them for the function table.

use pc_api::{Function, Permissions, webhook, worker};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::{stripe_events, stripe_webhook};

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![billing_stripe_webhook(), stripe_webhook_worker()]
}

pub fn billing_stripe_webhook() -> Function {
    webhook!(
        "billing-stripe-webhook",
        // The signature is the whole check: no table is read.
        Permissions::NONE
            .sends(&[QueueName::StripeWebhook])
            .secrets(&[Secret::StripeWebhook]),
        stripe_webhook::stripe_webhook
    )
}

pub fn stripe_webhook_worker() -> Function {
    worker!(
        "stripe-webhook-worker",
        QueueName::StripeWebhook,
        Permissions::WRITE.sends(&[QueueName::Emails]),
        stripe_events::stripe_events_worker
    )
}
