//! Email and schedules: the email templates and the
//! `emails` queue worker that sends each job once, the daily lead
//! reminders with their magic links, and the declarations of every
//! schedule of the system.

pub mod email_sends_store;
pub mod emails_worker;
pub mod lead_reminders;
pub mod magic_links;
pub mod templates;
pub mod unbuilt_schedules;

use pc_api::functions::{Cadence, Permissions, Schedule};
use pc_api::{Access, Function, http, schedule, worker};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

/// When the daily lead reminders go out: 09:00 in Los Angeles, whatever
/// the season (EventBridge Scheduler applies the zone's daylight saving).
pub const DAILY_LEAD_REMINDERS: Schedule = Schedule {
    cadence: Cadence::Daily { hour: 9, minute: 0 },
    timezone: "America/Los_Angeles",
};

/// 00:00 UTC on the 1st of each month.
pub const MONTHLY_INVOICES: Schedule = Schedule {
    cadence: Cadence::Monthly {
        day: 1,
        hour: 0,
        minute: 0,
    },
    timezone: "UTC",
};

pub const HUBSPOT_SYNC: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(15),
    timezone: "UTC",
};

pub const RESERVATION_EXPIRY: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(5),
    timezone: "UTC",
};

pub const HUBSPOT_TOKEN_REFRESH: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(30),
    timezone: "UTC",
};

/// The functions of this capability.
pub fn functions() -> Vec<Function> {
    vec![
        worker!(
            "emails-worker",
            QueueName::Emails,
            Permissions::WRITE.email(),
            emails_worker::deliver_email
        ),
        http!(
            "leads-magic-link-validate",
            Access::Public,
            Permissions::READ.secrets(&[Secret::MagicLink]),
            magic_links::validate_magic_link
        ),
        schedule!(
            "daily-lead-reminders",
            DAILY_LEAD_REMINDERS,
            Permissions::WRITE
                .sends(&[QueueName::Emails])
                .secrets(&[Secret::MagicLink]),
            lead_reminders::send_daily_reminders
        ),
        schedule!(
            "monthly-invoices",
            MONTHLY_INVOICES,
            Permissions::WRITE,
            unbuilt_schedules::monthly_invoices
        ),
        schedule!(
            "hubspot-sync",
            HUBSPOT_SYNC,
            Permissions::WRITE,
            unbuilt_schedules::hubspot_sync
        ),
        schedule!(
            "reservation-expiry",
            RESERVATION_EXPIRY,
            Permissions::WRITE,
            unbuilt_schedules::reservation_expiry
        ),
        schedule!(
            "hubspot-token-refresh",
            HUBSPOT_TOKEN_REFRESH,
            Permissions::WRITE,
            unbuilt_schedules::hubspot_token_refresh
        ),
    ]
}
