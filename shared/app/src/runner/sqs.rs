//! Runs the queue workers of the function table against SQS when the dev
//! server runs on the AWS adapters: long-poll each worker's queue, delete a
//! message once its worker succeeded, otherwise hide it for a backoff and
//! let the queue's redrive policy dead-letter it after five receives.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use pc_api::AppState;
use pc_api::functions::{Function, Trigger};
use pc_aws::SqsQueue;

const WORKER_TIMEOUT: Duration = Duration::from_secs(30);

/// One polling task per worker; each stops when `shutdown` turns true.
pub fn spawn(
    ctx: AppState,
    queue: Arc<SqsQueue>,
    functions: &'static [Function],
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    functions
        .iter()
        .filter_map(|f| match f.trigger {
            Trigger::Queue(name, worker) => Some((name, worker)),
            _ => None,
        })
        .map(|(name, worker)| {
            let (ctx, queue, mut shutdown) = (ctx.clone(), queue.clone(), shutdown.clone());
            tokio::spawn(async move {
                while !*shutdown.borrow() {
                    let received = tokio::select! {
                        r = queue.receive(name, 10, 1) => r,
                        _ = shutdown.changed() => break,
                    };
                    let messages = match received {
                        Ok(m) => m,
                        Err(e) => {
                            tracing::error!(queue = %name, error = %e, "receive failed");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            continue;
                        }
                    };
                    join_all(messages.iter().map(|(message, receipt)| {
                        let (ctx, queue) = (&ctx, &queue);
                        async move {
                            let settled = match tokio::time::timeout(WORKER_TIMEOUT, worker(ctx, message)).await {
                                Ok(Ok(())) => queue.ack(name, receipt).await,
                                Ok(Err(e)) => queue.nack(name, message, receipt, &e.to_string()).await,
                                Err(_) => queue.nack(name, message, receipt, "worker timed out").await,
                            };
                            if let Err(e) = settled {
                                tracing::error!(queue = %name, error = %e, "could not settle message");
                            }
                        }
                    }))
                    .await;
                }
            })
        })
        .collect()
}
