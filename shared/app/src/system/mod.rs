//! Functions of the platform itself: health, admin operations, dev routes.

pub mod admin;
pub mod dev;
pub mod docs;
pub mod health;

use pc_api::functions::Function;
use pc_api::{Access, Permissions, http};

pub fn functions() -> Vec<Function> {
    vec![
        http!("health", Access::Public, Permissions::READ, health::health),
        http!(
            "api-docs-openapi",
            Access::Public,
            Permissions::READ,
            docs::openapi_json
        ),
        http!(
            "admin-jobs-list",
            Access::Owner,
            Permissions::READ,
            admin::list_jobs
        ),
        http!(
            "admin-jobs-run",
            Access::Owner,
            Permissions::WRITE.events(),
            admin::run_job
        ),
        http!(
            "admin-job-run-get",
            Access::Owner,
            Permissions::READ,
            admin::get_job_run
        ),
        http!(
            "admin-dead-letters-list",
            Access::Owner,
            Permissions::READ,
            admin::list_dead_letters
        ),
        http!(
            "admin-dead-letters-redrive",
            Access::Owner,
            Permissions::READ,
            admin::redrive
        ),
    ]
}

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
