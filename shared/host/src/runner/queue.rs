//! Runs the queue workers of the function table against the embedded
//! queue, as SQS + Lambda would: a message is deleted only after its worker
//! succeeded, retried with backoff otherwise, and dead-lettered after its
//! fifth failure without holding up other messages. A poison message (the
//! worker says it can never succeed) is dead-lettered after its first try.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use pc_http::AppState;
use pc_http::functions::{Function, Trigger, WorkerFn};
use pc_platform::queue::QueueName;
use pc_platform::queue::embedded::EmbeddedQueue;

use super::in_flight::InFlight;

/// How long one message may take before it counts as failed.
const WORKER_TIMEOUT: Duration = Duration::from_secs(pc_http::functions::WORKER_TIMEOUT_SECONDS);
const BATCH: usize = 10;

/// The queues that have a worker, with it.
pub fn workers(functions: &[Function]) -> Vec<(QueueName, WorkerFn)> {
    functions
        .iter()
        .filter_map(|f| match f.trigger {
            Trigger::Queue(queue, worker) => Some((queue, worker)),
            _ => None,
        })
        .collect()
}

/// Receives and handles one batch of every queue; answers how many
/// messages were handled. The work counts as in flight from before the
/// receive, so a drain never misses a message this call has hidden.
pub async fn run_visible(
    ctx: &AppState,
    queue: &EmbeddedQueue,
    functions: &[Function],
    in_flight: &InFlight,
) -> usize {
    let _working = in_flight.enter();
    let mut handled = 0;
    for (name, worker) in workers(functions) {
        let messages = match queue.receive(name, BATCH).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(queue = %name, error = %e, "receive failed");
                continue;
            }
        };
        handled += messages.len();
        join_all(messages.iter().map(|message| async move {
            let outcome = tokio::time::timeout(WORKER_TIMEOUT, worker(ctx, message)).await;
            let result = match outcome {
                Ok(Ok(())) => queue.ack(name, message).await,
                Ok(Err(e)) if e.is_poison() => {
                    // The body is never logged: it may hold personal data.
                    let reason = e.to_string();
                    match queue.reject(name, message, &reason).await {
                        Ok(()) => {
                            tracing::warn!(queue = %name, message_id = %message.id, reason, "poison message dead-lettered without retries");
                            Ok(())
                        }
                        // It is retried like any failure rather than lost.
                        Err(dead) => {
                            tracing::error!(queue = %name, message_id = %message.id, reason, error = %dead, "could not dead-letter a poison message");
                            queue.nack(name, message, &reason).await
                        }
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(queue = %name, message_id = %message.id, attempt = message.receive_count, error = %e, "worker failed");
                    queue.nack(name, message, &e.to_string()).await
                }
                Err(_) => queue.nack(name, message, "worker timed out").await,
            };
            if let Err(e) = result {
                tracing::error!(queue = %name, error = %e, "could not settle message");
            }
        }))
        .await;
    }
    handled
}

/// Keeps handling messages until `shutdown` turns true.
pub fn spawn(
    ctx: AppState,
    queue: Arc<EmbeddedQueue>,
    functions: &'static [Function],
    in_flight: InFlight,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            if run_visible(&ctx, &queue, functions, &in_flight).await > 0 {
                continue;
            }
            tokio::select! {
                _ = queue.sent.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = shutdown.changed() => {}
            }
        }
    })
}
