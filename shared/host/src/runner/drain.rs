//! The drain: runs everything the system has pending to completion — due
//! schedules, and every queued message until each queue is empty (handled,
//! or dead-lettered after its retries) — with nothing left in flight. Tests
//! call it instead of sleeping, so they wait exactly as long as the work.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pc_aws::SqsQueue;
use pc_http::AppState;
use pc_http::functions::Function;
use pc_platform::queue::embedded::EmbeddedQueue;

use super::in_flight::InFlight;
use super::queue::workers;
use super::scheduler::{self, Schedules};

/// How long a drain may take before it reports what is still pending.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);

/// The queue the dev server's workers run on.
#[derive(Clone)]
pub enum Queues {
    Embedded(Arc<EmbeddedQueue>),
    Sqs(Arc<SqsQueue>),
}

impl Queues {
    async fn run_visible(
        &self,
        ctx: &AppState,
        functions: &[Function],
        in_flight: &InFlight,
    ) -> usize {
        match self {
            Queues::Embedded(q) => super::queue::run_visible(ctx, q, functions, in_flight).await,
            Queues::Sqs(q) => super::sqs::run_visible(ctx, q, functions, in_flight).await,
        }
    }

    /// Messages not yet deleted from the queues that have a worker (waiting,
    /// being handled by any receiver, or hidden for a retry).
    async fn pending(&self, functions: &[Function]) -> u64 {
        let mut total = 0;
        for (name, _) in workers(functions) {
            let counted = match self {
                Queues::Embedded(q) => q.pending(name).await,
                Queues::Sqs(q) => q.pending(name).await,
            };
            match counted {
                Ok(n) => total += n,
                Err(e) => tracing::error!(queue = %name, error = %e, "cannot count messages"),
            }
        }
        total
    }
}

/// Everything a drain needs from the running dev server.
#[derive(Clone)]
pub struct Drain {
    pub ctx: AppState,
    pub queues: Queues,
    pub schedules: Schedules,
    pub in_flight: InFlight,
    pub functions: &'static [Function],
}

impl Drain {
    /// Runs due schedules and queued messages until nothing is pending or
    /// in flight. Messages waiting out a retry backoff are waited for, so a
    /// failing message ends handled or dead-lettered. Fails, saying what is
    /// left, if the work does not settle within two minutes.
    pub async fn run(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let due = self.schedules.take_due(self.ctx.clock.now());
            let ran_jobs = due.len();
            for (name, job) in due {
                scheduler::run(&self.ctx, name, job).await;
            }
            let handled = self
                .queues
                .run_visible(&self.ctx, self.functions, &self.in_flight)
                .await;
            if ran_jobs + handled > 0 {
                continue;
            }
            self.in_flight.idle().await;
            let pending = self.queues.pending(self.functions).await;
            if pending == 0 {
                return Ok(());
            }
            if started.elapsed() > DRAIN_LIMIT {
                anyhow::bail!("{pending} queued messages still pending after {DRAIN_LIMIT:?}");
            }
            // Hidden for a retry or being handled by a worker: look again soon.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
