//! Functions of the platform itself: health, admin operations, the outbox
//! relays, dev routes.

pub mod admin;
pub mod dev;
pub mod docs;
pub mod health;
pub mod outbox;

use pc_api::functions::Function;
use pc_api::{Access, Permissions, http, schedule};
use pc_platform::outbox::QUEUES as OUTBOX_QUEUES;

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
        Function::table_stream(
            "outbox-relay",
            pc_platform::outbox::ENTITY,
            Permissions::WRITE.sends(OUTBOX_QUEUES),
            outbox::relay_stream_record,
        ),
        schedule!(
            "outbox-sweep",
            outbox::OUTBOX_SWEEP,
            Permissions::WRITE.sends(OUTBOX_QUEUES),
            outbox::sweep_outbox
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
    ]
}
