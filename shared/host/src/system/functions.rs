//! The Lambda functions of the platform itself (health, the API document,
//! owner operations on jobs and dead letters, the outbox relays), one
//! constructor each. A
//! binary in `functions/` calls one of them, so it links that handler and
//! no other; [`all`] lists them for the function table.

use pc_http::functions::{Function, Schedule};
use pc_http::{Access, Permissions, http, schedule};
use pc_platform::outbox::QUEUES as OUTBOX_QUEUES;

use super::{admin, docs, health, outbox};

/// The platform's own schedules by function name, without their jobs
/// (the owner operations list them beside each capability's).
pub const SCHEDULES: &[(&str, Schedule)] = &[("outbox-sweep", outbox::OUTBOX_SWEEP)];

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        health(),
        api_docs_openapi(),
        admin_jobs_list(),
        admin_jobs_run(),
        admin_job_run_get(),
        admin_dead_letters_list(),
        admin_dead_letters_redrive(),
        outbox_relay(),
        outbox_sweep(),
    ]
}

pub fn health() -> Function {
    http!("health", Access::Public, Permissions::NONE, health::health)
}

pub fn api_docs_openapi() -> Function {
    http!(
        "api-docs-openapi",
        Access::Public,
        Permissions::NONE,
        docs::openapi_json
    )
}

pub fn admin_jobs_list() -> Function {
    http!(
        "admin-jobs-list",
        Access::Owner,
        Permissions::READ,
        admin::list_jobs
    )
}

pub fn admin_jobs_run() -> Function {
    http!(
        "admin-jobs-run",
        Access::Owner,
        Permissions::WRITE.events(),
        admin::run_job
    )
}

pub fn admin_job_run_get() -> Function {
    http!(
        "admin-job-run-get",
        Access::Owner,
        Permissions::READ,
        admin::get_job_run
    )
}

pub fn admin_dead_letters_list() -> Function {
    http!(
        "admin-dead-letters-list",
        Access::Owner,
        Permissions::READ.dead_letters(),
        admin::list_dead_letters
    )
}

pub fn admin_dead_letters_redrive() -> Function {
    http!(
        "admin-dead-letters-redrive",
        Access::Owner,
        Permissions::READ.dead_letters(),
        admin::redrive
    )
}

pub fn outbox_relay() -> Function {
    Function::table_stream(
        "outbox-relay",
        pc_platform::outbox::ENTITY,
        Permissions::WRITE.sends(OUTBOX_QUEUES),
        outbox::relay_stream_record,
    )
}

pub fn outbox_sweep() -> Function {
    schedule!(
        "outbox-sweep",
        outbox::OUTBOX_SWEEP,
        Permissions::WRITE.sends(OUTBOX_QUEUES),
        outbox::sweep_outbox
    )
}

#[cfg(test)]
mod tests {
    use pc_http::functions::schedules_of;

    #[test]
    fn schedules_are_the_schedule_functions() {
        assert_eq!(schedules_of(&super::all()), super::SCHEDULES);
    }
}
