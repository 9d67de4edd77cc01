//! Helpers of the webhook scenarios: a local receiver (a real HTTP server
//! on 127.0.0.1 that records every request's headers and raw body and
//! answers 500 while told to fail), partner events pushed onto the
//! `webhook-deliveries` queue as the activities capability does, a
//! signature check written independently of the system (the `hmac` crate
//! over the raw body), and moving the settable clock.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use pc_host::devserver::Options;
use pc_http::partner_events::PartnerEvent;

use crate::{Backend, TestApp};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    /// What the receiver answered.
    pub status: u16,
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    failing: Arc<AtomicBool>,
}

/// A webhook receiver on a free loopback port.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let status = if shared.failing.load(Ordering::SeqCst) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    if let Ok(mut received) = shared.received.lock() {
        received.push(Received {
            headers,
            body,
            status: status.as_u16(),
        });
    }
    status
}

impl Receiver {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the receiver binds");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared }
    }

    /// `http://127.0.0.1:<port>/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers 500 (`true`) or 204 from now on.
    pub fn fail(&self, failing: bool) {
        self.shared.failing.store(failing, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The requests it answered 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.status < 300)
            .collect()
    }
}

/// Starts the system on `backend`, allowing local receivers or not.
pub async fn spawn(backend: Backend, local_receivers: bool) -> TestApp {
    let mut options = Options::ephemeral();
    options.config.webhook_local_receivers = local_receivers;
    TestApp::spawn_with(backend, options).await
}

/// Declares a webhook scenario on both backends:
/// `webhook_scenario!(name, local_receivers, |app| { ... })`.
#[macro_export]
macro_rules! webhook_scenario {
    ($name:ident, $local:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let owned =
                    $crate::webhooks_support::spawn($crate::Backend::Embedded, $local).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn aws() {
                let owned = $crate::webhooks_support::spawn($crate::Backend::Aws, $local).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }
        }
    };
}

/// Puts a partner event on the `webhook-deliveries` queue, as the
/// activities capability does; answers it.
pub async fn push_event(
    app: &TestApp,
    id: &str,
    event_type: &str,
    partners: &[&str],
) -> PartnerEvent {
    let event = PartnerEvent {
        id: id.to_owned(),
        event_type: event_type.to_owned(),
        partner_ids: partners.iter().map(|p| p.to_string()).collect(),
        occurred_at: app.server.context.clock.now(),
        data: json!({"leadId": format!("lead-{id}"), "company": "Acme"}),
    };
    app.server
        .context
        .queue
        .send_message(&event)
        .await
        .expect("the event is queued");
    event
}

/// Whether `header` (`t=<unix>,v1=<hex>`) signs `body` with `secret`,
/// computed here with the `hmac` crate from the raw bytes received.
pub fn signature_matches(header: &str, secret: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_owned()),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let Ok(expected) = hex::decode(v1) else {
        return false;
    };
    mac.verify_slice(&expected).is_ok()
}

/// Moves the system's clock by `by`.
pub fn advance(app: &TestApp, by: Duration) {
    app.server
        .context
        .clock
        .settable()
        .expect("a settable clock")
        .advance(by);
}

pub fn now(app: &TestApp) -> DateTime<Utc> {
    app.server.context.clock.now()
}

/// The JSON body of a received request.
pub fn json_body(received: &Received) -> Value {
    serde_json::from_slice(&received.body).expect("a JSON body")
}
