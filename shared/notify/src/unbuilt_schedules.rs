//! The schedules whose work belongs to capabilities not built
//! yet. They are declared now, with their exact cadence and time zone, so
//! template.yaml, the function table and `GET /v1/admin/jobs` already list
//! them and they can be run on demand; each run does no work, says so in
//! its log line and its run record (the report's note), and counts zero.
//! The capability named in each note replaces the job's body.

use chrono::{DateTime, Utc};

use pc_api::AppState;
use pc_api::functions::{JobError, JobReport};

/// What an unbuilt job answers: a visible note and zero counts.
fn not_built_yet(job: &str, owner: &str) -> JobReport {
    let note = format!("{job}: not built yet; {owner} will do this work");
    tracing::warn!(job, owner, "scheduled job not built yet; nothing done");
    JobReport::default().count("processed", 0).note(note)
}

/// `hubspot-sync` (every 15 minutes): syncs leads with HubSpot. The
/// HubSpot capability is not built yet.
pub async fn hubspot_sync(_ctx: &AppState, _at: DateTime<Utc>) -> Result<JobReport, JobError> {
    Ok(not_built_yet("hubspot-sync", "the HubSpot capability"))
}

/// `reservation-expiry` (every 5 minutes): releases expired marketplace
/// reservations. The marketplace is not built yet.
pub async fn reservation_expiry(
    _ctx: &AppState,
    _at: DateTime<Utc>,
) -> Result<JobReport, JobError> {
    Ok(not_built_yet("reservation-expiry", "the marketplace"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::context::EmbeddedParts;

    #[tokio::test]
    async fn unbuilt_jobs_say_so_and_count_nothing() {
        let ctx = EmbeddedParts::in_memory().context;
        let now = ctx.clock.now();
        for report in [
            hubspot_sync(&ctx, now).await.unwrap(),
            reservation_expiry(&ctx, now).await.unwrap(),
        ] {
            assert!(report.note.as_deref().unwrap().contains("not built yet"));
            assert_eq!(report.counts["processed"], 0);
        }
    }
}
