//! The outbox's deployed relays: `outbox-relay`, invoked by the table's
//! stream for each new outbox item (AWS), and the `outbox-sweep` schedule,
//! which sends whatever outbox items are older than a few seconds (a send
//! that failed, a stream that lagged) on every backend. The relay logic
//! itself lives in `pc_platform::outbox`.

use chrono::{DateTime, Utc};

use pc_http::functions::{Cadence, JobError, JobReport, Schedule, WorkerError};
use pc_http::{AppState, BoxFuture};
use pc_platform::outbox;
use pc_platform::store::Key;

/// Every minute: the safety net's delay for a message whose first send failed.
pub const OUTBOX_SWEEP: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(1),
    timezone: "UTC",
};

/// Relays the outbox items created before `now - SWEEP_AGE`.
pub async fn sweep_outbox(ctx: &AppState, _at: DateTime<Utc>) -> Result<JobReport, JobError> {
    let report = outbox::sweep(&*ctx.store, &*ctx.queue, ctx.clock.now())
        .await
        .map_err(JobError::new)?;
    Ok(JobReport::default()
        .count("relayed", report.relayed)
        .count("failed", report.failed))
}

/// The `outbox-relay` stream handler.
pub fn relay_stream_record<'a>(
    ctx: &'a AppState,
    key: &'a Key,
) -> BoxFuture<'a, Result<(), WorkerError>> {
    Box::pin(relay_outbox_item(ctx, key))
}

/// Relays the new outbox item at `key` (already relayed or swept: nothing).
pub async fn relay_outbox_item(ctx: &AppState, key: &Key) -> Result<(), WorkerError> {
    outbox::relay_key(&*ctx.store, &*ctx.queue, key)
        .await
        .map(|_| ())
        .map_err(WorkerError::new)
}
