//! Runs the queue workers of the function table against SQS when the dev
//! server runs on the AWS adapters: long-poll each worker's queue, delete a
//! message once its worker succeeded, otherwise hide it for a backoff and
//! let the queue's redrive policy dead-letter it after five receives. A
//! poison message goes to the dead-letter queue after its first try.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use pc_aws::SqsQueue;
use pc_http::AppState;
use pc_http::functions::{Function, WorkerFn};
use pc_platform::queue::{Queue, QueueMessage, QueueName};

use super::in_flight::InFlight;
use super::queue::workers;

const WORKER_TIMEOUT: Duration = Duration::from_secs(pc_http::functions::WORKER_TIMEOUT_SECONDS);

/// Handles one received batch of `name`.
async fn handle(
    ctx: &AppState,
    queue: &SqsQueue,
    name: QueueName,
    worker: WorkerFn,
    messages: &[(QueueMessage, String)],
) {
    join_all(messages.iter().map(|(message, receipt)| async move {
        let settled = match tokio::time::timeout(WORKER_TIMEOUT, worker(ctx, message)).await {
            Ok(Ok(())) => queue.ack(name, receipt).await,
            Ok(Err(e)) if e.is_poison() => {
                // The body is never logged: it may hold personal data.
                let reason = e.to_string();
                match queue.dead_letter(name, &message.body, &reason).await {
                    Ok(()) => {
                        tracing::warn!(queue = %name, message_id = %message.id, reason, "poison message dead-lettered without retries");
                        queue.ack(name, receipt).await
                    }
                    // It is retried like any failure rather than lost.
                    Err(dead) => {
                        tracing::error!(queue = %name, message_id = %message.id, reason, error = %dead, "could not dead-letter a poison message");
                        queue.nack(name, message, receipt, &reason).await
                    }
                }
            }
            Ok(Err(e)) => queue.nack(name, message, receipt, &e.to_string()).await,
            Err(_) => queue.nack(name, message, receipt, "worker timed out").await,
        };
        if let Err(e) = settled {
            tracing::error!(queue = %name, error = %e, "could not settle message");
        }
    }))
    .await;
}

/// Handles what is visible now on every queue that has a worker, without
/// waiting; answers how many messages were handled.
pub async fn run_visible(
    ctx: &AppState,
    queue: &SqsQueue,
    functions: &[Function],
    in_flight: &InFlight,
) -> usize {
    let mut handled = 0;
    for (name, worker) in workers(functions) {
        let _working = in_flight.enter();
        match queue.receive(name, 10, 0).await {
            Ok(messages) => {
                handle(ctx, queue, name, worker, &messages).await;
                handled += messages.len();
            }
            Err(e) => tracing::error!(queue = %name, error = %e, "receive failed"),
        }
    }
    handled
}

/// One polling task per worker; each stops when `shutdown` turns true.
pub fn spawn(
    ctx: AppState,
    queue: Arc<SqsQueue>,
    functions: &'static [Function],
    in_flight: InFlight,
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    workers(functions)
        .into_iter()
        .map(|(name, worker)| {
            let (ctx, queue, in_flight, mut shutdown) = (
                ctx.clone(),
                queue.clone(),
                in_flight.clone(),
                shutdown.clone(),
            );
            tokio::spawn(async move {
                while !*shutdown.borrow() {
                    let received = tokio::select! {
                        r = queue.receive(name, 10, 1) => r,
                        _ = shutdown.changed() => break,
                    };
                    match received {
                        Ok(messages) => {
                            // Counted from the moment the messages are hidden: a
                            // drain also waits on the queue's own count, which
                            // covers the instant before this.
                            let _working = in_flight.enter();
                            handle(&ctx, &queue, name, worker, &messages).await;
                        }
                        Err(e) => {
                            tracing::error!(queue = %name, error = %e, "receive failed");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            })
        })
        .collect()
}
