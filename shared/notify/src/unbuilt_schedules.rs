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

/// `hubspot-token-refresh` (every 30 minutes): refreshes HubSpot OAuth
/// tokens before they expire. The HubSpot capability is not
/// built yet.
pub async fn hubspot_token_refresh(
    _ctx: &AppState,
    _at: DateTime<Utc>,
) -> Result<JobReport, JobError> {
    Ok(not_built_yet(
        "hubspot-token-refresh",
        "the HubSpot capability",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::context::EmbeddedParts;

    #[tokio::test]
    async fn unbuilt_jobs_say_so_and_count_nothing() {
        let ctx = EmbeddedParts::in_memory().context;
        let now = ctx.clock.now();
        for report in [hubspot_token_refresh(&ctx, now).await.unwrap()] {
            assert!(report.note.as_deref().unwrap().contains("not built yet"));
            assert_eq!(report.counts["processed"], 0);
        }
    }
}
