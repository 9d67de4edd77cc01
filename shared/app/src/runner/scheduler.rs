//! The embedded scheduler: fires each schedule of the function table when
//! the (settable) clock passes its next time, in the schedule's own time
//! zone, exactly as EventBridge Scheduler would.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use pc_api::AppState;
use pc_api::functions::{Function, JobFn, Schedule, Trigger};

struct Entry {
    name: &'static str,
    schedule: Schedule,
    job: JobFn,
    next: DateTime<Utc>,
}

fn entries(functions: &'static [Function], now: DateTime<Utc>) -> Vec<Entry> {
    functions
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
        .collect()
}

pub fn spawn(
    ctx: AppState,
    functions: &'static [Function],
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut entries = entries(functions, ctx.clock.now());
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            let now = ctx.clock.now();
            for entry in &mut entries {
                let upcoming = entry.schedule.next_after(now);
                if now >= entry.next {
                    let (ctx, name, job) = (ctx.clone(), entry.name, entry.job);
                    tokio::spawn(async move {
                        if let Err(e) = crate::jobs::execute(&ctx, name, job, None).await {
                            tracing::error!(job = name, error = %e, "scheduled run could not be recorded");
                        }
                    });
                    entry.next = upcoming;
                } else if entry.next > upcoming {
                    // The clock moved backwards: re-arm from the new time.
                    entry.next = upcoming;
                }
            }
        }
    })
}
