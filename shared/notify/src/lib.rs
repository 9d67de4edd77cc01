//! Email and schedules: the email templates and the
//! `emails` queue worker that sends each job once, the daily lead
//! reminders with their magic links.

pub mod email_sends_store;
pub mod emails_worker;
pub mod functions;
pub mod keys;
pub mod lead_reminders;
pub mod magic_links;
pub mod templates;

use pc_http::functions::{Cadence, Schedule};

/// When the daily lead reminders go out: 09:00 in Los Angeles, whatever
/// the season (EventBridge Scheduler applies the zone's daylight saving).
pub const DAILY_LEAD_REMINDERS: Schedule = Schedule {
    cadence: Cadence::Daily { hour: 9, minute: 0 },
    timezone: "America/Los_Angeles",
};

/// The schedules of this capability by function name, without their jobs:
/// the owner operations list and start runs from these (with the other
/// capabilities'), so their binaries link no job (a test keeps it equal to
/// the schedule functions).
pub const SCHEDULES: &[(&str, Schedule)] = &[("daily-lead-reminders", DAILY_LEAD_REMINDERS)];

#[cfg(test)]
mod tests {
    use pc_http::functions::schedules_of;

    #[test]
    fn schedules_are_the_schedule_functions() {
        assert_eq!(schedules_of(&super::functions::all()), super::SCHEDULES);
    }
}
