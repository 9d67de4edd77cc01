//! `daily-lead-reminders`: at 09:00 America/Los_Angeles,
//! every active partner that keeps lead reminders on and has overdue leads
//! (meeting in the past, deal not won or lost) gets one email per active
//! user, listing the leads and carrying a 24-hour magic link to them.
//! Partners with nothing overdue get nothing.
//!
//! Once per day and user: each email job's id is
//! `reminder:<local date in Los Angeles>:<userId>`, and the emails worker
//! sends a job id once, so a second run the same day (a retry, an owner's
//! run on demand, the schedule firing after a manual run) sends nothing
//! twice, while the next day's run sends again.
//!
//! Scale: partners are read a page of [`PARTNERS_PAGE`] at a time from the
//! `PARTNERS` index, and [`PARTNER_CONCURRENCY`] partners of a page are
//! handled at once; each costs two queries (its overdue leads, then its
//! users only when there is something to say) plus one queue send per
//! user. The sends themselves fan out through the `emails` queue. At
//! ~10 ms per call that is well over a thousand partners a second, so tens
//! of thousands of partners fit in the Lambda's 15-minute limit; beyond
//! that the page loop is the place to hand pages to a queue of their own.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures::{StreamExt, stream};
use serde_json::{Value, json};

use pc_accounts::partners_store::{PartnerPages, PartnerRecord, PartnerStatus};
use pc_accounts::users_store::active_users_of_partner;
use pc_http::AppState;
use pc_http::functions::{JobError, JobReport};
use pc_leads::{OverdueLead, overdue_leads_for_partner};
use pc_platform::email::{self, EmailJob, data};
use pc_platform::store::StoreError;

use crate::magic_links;

/// The schedule's own time zone: the day of a reminder is its local date.
pub const REMINDER_ZONE: Tz = chrono_tz::America::Los_Angeles;
/// Partners read per page of the `PARTNERS` index.
pub const PARTNERS_PAGE: usize = 100;
/// Partners of a page handled at the same time.
pub const PARTNER_CONCURRENCY: usize = 16;
/// Most leads one email lists (the magic link opens all of them); keeps a
/// job well under the queue's message size.
pub const MAX_LISTED_LEADS: usize = 100;

/// The email job id of `user_id`'s reminder on local `day`.
pub fn reminder_job_id(day: NaiveDate, user_id: &str) -> String {
    format!("reminder:{day}:{user_id}")
}

/// What one partner's turn did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct PartnerOutcome {
    skipped_inactive: bool,
    opted_out: bool,
    had_overdue: bool,
    emails_queued: u64,
}

#[derive(Debug, Default)]
struct Tally {
    partners: u64,
    inactive: u64,
    opted_out: u64,
    with_overdue: u64,
    emails_queued: u64,
    failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, outcome: PartnerOutcome) {
        self.partners += 1;
        self.inactive += u64::from(outcome.skipped_inactive);
        self.opted_out += u64::from(outcome.opted_out);
        self.with_overdue += u64::from(outcome.had_overdue);
        self.emails_queued += outcome.emails_queued;
    }

    fn report(self, day: NaiveDate) -> JobReport {
        let report = JobReport::default()
            .count("partners", self.partners)
            .count("partnersInactive", self.inactive)
            .count("partnersOptedOut", self.opted_out)
            .count("partnersWithOverdueLeads", self.with_overdue)
            .count("emailsQueued", self.emails_queued)
            .count("errors", self.failures.len() as u64);
        match self.failures.first() {
            // The other partners were served; a rerun is safe and retries
            // only what is missing.
            Some(first) => report.note(format!(
                "reminders of {day}: {} partner(s) failed, first: {first}",
                self.failures.len()
            )),
            None => report.note(format!("reminders of {day}")),
        }
    }
}

/// The job: runs for the Los Angeles day of `at`.
pub async fn send_daily_reminders(
    ctx: &AppState,
    at: DateTime<Utc>,
) -> Result<JobReport, JobError> {
    let day = at.with_timezone(&REMINDER_ZONE).date_naive();
    let mut tally = Tally::default();
    let mut pages = PartnerPages::new(&*ctx.store, PARTNERS_PAGE);
    while let Some(partners) = pages
        .next()
        .await
        .map_err(|e| JobError::new(format!("listing partners: {e}")))?
    {
        let outcomes: Vec<_> = stream::iter(partners)
            .map(|partner| async move {
                let outcome = remind_partner(ctx, &partner, at, day).await;
                outcome.map_err(|e| StoreError::Backend(format!("partner {}: {e}", partner.id)))
            })
            .buffer_unordered(PARTNER_CONCURRENCY)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                Ok(outcome) => tally.add(outcome),
                Err(e) => {
                    tracing::error!(error = %e, "lead reminders of a partner failed");
                    tally.failures.push(e.to_string());
                }
            }
        }
    }
    tracing::info!(
        %day,
        partners = tally.partners,
        with_overdue = tally.with_overdue,
        emails_queued = tally.emails_queued,
        errors = tally.failures.len(),
        "daily lead reminders queued"
    );
    Ok(tally.report(day))
}

/// One partner: its overdue leads, then one email job per active user.
async fn remind_partner(
    ctx: &AppState,
    partner: &PartnerRecord,
    at: DateTime<Utc>,
    day: NaiveDate,
) -> Result<PartnerOutcome, ReminderError> {
    let mut outcome = PartnerOutcome::default();
    if partner.status != PartnerStatus::Active {
        outcome.skipped_inactive = true;
        return Ok(outcome);
    }
    if !partner.notification_preferences.email.lead_reminder {
        outcome.opted_out = true;
        return Ok(outcome);
    }
    let store = ctx.store.as_ref();
    let overdue = overdue_leads_for_partner(store, &partner.id, at).await?;
    if overdue.is_empty() {
        return Ok(outcome);
    }
    outcome.had_overdue = true;
    let users = active_users_of_partner(store, &partner.id).await?;
    let token = magic_links::overdue_token(
        &ctx.config
            .secrets
            .current(pc_platform::config::Secret::MagicLink)?,
        &partner.id,
        at,
    );
    let magic_link = magic_links::overdue_link(&ctx.config.client_url, &token);
    let leads = listed_leads(&overdue, at);
    for user in users {
        let job = EmailJob::new(
            reminder_job_id(day, &user.id),
            user.email.clone(),
            &data::LeadReminder {
                name: user.name.clone(),
                partner_name: partner.name.clone(),
                leads: leads.clone(),
                overdue_count: overdue.len(),
                magic_link: magic_link.clone(),
            },
        );
        email::enqueue(ctx.queue.as_ref(), &job).await?;
        outcome.emails_queued += 1;
    }
    Ok(outcome)
}

#[derive(Debug, thiserror::Error)]
enum ReminderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] pc_platform::queue::QueueError),
    #[error(transparent)]
    Secret(#[from] pc_platform::config::MissingSecret),
}

/// The reminder's rows: email, company and whole days since the last update.
fn listed_leads(overdue: &[OverdueLead], at: DateTime<Utc>) -> Vec<Value> {
    overdue
        .iter()
        .take(MAX_LISTED_LEADS)
        .map(|lead| {
            json!({
                "email": lead.email,
                "company": lead.company.clone().unwrap_or_default(),
                "daysSinceUpdate": (at - lead.updated_at).num_days().max(0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_reminder_day_is_the_los_angeles_date() {
        // 07:00 UTC on the 16th is still the 15th in Los Angeles.
        let day = at("2024-01-16T07:00:00Z")
            .with_timezone(&REMINDER_ZONE)
            .date_naive();
        assert_eq!(reminder_job_id(day, "u1"), "reminder:2024-01-15:u1");
        let summer = at("2024-07-15T16:00:00Z")
            .with_timezone(&REMINDER_ZONE)
            .date_naive();
        assert_eq!(reminder_job_id(summer, "u1"), "reminder:2024-07-15:u1");
    }

    #[test]
    fn rows_count_whole_days_and_stop_at_the_cap() {
        let now = at("2024-01-15T17:00:00Z");
        let lead = OverdueLead {
            id: "l1".into(),
            email: "a@b.co".into(),
            first_name: None,
            last_name: None,
            company: None,
            scheduled_date: at("2024-01-10T17:00:00Z"),
            updated_at: at("2024-01-12T16:00:00Z"),
        };
        let rows = listed_leads(std::slice::from_ref(&lead), now);
        assert_eq!(
            rows[0],
            json!({"email": "a@b.co", "company": "", "daysSinceUpdate": 3})
        );
        let many = vec![lead; MAX_LISTED_LEADS + 5];
        assert_eq!(listed_leads(&many, now).len(), MAX_LISTED_LEADS);
    }
}
