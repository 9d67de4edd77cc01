//! Functions of the platform itself: health, admin operations, the outbox
//! relays, dev routes.

pub mod admin;
pub mod dev;
pub mod docs;
pub mod functions;
pub mod health;
pub mod outbox;

use pc_api::functions::Function;

/// Routes of the local server only; never in template.yaml.
pub fn dev_functions() -> Vec<Function> {
    vec![
        Function::dev("dev-mailbox", || pc_api::routes!(dev::mailbox)),
        Function::dev("dev-clock-set", || pc_api::routes!(dev::set_clock)),
        Function::dev("dev-clock-reset", || pc_api::routes!(dev::reset_clock)),
        Function::dev("dev-jobs-run", || pc_api::routes!(dev::run_job)),
        Function::dev("dev-uploads", || pc_api::routes!(dev::upload))
            .with_body_limit(11 * 1024 * 1024),
    ]
}
