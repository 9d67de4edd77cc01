//! The Lambda functions of billing, one constructor each. A binary in
//! `functions/` calls one of them, so it links that handler and no other;
//! [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http, schedule, webhook, worker};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::{
    MONTHLY_INVOICES, credits_api, generate_api, invoice_void, invoices_api, manual_charge_api,
    monthly_invoices, stripe_connect_api, stripe_events, stripe_webhook,
};

pc_http::answer_through_failure!(crate::error::BillingError);

/// Finance changes that call Stripe.
const PAYMENTS: Permissions = Permissions::WRITE.payments();

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        monthly_invoices(),
        billing_worker(),
        billing_invoices_generate(),
        billing_invoices_generate_status(),
        billing_stripe_webhook(),
        billing_stripe_connect_webhook(),
        stripe_webhook_worker(),
        billing_invoices_list(),
        billing_invoices_get(),
        partners_invoices_list(),
        billing_invoices_void(),
        billing_add_credit(),
        billing_manual_charge(),
        partners_stripe_connect_start(),
        partners_stripe_connect_status(),
    ]
}

pub fn monthly_invoices() -> Function {
    schedule!(
        "monthly-invoices",
        MONTHLY_INVOICES,
        Permissions::WRITE.sends(&[QueueName::Billing]),
        monthly_invoices::run_monthly_invoices
    )
}

pub fn billing_worker() -> Function {
    worker!(
        "billing-worker",
        QueueName::Billing,
        Permissions::WRITE.payments(),
        monthly_invoices::billing_worker
    )
    // Ten invoices at once at most (two invocations of five), each with a
    // few Stripe calls in flight: well under Stripe's rate limit, and 1,000
    // partners still take about a minute.
    .with_scaling(5, 2)
}

pub fn billing_invoices_generate() -> Function {
    http!(
        "billing-invoices-generate",
        Access::Staff,
        Permissions::WRITE.sends(&[QueueName::Billing]),
        generate_api::generate_invoices
    )
}

pub fn billing_invoices_generate_status() -> Function {
    http!(
        "billing-invoices-generate-status",
        Access::Staff,
        Permissions::READ,
        generate_api::generate_status
    )
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

pub fn billing_stripe_connect_webhook() -> Function {
    webhook!(
        "billing-stripe-connect-webhook",
        // The signature is the whole check: no table is read.
        Permissions::NONE
            .sends(&[QueueName::StripeWebhook])
            .secrets(&[Secret::StripeConnectWebhook]),
        stripe_webhook::stripe_connect_webhook
    )
}

pub fn stripe_webhook_worker() -> Function {
    worker!(
        "stripe-webhook-worker",
        QueueName::StripeWebhook,
        // A completed purchase puts `lead-sold` on the bus; a late
        // payment is refunded at Stripe.
        Permissions::WRITE
            .sends(&[QueueName::Emails])
            .events()
            .payments(),
        stripe_events::stripe_events_worker
    )
    // The table, the bus and the emails queue (no Stripe call): five
    // invocations of ten.
    .with_scaling(10, 5)
}

pub fn billing_invoices_list() -> Function {
    http!(
        "billing-invoices-list",
        Access::Staff,
        Permissions::READ,
        invoices_api::list_all_invoices
    )
}

pub fn billing_invoices_get() -> Function {
    http!(
        "billing-invoices-get",
        Access::Staff,
        Permissions::READ,
        invoices_api::get_invoice
    )
}

pub fn partners_invoices_list() -> Function {
    http!(
        "partners-invoices-list",
        Access::Admin,
        Permissions::READ,
        invoices_api::list_partner_invoices
    )
}

pub fn billing_invoices_void() -> Function {
    http!(
        "billing-invoices-void",
        Access::Staff,
        PAYMENTS,
        invoice_void::void_invoice
    )
}

pub fn billing_add_credit() -> Function {
    http!(
        "billing-add-credit",
        Access::Staff,
        PAYMENTS,
        credits_api::add_credit
    )
}

pub fn billing_manual_charge() -> Function {
    http!(
        "billing-manual-charge",
        Access::Staff,
        // The invoice's message goes through the outbox: no Stripe call here.
        Permissions::WRITE,
        manual_charge_api::manual_charge
    )
}

pub fn partners_stripe_connect_start() -> Function {
    http!(
        "partners-stripe-connect-start",
        Access::Admin,
        PAYMENTS,
        stripe_connect_api::start_onboarding
    )
}

pub fn partners_stripe_connect_status() -> Function {
    http!(
        "partners-stripe-connect-status",
        Access::Admin,
        Permissions::READ,
        stripe_connect_api::connect_status
    )
}
