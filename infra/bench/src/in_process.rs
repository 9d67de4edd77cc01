//! The handler alone, in this process on a store that counts its calls:
//! latency without a process or the Runtime API around it, and the store
//! round trips per request.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;

use pc_host::{lambda, socket_lambda};
use pc_http::functions::{Function, Trigger};
use pc_platform::EmbeddedParts;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;

use crate::figures::percentile;
use crate::invocations::{Local, invocation};
use crate::seed::{Seeded, send};
use crate::settings::config;

/// Handler latency and round trips in process, on a counting store.
pub async fn in_process(
    dir: &Path,
    function: &'static Function,
    seeded: &Seeded,
    runs: usize,
) -> anyhow::Result<(Duration, Duration, usize)> {
    let counting = Arc::new(CountingStore::new(Arc::new(EmbeddedStore::open(
        &dir.join("store.redb"),
    )?)));
    let ctx = EmbeddedParts::new(counting.clone(), config()).context;
    let secret = ctx
        .config
        .secrets
        .current(pc_platform::config::Secret::ChilipiperWebhook)
        .unwrap()
        .to_string();
    let app = match function.trigger {
        Trigger::Webhook(_) => lambda::webhook_app(&ctx, function),
        _ => lambda::http_app(&ctx, function),
    };
    let mut timings = Vec::with_capacity(runs);
    let mut round_trips = 0;
    for n in 0..runs + 5 {
        let invocation = invocation(function, seeded, &secret, n)?;
        counting.take();
        let started = Instant::now();
        match (invocation.local, function.trigger) {
            (Local::Http(req), _) => {
                let (status, _, body) = send(&app, req).await?;
                if status >= 500 {
                    bail!("{} answered {status}: {body}", function.name);
                }
            }
            (Local::Sqs(event), Trigger::Queue(queue, worker)) => {
                let answer = lambda::handle_sqs(&ctx, function.name, queue, worker, event).await;
                if !answer.batch_item_failures.is_empty() {
                    bail!("{} failed its message", function.name);
                }
            }
            (Local::Schedule(event), Trigger::Schedule(_, job)) => {
                lambda::handle_schedule(&ctx, function.name, job, event)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            (Local::Socket(event), Trigger::Socket(route, handler)) => {
                let response =
                    socket_lambda::handle_socket(&ctx, function.name, route, handler, *event).await;
                if response.status_code >= 500 {
                    bail!("{} answered {}", function.name, response.status_code);
                }
            }
            (Local::Bus(event), Trigger::BusRule(_, handler)) => {
                socket_lambda::handle_bus_rule(&ctx, function.name, handler, event)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            _ => bail!("mismatched invocation"),
        }
        let elapsed = started.elapsed();
        let calls = counting.take();
        if n >= 5 {
            timings.push(elapsed);
            round_trips = round_trips.max(calls);
        }
    }
    timings.sort();
    Ok((
        percentile(&timings, 0.5),
        percentile(&timings, 0.99),
        round_trips,
    ))
}
