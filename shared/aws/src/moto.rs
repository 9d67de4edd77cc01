//! Test support (feature `moto`): starts moto's server (`infra/moto_server.py`,
//! moto[server] under `python3`, or `$MOTO_PYTHON`) on a free
//! 127.0.0.1 port, unless `MOTO_ENDPOINT` names one already running, and
//! waits until it answers. If it cannot be started the tests fail, saying
//! why; they never skip. Also: a fixture of resources named for one test,
//! and moto's Management API with one connection closed.
//!
//! The AWS settings for moto (region us-east-1, credentials `test`/`test`,
//! the endpoint) are given to the SDK explicitly rather than through
//! `AWS_*` environment variables: changing the environment of a running
//! multi-threaded test process is unsound (`set_var` is `unsafe` in Rust
//! 2024).

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use pc_platform::config::Config;
use pc_platform::realtime::{ConnectionPush, PushError};

use crate::bootstrap;
use crate::realtime::ApiGatewayPush;

/// How long moto may take to start (importing moto is slow on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(90);

struct Moto {
    endpoint: String,
    /// Kept so its standard input stays open: the server stops when this
    /// process exits and the pipe closes.
    _process: Option<Child>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The endpoint of the moto server, started on first use.
pub fn endpoint() -> &'static str {
    &MOTO.get_or_init(start).endpoint
}

fn socket_of(endpoint: &str) -> Option<SocketAddr> {
    let rest = endpoint.split("://").nth(1)?;
    let host_port = rest.split('/').next()?;
    host_port.to_socket_addrs().ok()?.next()
}

fn answers(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok()
}

fn start() -> Moto {
    if let Some(endpoint) = std::env::var("MOTO_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    {
        let address = socket_of(&endpoint)
            .unwrap_or_else(|| panic!("MOTO_ENDPOINT={endpoint} is not an http://host:port URL"));
        assert!(answers(address), "MOTO_ENDPOINT={endpoint} does not answer");
        return Moto {
            endpoint,
            _process: None,
        };
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port for moto");
    let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/moto_server.py");
    let log_path = std::env::temp_dir().join(format!("pc-aws-moto-{port}.log"));
    let log = File::create(&log_path).expect("a log file for moto");
    let mut process = Command::new(&python)
        .arg(script)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start moto's server with `{python} {script} {port}`: {e}; install it with `pip install 'moto[server]'` or set MOTO_ENDPOINT")
        });
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if answers(address) {
            return Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                _process: Some(process),
            };
        }
        let log_text = || std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Ok(Some(status)) = process.try_wait() {
            panic!(
                "moto's server exited ({status}) before answering; is moto[server] installed for {python}? \
                 (`pip install 'moto[server]'`) Its output:\n{}",
                log_text()
            );
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = process.kill();
            panic!(
                "moto's server did not answer on port {port} within {START_TIMEOUT:?}. Its output:\n{}",
                log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// AWS settings pointing at moto.
pub async fn sdk_config() -> SdkConfig {
    let endpoint = tokio::task::block_in_place(endpoint);
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::https_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A name no other test (nor another run against the same moto) uses.
pub fn unique(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{label}-{}-{millis}-{n}", std::process::id())
}

/// AWS settings and a configuration whose table, queues and bus exist on
/// moto, named after `label` and used by no other test.
pub struct Fixture {
    pub sdk: SdkConfig,
    pub config: Config,
    pub name: String,
}

pub async fn fixture(label: &str) -> Fixture {
    let sdk = sdk_config().await;
    let name = unique(label);
    let mut config = Config::local_defaults();
    config.table_name = format!("{name}-table");
    config.event_bus_name = format!("{name}-bus");
    config.queue_urls = bootstrap(&sdk, &config, &format!("{name}-"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    Fixture { sdk, config, name }
}

/// API Gateway's Management API on moto, with one connection closed: moto
/// accepts posts to any id, so the closed one answers 410 (`Gone`) here.
/// Keeps the ids it posted to.
pub struct PushWithClosed {
    api: ApiGatewayPush,
    closed: &'static str,
    posted: Mutex<Vec<String>>,
}

impl PushWithClosed {
    pub fn new(sdk: &SdkConfig, closed: &'static str) -> Self {
        Self {
            api: ApiGatewayPush::new(sdk, endpoint()),
            closed,
            posted: Mutex::new(Vec::new()),
        }
    }

    /// The connections posted to, sorted.
    pub fn posted(&self) -> Vec<String> {
        let mut posted = self.posted.lock().unwrap().clone();
        posted.sort();
        posted
    }
}

#[async_trait]
impl ConnectionPush for PushWithClosed {
    async fn push(&self, connection_id: &str, message: &str) -> Result<(), PushError> {
        if connection_id == self.closed {
            return Err(PushError::Gone);
        }
        self.api.push(connection_id, message).await?;
        self.posted.lock().unwrap().push(connection_id.to_owned());
        Ok(())
    }
}
