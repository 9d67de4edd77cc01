//! The embedded scheduler: fires each schedule of the function table when
//! the (settable) clock passes its next time, in the schedule's own time
//! zone, exactly as EventBridge Scheduler would.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use pc_http::AppState;
use pc_http::functions::{Function, JobFn, Schedule, Trigger};

use super::in_flight::InFlight;

struct Entry {
    name: &'static str,
    schedule: Schedule,
    job: JobFn,
    next: DateTime<Utc>,
}

/// The schedules of the function table with their next firing; shared by
/// the background ticker and the drain, so a firing is taken once.
#[derive(Clone)]
pub struct Schedules {
    entries: Arc<Mutex<Vec<Entry>>>,
}

impl Schedules {
    pub fn new(functions: &[Function], now: DateTime<Utc>) -> Self {
        let entries = functions
            .iter()
            .filter_map(|f| match f.trigger {
                Trigger::Schedule(schedule, job) => Some(Entry {
                    name: f.name,
                    schedule,
                    job,
                    next: schedule.next_after(now),
                }),
                _ => None,
            })
            .collect();
        Self {
            entries: Arc::new(Mutex::new(entries)),
        }
    }

    /// The schedules due at `now`, each armed for its next firing.
    pub fn take_due(&self, now: DateTime<Utc>) -> Vec<(&'static str, JobFn)> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let mut due = Vec::new();
        for entry in entries.iter_mut() {
            let upcoming = entry.schedule.next_after(now);
            if now >= entry.next {
                due.push((entry.name, entry.job));
                entry.next = upcoming;
            } else if entry.next > upcoming {
                // The clock moved backwards: re-arm from the new time.
                entry.next = upcoming;
            }
        }
        due
    }
}

/// Runs one scheduled firing and records it.
pub async fn run(ctx: &AppState, name: &'static str, job: JobFn) {
    if let Err(e) = crate::jobs::execute(ctx, name, job, None).await {
        tracing::error!(job = name, error = %e, "scheduled run could not be recorded");
    }
}

/// Checks the clock twice a second and starts each due schedule.
pub fn spawn(
    ctx: AppState,
    schedules: Schedules,
    in_flight: InFlight,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            for (name, job) in schedules.take_due(ctx.clock.now()) {
                let (ctx, working) = (ctx.clone(), in_flight.enter());
                tokio::spawn(async move {
                    run(&ctx, name, job).await;
                    // The context goes before the work is counted done, so
                    // a stopped server leaves nothing holding the store.
                    drop(ctx);
                    drop(working);
                });
            }
        }
    })
}
