//! The black-box test harness: [`TestApp`] starts the real dev server on a
//! free loopback port with fresh state and talks HTTP to it like the SPA,
//! webhook senders and schedules would. Each test reads like a user story.

use std::sync::Arc;
use std::time::Duration;

use pc_host::devserver::{self, DEFAULT_OWNER_EMAIL, DEFAULT_OWNER_PASSWORD, DevServer, Options};
use pc_platform::queue::faults::QueueFaults;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::Value;

pub mod accounts_support;
pub mod billing_support;
pub mod finance_support;
pub mod hostile_input;
pub mod hubspot_oauth_support;
pub mod hubspot_support;
pub mod imports_support;
pub mod invoices_support;
pub mod leads_support;
pub mod market_support;
pub mod marketplace_support;
pub mod notify_support;
pub mod partner_api_support;
pub mod realtime_support;
pub mod webhooks_support;

pub use pc_host;
pub use reqwest;
pub use serde_json::json;

/// Which adapters the system under test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded store, queue and mailbox, in memory.
    Embedded,
    /// DynamoDB, SQS, SES and EventBridge on moto's server (started once per
    /// test process unless `MOTO_ENDPOINT` names one), with a table, queues
    /// and bus of this app's own.
    Aws,
}

/// A running system and a client with its own cookie jar.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub server: DevServer,
    pub backend: Backend,
}

/// A client with its own cookie jar (one browser).
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a reqwest client builds")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::ephemeral()).await
    }

    /// Starts the system on `backend` with a queue that fails on demand;
    /// answers the switch too.
    pub async fn spawn_with_queue_faults(backend: Backend) -> (Self, Arc<QueueFaults>) {
        let faults = Arc::new(QueueFaults::default());
        let options = Options {
            queue_faults: Some(faults.clone()),
            ..Options::ephemeral()
        };
        (Self::spawn_with(backend, options).await, faults)
    }

    /// Starts the system on `backend`; `options` give everything else.
    pub async fn spawn_with(backend: Backend, mut options: Options) -> Self {
        if backend == Backend::Aws {
            // A table, queues and bus of this app's own on the shared moto server.
            let endpoint = tokio::task::block_in_place(pc_aws::moto::endpoint).to_owned();
            let name = pc_aws::moto::unique("app");
            options.config.table_name = format!("{name}-table");
            options.config.event_bus_name = format!("{name}-bus");
            options.backend = devserver::Backend::Aws {
                endpoint,
                queue_prefix: format!("{name}-"),
            };
        }
        let server = DevServer::start(options)
            .await
            .unwrap_or_else(|e| panic!("the dev server starts on {backend:?}: {e:#}"));
        Self {
            base: format!("http://{}", server.addr),
            client: browser(),
            server,
            backend,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with this app's browser; `body` as JSON when given.
    pub async fn send(
        &self,
        client: &Client,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(&self.client, Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(&self.client, Method::POST, path, Some(body))
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.send(&self.client, Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.send(&self.client, Method::PATCH, path, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(&self.client, Method::DELETE, path, None).await
    }

    /// Signs `client` in; answers the response.
    pub async fn sign_in_as(&self, client: &Client, email: &str, password: &str) -> Response {
        self.send(
            client,
            Method::POST,
            "/auth/sign-in",
            Some(&json!({"email": email, "password": password})),
        )
        .await
    }

    /// Signs this app's own browser in as the seeded owner.
    pub async fn sign_in_owner(&self) {
        let response = self
            .sign_in_as(&self.client, DEFAULT_OWNER_EMAIL, DEFAULT_OWNER_PASSWORD)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "owner sign-in");
    }

    /// Every email sent so far, newest first.
    pub async fn mailbox(&self) -> Vec<Value> {
        let body: Value = self
            .get("/dev/mailbox")
            .await
            .json()
            .await
            .expect("mailbox JSON");
        body["list"].as_array().cloned().unwrap_or_default()
    }

    /// Waits (up to 10 s) for an email to `to` whose subject contains `subject`.
    pub async fn wait_for_mail(&self, to: &str, subject: &str) -> Value {
        let found = wait_until(|| async {
            self.mailbox().await.into_iter().find(|m| {
                m["to"].as_str() == Some(to)
                    && m["subject"].as_str().is_some_and(|s| s.contains(subject))
            })
        })
        .await;
        found.unwrap_or_else(|| panic!("no email to {to} about {subject:?}"))
    }

    /// Runs everything pending to completion — due schedules, every queued
    /// message (retries included) — so what follows sees all its effects.
    pub async fn drain(&self) {
        self.server
            .drain()
            .await
            .unwrap_or_else(|e| panic!("the system settles: {e:#}"));
    }

    /// Moves the system's clock.
    pub async fn set_clock(&self, now: &str) {
        let response = self.put("/dev/clock", &json!({"now": now})).await;
        assert_eq!(response.status(), StatusCode::OK, "clock set");
    }

    /// Moves the clock a second past the next quarter hour, so that a
    /// scenario counting against the fixed-window rate limits (a minute, a
    /// quarter, an hour) starts with fresh windows and no window ends
    /// during it, whatever the time it runs; a session signed just before
    /// stays valid (the move is under 15 minutes).
    pub async fn clock_at_fresh_rate_windows(&self) {
        let quarter = 15 * 60;
        let next = (chrono::Utc::now().timestamp().div_euclid(quarter) + 1) * quarter + 1;
        let at = chrono::DateTime::from_timestamp(next, 0).expect("a time after now");
        self.set_clock(&pc_platform::time::timestamp(at)).await;
    }

    /// Runs the outbox sweep as the schedule would once the stuck items are
    /// old enough (the clock moves past the sweep's age), then every worker
    /// has handled what it sent.
    pub async fn sweep_outbox(&self) {
        let later = chrono::Utc::now() + chrono::Duration::seconds(30);
        self.set_clock(&pc_platform::time::timestamp(later)).await;
        let run = self.run_job("outbox-sweep").await;
        assert_eq!(run["status"], "completed", "{run}");
        let reset = self.delete("/dev/clock").await;
        assert_eq!(reset.status(), StatusCode::OK);
        self.drain().await;
    }

    /// Runs a schedule now and answers its finished run record.
    pub async fn run_job(&self, name: &str) -> Value {
        let response = self
            .post(&format!("/dev/jobs/{name}/run"), &json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "job {name} runs");
        response.json().await.expect("job run JSON")
    }
}

/// Polls `probe` every 50 ms for up to 10 s until it answers something.
pub async fn wait_until<T, F, Fut>(mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Reads a JSON body, asserting the status first (with the body in the message).
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Declares one black-box scenario, run once per backend (embedded, and
/// AWS adapters on moto):
/// `scenario!(name, |app| { ... });` where `app` is a `&TestApp`.
#[macro_export]
macro_rules! scenario {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let owned = $crate::TestApp::spawn($crate::Backend::Embedded).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn aws() {
                let owned = $crate::TestApp::spawn($crate::Backend::Aws).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }
        }
    };
}

/// A scenario on both backends, with a queue that fails on demand:
/// `faulty_scenario!(name, |app, faults| { ... })`.
#[macro_export]
macro_rules! faulty_scenario {
    ($name:ident, |$app:ident, $faults:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let (owned, $faults) =
                    $crate::TestApp::spawn_with_queue_faults($crate::Backend::Embedded).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn aws() {
                let (owned, $faults) =
                    $crate::TestApp::spawn_with_queue_faults($crate::Backend::Aws).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }
        }
    };
}
