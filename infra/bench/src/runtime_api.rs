//! A minimal Lambda Runtime API (the interface `lambda_runtime` polls), so a
//! release function binary can be started and invoked here exactly as
//! Lambda does: `GET .../invocation/next` hands out events,
//! `POST .../invocation/{id}/response|error` answers them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc, oneshot};

type Outcome = Result<Vec<u8>, String>;
/// An event waiting to be handed out: its request id and its bytes.
type Queued = (String, Vec<u8>);
type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>;

#[derive(Clone)]
struct Shared {
    events: Arc<Mutex<mpsc::Receiver<Queued>>>,
    waiting: Waiting,
    /// When the function first asked for an event: the end of its init.
    first_poll: Arc<std::sync::OnceLock<std::time::Instant>>,
}

/// The emulator: queue an event with [`RuntimeApi::invoke`], get its answer.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    sender: mpsc::Sender<Queued>,
    waiting: Waiting,
    first_poll: Arc<std::sync::OnceLock<std::time::Instant>>,
    counter: std::sync::atomic::AtomicU64,
}

async fn next(State(shared): State<Shared>) -> (HeaderMap, Vec<u8>) {
    shared.first_poll.get_or_init(std::time::Instant::now);
    let (id, event) = shared
        .events
        .lock()
        .await
        .recv()
        .await
        .unwrap_or_else(|| (String::new(), Vec::new()));
    let mut headers = HeaderMap::new();
    let deadline = chrono::Utc::now().timestamp_millis() + 60_000;
    let set = |headers: &mut HeaderMap, name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set(&mut headers, "lambda-runtime-aws-request-id", id);
    set(
        &mut headers,
        "lambda-runtime-deadline-ms",
        deadline.to_string(),
    );
    set(
        &mut headers,
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
    );
    set(
        &mut headers,
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".into(),
    );
    (headers, event)
}

async fn respond(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    if let Some(waiter) = shared.waiting.lock().await.remove(&id) {
        let _ = waiter.send(Ok(body.to_vec()));
    }
    StatusCode::ACCEPTED
}

async fn fail(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    if let Some(waiter) = shared.waiting.lock().await.remove(&id) {
        let _ = waiter.send(Err(String::from_utf8_lossy(&body).into_owned()));
    }
    StatusCode::ACCEPTED
}

async fn init_error(body: Bytes) -> StatusCode {
    eprintln!(
        "function failed to start: {}",
        String::from_utf8_lossy(&body)
    );
    StatusCode::ACCEPTED
}

impl RuntimeApi {
    pub async fn start() -> anyhow::Result<Self> {
        let (sender, receiver) = mpsc::channel(16);
        let waiting = Arc::new(Mutex::new(HashMap::new()));
        let first_poll = Arc::new(std::sync::OnceLock::new());
        let shared = Shared {
            events: Arc::new(Mutex::new(receiver)),
            waiting: waiting.clone(),
            first_poll: first_poll.clone(),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            sender,
            waiting,
            first_poll,
            counter: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Waits (up to 10 s) for the function's first poll: the end of its init.
    pub async fn first_poll(&self) -> Option<std::time::Instant> {
        for _ in 0..1000 {
            if let Some(at) = self.first_poll.get() {
                return Some(*at);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }

    /// Queues `event` for the function and waits (up to 30 s) for its answer.
    pub async fn invoke(&self, event: &[u8]) -> anyhow::Result<Outcome> {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("bench-{n}");
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().await.insert(id.clone(), tx);
        self.sender.send((id, event.to_vec())).await?;
        Ok(tokio::time::timeout(Duration::from_secs(30), rx).await??)
    }
}
