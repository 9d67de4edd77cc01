//! Functions of the platform itself: health, admin operations, the outbox
//! relays, dev routes.

pub mod admin;
pub mod dev;
pub mod dev_stripe;
pub mod docs;
pub mod functions;
pub mod health;
pub mod outbox;

use pc_http::functions::Function;

/// Routes of the local server only; never in template.yaml.
pub fn dev_functions() -> Vec<Function> {
    let mut functions = vec![
        Function::dev("dev-mailbox", || pc_http::routes!(dev::mailbox)),
        Function::dev("dev-clock-set", || pc_http::routes!(dev::set_clock)),
        Function::dev("dev-clock-reset", || pc_http::routes!(dev::reset_clock)),
        Function::dev("dev-sign-in-limits-clear", || {
            pc_http::routes!(dev::clear_sign_in_limits)
        }),
        Function::dev("dev-jobs-run", || pc_http::routes!(dev::run_job)),
        Function::dev("dev-queue-poison", || pc_http::routes!(dev::poison_queue)),
        Function::dev("dev-uploads", || pc_http::routes!(dev::upload))
            .with_body_limit(11 * 1024 * 1024),
        Function::dev("dev-stripe-invoice-pay", || {
            pc_http::routes!(dev_stripe::pay_invoice)
        }),
        Function::dev("dev-stripe-invoice-fail", || {
            pc_http::routes!(dev_stripe::fail_invoice)
        }),
        Function::dev("dev-stripe-payment-intent-succeed", || {
            pc_http::routes!(dev_stripe::succeed_payment_intent)
        }),
        Function::dev("dev-stripe-payment-intent-fail", || {
            pc_http::routes!(dev_stripe::fail_payment_intent)
        }),
        Function::dev("dev-stripe-connect-complete", || {
            pc_http::routes!(dev_stripe::complete_connect_onboarding)
        }),
        Function::dev("dev-stripe-events", || pc_http::routes!(dev_stripe::events)),
        Function::dev("dev-stripe-faults", || {
            pc_http::routes!(dev_stripe::inject_fault)
        }),
        Function::dev("dev-stripe-latency", || {
            pc_http::routes!(dev_stripe::set_latency)
        }),
    ];
    functions.extend(pc_crm::functions::dev());
    functions
}
