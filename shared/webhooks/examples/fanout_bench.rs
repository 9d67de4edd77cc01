//! The webhook fan-out benchmark (embedded store and queue, in process, a
//! real HTTP receiver on 127.0.0.1): 1,000 partners subscribed to every
//! event (`BENCH_PARTNERS`) and one event concerning all of them.
//!
//! 1. Fan-out to a healthy receiver: deliveries per second from the event
//!    on the queue to the last delivery received, p50/p99 event-to-delivery
//!    (the event's `occurredAt` to the receiver's arrival time), and that
//!    every delivery arrived exactly once (zero lost, zero duplicated).
//! 2. The receiver fails for 10 minutes, then recovers: the 10 minutes
//!    pass on the settable clock, a minute at a time, with the
//!    `webhook-retries` sweep and the worker run after each; then the
//!    clock moves on until every delivery arrived. Reports the attempts
//!    made and that each delivery was accepted exactly once.
//!
//! `cargo run --release -p pc-webhooks --example fanout_bench`

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde_json::json;

use pc_accounts::partners_store::{PartnerRecord, WebhookPreferences, partner_item};
use pc_accounts::webhook_secret;
use pc_http::AppState;
use pc_http::partner_events::PartnerEvent;
use pc_platform::cipher::FieldCipher;
use pc_platform::config::Config;
use pc_platform::context::EmbeddedParts;
use pc_platform::queue::QueueName;
use pc_platform::queue::embedded::EmbeddedQueue;
use pc_platform::store::embedded::EmbeddedStore;
use pc_webhooks::retries::send_due_retries;
use pc_webhooks::worker::webhook_deliveries_worker;

/// Messages handled at once, as a worker fleet would.
const CONCURRENCY: usize = 64;

#[derive(Clone, Default)]
struct Receiver {
    failing: Arc<AtomicBool>,
    /// Accepted deliveries: idempotency key → arrival times.
    accepted: Arc<Mutex<HashMap<String, Vec<DateTime<Utc>>>>>,
    requests: Arc<std::sync::atomic::AtomicU64>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap) -> StatusCode {
    r.requests.fetch_add(1, Ordering::Relaxed);
    if r.failing.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Ok(mut accepted) = r.accepted.lock() {
        accepted.entry(key).or_default().push(Utc::now());
    }
    StatusCode::NO_CONTENT
}

async fn start_receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

/// Handles every visible message of `webhook-deliveries` until none is
/// left, `CONCURRENCY` at a time; answers how many were handled.
async fn run_queue(ctx: &AppState, queue: &EmbeddedQueue) -> usize {
    let mut handled = 0;
    loop {
        let batch = queue
            .receive(QueueName::WebhookDeliveries, CONCURRENCY * 4)
            .await
            .unwrap();
        if batch.is_empty() {
            return handled;
        }
        handled += batch.len();
        futures::stream::iter(batch)
            .for_each_concurrent(CONCURRENCY, |message| async move {
                match webhook_deliveries_worker(ctx, &message).await {
                    Ok(()) => queue
                        .ack(QueueName::WebhookDeliveries, &message)
                        .await
                        .unwrap(),
                    Err(e) => panic!("a delivery message failed: {e:?}"),
                }
            })
            .await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn seed(ctx: &AppState, partners: usize, url: &str) -> Vec<String> {
    let cipher = FieldCipher::from_config(&ctx.config).unwrap();
    let now = ctx.clock.now();
    let mut ids = Vec::new();
    for i in 0..partners {
        let id = format!("p{i:05}");
        let mut partner = PartnerRecord::new_active(&id, &format!("Partner {i}"), &id, now);
        partner.notification_preferences.webhook = Some(WebhookPreferences {
            url: url.to_owned(),
            secret: String::new(),
            sealed_secret: Some(webhook_secret::seal(
                &cipher,
                &id,
                &webhook_secret::generate(),
            )),
            events: vec!["*".into()],
        });
        ctx.store
            .put(partner_item(&partner).unwrap(), None)
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

async fn push(ctx: &AppState, id: &str, partners: &[String]) -> PartnerEvent {
    let event = PartnerEvent {
        id: id.to_owned(),
        event_type: "marketplace.lead_listed".into(),
        partner_ids: partners.to_vec(),
        occurred_at: ctx.clock.now(),
        data: json!({"leadId": "01JBENCHLEAD", "industry": "software"}),
    };
    ctx.queue.send_message(&event).await.unwrap();
    event
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let partners: usize = std::env::var("BENCH_PARTNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut config = Config::local_defaults();
    config.webhook_local_receivers = true;
    config.webhook_retries_on_queue = false;
    let parts = EmbeddedParts::new(Arc::new(EmbeddedStore::in_memory()), config);
    let (ctx, queue, clock) = (parts.context, parts.queue, parts.clock);
    let (url, receiver) = start_receiver().await;
    let ids = seed(&ctx, partners, &url).await;

    // 1. Fan-out to a healthy receiver.
    let started = Instant::now();
    let event = push(&ctx, "evt-bench-1", &ids).await;
    let handled = run_queue(&ctx, &queue).await;
    let elapsed = started.elapsed();
    let accepted = receiver.accepted.lock().unwrap().clone();
    let mut latencies: Vec<f64> = accepted
        .values()
        .flatten()
        .map(|at| (*at - event.occurred_at).num_microseconds().unwrap_or(0) as f64 / 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let duplicates = accepted.values().filter(|v| v.len() > 1).count();
    println!("fan-out: {partners} partners x 1 event, {handled} queue messages");
    println!(
        "  delivered {} / {partners} (lost {}, duplicated {duplicates}) in {:.2} s: {:.0} deliveries/s",
        accepted.len(),
        partners - accepted.len(),
        elapsed.as_secs_f64(),
        accepted.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  event-to-delivery p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    assert_eq!(accepted.len(), partners, "every delivery arrived");
    assert_eq!(duplicates, 0, "none twice");

    // 2. The receiver fails for 10 minutes of the clock, then recovers.
    receiver.accepted.lock().unwrap().clear();
    let before = receiver.requests.load(Ordering::Relaxed);
    receiver.failing.store(true, Ordering::SeqCst);
    push(&ctx, "evt-bench-2", &ids).await;
    run_queue(&ctx, &queue).await;
    for _ in 0..10 {
        clock.advance(Duration::minutes(1));
        send_due_retries(&ctx, ctx.clock.now()).await.unwrap();
        run_queue(&ctx, &queue).await;
    }
    let failed_requests = receiver.requests.load(Ordering::Relaxed) - before;
    receiver.failing.store(false, Ordering::SeqCst);
    let mut minutes_after = 0;
    while receiver.accepted.lock().unwrap().len() < partners && minutes_after < 120 {
        clock.advance(Duration::minutes(1));
        minutes_after += 1;
        send_due_retries(&ctx, ctx.clock.now()).await.unwrap();
        run_queue(&ctx, &queue).await;
    }
    let accepted = receiver.accepted.lock().unwrap().clone();
    let duplicates = accepted.values().filter(|v| v.len() > 1).count();
    println!("receiver failing for 10 minutes (clock), then recovering:");
    println!(
        "  {failed_requests} failed attempts in the 10 minutes ({:.1} per delivery)",
        failed_requests as f64 / partners as f64
    );
    println!(
        "  delivered {} / {partners} within {minutes_after} minutes of recovery (lost {}, duplicated {duplicates})",
        accepted.len(),
        partners - accepted.len()
    );
    assert_eq!(
        accepted.len(),
        partners,
        "every delivery arrived after recovery"
    );
    assert_eq!(duplicates, 0, "none twice");
}
