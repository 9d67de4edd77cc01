//! Email and schedules (SPEC.md §4): the email templates and the
//! `emails` queue worker that sends each job once, the daily lead
//! reminders with their magic links, and the declarations of every
//! schedule of the system.

pub mod email_sends_store;
pub mod emails_worker;
pub mod functions;
pub mod lead_reminders;
pub mod magic_links;
pub mod templates;
pub mod unbuilt_schedules;

use pc_api::functions::{Cadence, Schedule};

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
