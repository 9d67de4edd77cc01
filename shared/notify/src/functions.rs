//! The Lambda functions of email and schedules, one constructor each. A
//! binary in `functions/` calls one of them, so it links that handler and
//! no other; [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http, schedule, worker};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::{DAILY_LEAD_REMINDERS, emails_worker, lead_reminders, magic_links};

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        emails_worker(),
        leads_magic_link_validate(),
        daily_lead_reminders(),
    ]
}

pub fn emails_worker() -> Function {
    worker!(
        "emails-worker",
        QueueName::Emails,
        Permissions::WRITE.email(),
        emails_worker::deliver_email
    )
    // SES sends 14 emails a second on a new production account (1 in the
    // sandbox); ten in flight (two invocations of five) stay under it, and
    // a throttled send is retried from the queue.
    .with_scaling(5, 2)
}

pub fn leads_magic_link_validate() -> Function {
    http!(
        "leads-magic-link-validate",
        Access::Public,
        Permissions::READ.secrets(&[Secret::MagicLink]),
        magic_links::validate_magic_link
    )
}

pub fn daily_lead_reminders() -> Function {
    schedule!(
        "daily-lead-reminders",
        DAILY_LEAD_REMINDERS,
        Permissions::WRITE
            .sends(&[QueueName::Emails])
            .secrets(&[Secret::MagicLink]),
        lead_reminders::send_daily_reminders
    )
}
