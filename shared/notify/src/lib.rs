//! Email and schedules (SPEC.md §4): the email templates and the
//! `emails` queue worker that sends each job once, the daily lead
//! reminders with their magic links, and the declarations of every
//! schedule of the system.

pub mod email_sends_store;
pub mod emails_worker;
pub mod templates;

use pc_api::functions::Permissions;
use pc_api::{Function, worker};
use pc_platform::queue::QueueName;

/// The functions of this capability.
pub fn functions() -> Vec<Function> {
    vec![worker!(
        "emails-worker",
        QueueName::Emails,
        Permissions::WRITE.email(),
        emails_worker::deliver_email
    )]
}
