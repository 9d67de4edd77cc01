//! The emails worker run by the embedded queue runner (as SQS + Lambda
//! would run it) against an email sender double: throttled sends are
//! retried and dead-lettered after five tries without holding up other
//! emails; rejected sends are recorded and dropped; a job delivered twice
//! is sent once; a malformed job ends in the dead-letter queue unsent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use pc_host::runner::in_flight::InFlight;
use pc_host::runner::queue::run_visible;
use pc_notify::email_sends_store;
use pc_platform::context::{AppContext, EmbeddedParts};
use pc_platform::email::{EmailError, EmailJob, EmailKind, EmailSender, OutgoingEmail, enqueue};
use pc_platform::queue::embedded::EmbeddedQueue;
use pc_platform::queue::{MAX_RECEIVES, Queue, QueueName};
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::{AppState, store::Store};

/// Fails every send to `throttled@…` with `Throttled` and to `blocked@…`
/// with `Rejected`; records every call.
#[derive(Default)]
struct FlakyProvider {
    calls: Mutex<Vec<OutgoingEmail>>,
}

impl FlakyProvider {
    fn calls_to(&self, to: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to == to)
            .count()
    }
}

#[async_trait]
impl EmailSender for FlakyProvider {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, EmailError> {
        self.calls.lock().unwrap().push(email.clone());
        match email.to.as_str() {
            "throttled@example.com" => Err(EmailError::Throttled),
            "blocked@example.com" => {
                Err(EmailError::Rejected("address on suppression list".into()))
            }
            _ => Ok(format!("msg-{}", self.calls.lock().unwrap().len())),
        }
    }
}

struct Harness {
    ctx: AppState,
    queue: Arc<EmbeddedQueue>,
    provider: Arc<FlakyProvider>,
}

fn harness() -> Harness {
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
    let parts = EmbeddedParts::new(store.clone(), pc_platform::config::Config::local_defaults());
    // No backoff between tries, so five tries take no time.
    let queue = Arc::new(EmbeddedQueue::new(store.clone()).with_retry_delay(Duration::ZERO));
    let provider = Arc::new(FlakyProvider::default());
    let base = parts.context;
    let ctx = Arc::new(AppContext {
        store,
        queue: queue.clone(),
        email: provider.clone(),
        bus: base.bus.clone(),
        objects: base.objects.clone(),
        payments: base.payments.clone(),
        crm: base.crm.clone(),
        push: base.push.clone(),
        clock: base.clock.clone(),
        ids: base.ids.clone(),
        config: base.config.clone(),
    });
    Harness {
        ctx,
        queue,
        provider,
    }
}

fn reset_job(id: &str, to: &str) -> EmailJob {
    EmailJob {
        id: id.into(),
        kind: EmailKind::PasswordReset,
        to: to.into(),
        data: json!({"name": "Ann", "link": "/reset-password?token=t"}),
    }
}

impl Harness {
    /// Drains until nothing is left to handle (or gives up after `rounds`).
    async fn drain(&self, rounds: usize) {
        let functions = pc_notify::functions::all();
        for _ in 0..rounds {
            if run_visible(&self.ctx, &self.queue, &functions, &InFlight::default()).await == 0 {
                // Failed messages become visible again after a zero delay.
                tokio::time::sleep(Duration::from_millis(5)).await;
                if run_visible(&self.ctx, &self.queue, &functions, &InFlight::default()).await == 0
                {
                    return;
                }
            }
        }
    }

    async fn dead_letters(&self) -> Vec<String> {
        self.queue
            .dead_letters(QueueName::Emails, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|d| {
                serde_json::from_str::<EmailJob>(&d.body)
                    .map(|j| j.id)
                    .unwrap_or(d.body)
            })
            .collect()
    }
}

#[tokio::test]
async fn a_throttled_send_is_tried_five_times_then_dead_lettered_without_blocking_others() {
    let h = harness();
    enqueue(
        h.queue.as_ref(),
        &reset_job("slow", "throttled@example.com"),
    )
    .await
    .unwrap();
    enqueue(h.queue.as_ref(), &reset_job("fine", "ann@example.com"))
        .await
        .unwrap();
    h.drain(20).await;

    assert_eq!(
        h.provider.calls_to("throttled@example.com"),
        MAX_RECEIVES as usize
    );
    assert_eq!(h.provider.calls_to("ann@example.com"), 1);
    assert_eq!(h.dead_letters().await, vec!["slow".to_owned()]);
    let store = h.ctx.store.as_ref();
    assert_eq!(
        email_sends_store::status(store, "fine")
            .await
            .unwrap()
            .as_deref(),
        Some("sent")
    );
    // The claim was given back each time, so a redrive can send it at once.
    assert_eq!(
        email_sends_store::status(store, "slow")
            .await
            .unwrap()
            .as_deref(),
        Some("retry")
    );
}

#[tokio::test]
async fn a_rejected_send_is_recorded_and_not_retried() {
    let h = harness();
    enqueue(
        h.queue.as_ref(),
        &reset_job("blocked", "blocked@example.com"),
    )
    .await
    .unwrap();
    h.drain(10).await;
    assert_eq!(h.provider.calls_to("blocked@example.com"), 1);
    assert!(h.dead_letters().await.is_empty());
    let status = email_sends_store::status(h.ctx.store.as_ref(), "blocked")
        .await
        .unwrap();
    assert_eq!(status.as_deref(), Some("rejected"));
}

#[tokio::test]
async fn a_job_delivered_twice_is_sent_once() {
    let h = harness();
    let job = reset_job("twice", "ann@example.com");
    enqueue(h.queue.as_ref(), &job).await.unwrap();
    enqueue(h.queue.as_ref(), &job).await.unwrap();
    h.drain(10).await;
    enqueue(h.queue.as_ref(), &job).await.unwrap();
    h.drain(10).await;
    assert_eq!(h.provider.calls_to("ann@example.com"), 1);
    let sent = &h.provider.calls.lock().unwrap()[0];
    assert!(sent.subject.contains("Reset"));
    assert_eq!(sent.from, h.ctx.config.email_from);
    assert!(sent.text.contains(&format!(
        "{}/reset-password?token=t",
        h.ctx.config.client_url
    )));
}

#[tokio::test]
async fn malformed_jobs_end_in_the_dead_letter_queue_unsent() {
    let h = harness();
    let missing_keys = EmailJob {
        data: json!({"link": "/x"}),
        ..reset_job("no-name", "ann@example.com")
    };
    enqueue(h.queue.as_ref(), &missing_keys).await.unwrap();
    h.queue.send(QueueName::Emails, "{not json").await.unwrap();
    h.queue
        .send(
            QueueName::Emails,
            &json!({"id": "k", "kind": "no_such_kind", "to": "a@b.co", "data": {}}).to_string(),
        )
        .await
        .unwrap();
    enqueue(h.queue.as_ref(), &reset_job("bad-to", "not an address"))
        .await
        .unwrap();
    h.drain(30).await;
    assert!(h.provider.calls.lock().unwrap().is_empty());
    assert_eq!(h.dead_letters().await.len(), 4);
    // Nothing was claimed, so a fixed job can still be sent later.
    let status = email_sends_store::status(h.ctx.store.as_ref(), "no-name")
        .await
        .unwrap();
    assert_eq!(status, None);
}
