//! The benchmark (`bash infra/bench.sh`): for one representative function
//! of each kind (API read and write, webhook, worker, schedule, WebSocket
//! route, bus rule) it prints
//!
//! - the stripped release binary's size;
//! - init: process start to the first poll of a local Lambda Runtime API
//!   ([`runtime_api`]) by the deployed binary, its AWS adapters built;
//! - cold start: process start to first answer through the Runtime API, by
//!   the deployed binary when the function touches no AWS service (health),
//!   and by the benchmark's `embedded-function` binary (the same handler on
//!   the seeded embedded store) for every function;
//! - warm latency p50/p99 through the Runtime API (`embedded-function`),
//!   and of the handler alone in process;
//! - peak RSS of the `embedded-function` process;
//! - store round trips per request (every store call is one DynamoDB request
//!   in production), counted in process with a `CountingStore`.
//!
//! The same figures for `hello-lambda`, the smallest `lambda_http` function
//! built with the same profile, are the baseline.
//!
//! Usage: `pc-bench [BINARY_DIR] [WARM_INVOCATIONS]` (defaults
//! `target/release`, 300).

mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use pc_api::functions::{Function, Ports, Trigger};
use pc_app::{catalog, lambda, socket_lambda};
use pc_platform::EmbeddedParts;
use pc_platform::config::Config;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;

use runtime_api::RuntimeApi;

const OWNER_EMAIL: &str = "bench-owner@example.com";
const OWNER_PASSWORD: &str = "Bench-Password-1";
const MEETING_TYPE: &str = "Bench Intro";
const SEEDED_LEADS: usize = 300;
/// Where `embedded-function` finds the seeded store file.
const EMBEDDED_STORE_DIR: &str = "PC_EMBEDDED_STORE_DIR";

/// One request of a benchmarked function, in both of its forms.
struct Invocation {
    /// The Lambda event, as the Runtime API hands it to the binary.
    event: Value,
    /// The same request for the in-process handler.
    local: Local,
}

enum Local {
    Http(Request<Body>),
    Sqs(SqsEvent),
    Schedule(EventBridgeEvent<Value>),
    Socket(Box<ApiGatewayWebsocketProxyRequest>),
    Bus(EventBridgeEvent<Value>),
}

/// What the seeded store holds that requests name.
struct Seeded {
    /// The owner's access token.
    token: String,
    /// The bench partner, which new leads are created for.
    partner_id: String,
}

/// Figures of one function.
struct Figures {
    name: &'static str,
    kind: &'static str,
    size_bytes: u64,
    /// Process start to the first poll of the Runtime API, on the AWS
    /// adapters: what Lambda reports as Init Duration.
    init_aws: Duration,
    /// Process start to first answer of the deployed binary, when it needs
    /// no AWS service to answer.
    cold_deployed: Option<Duration>,
    cold: Duration,
    warm_p50: Duration,
    warm_p99: Duration,
    handler_p50: Duration,
    handler_p99: Duration,
    peak_rss_kb: u64,
    round_trips: usize,
}

fn config() -> Config {
    let mut config = Config::local_defaults();
    config.cookie_secure = false;
    config
}

/// Settings a deployed function reads, with the benchmark's values.
fn lambda_env() -> Vec<(&'static str, String)> {
    let c = config();
    vec![
        ("TABLE_NAME", c.table_name),
        ("EVENT_BUS_NAME", c.event_bus_name),
        ("UPLOADS_BUCKET", c.uploads_bucket),
        ("EMAIL_FROM", c.email_from),
        ("CLIENT_URL", c.client_url),
        // Deployed functions accept only an https origin and secure cookies.
        (
            "CORS_ORIGIN",
            "https://app.partner-connector.example".into(),
        ),
        (
            "JWT_SECRET",
            c.jwt_secret
                .expose()
                .expect("local defaults hold it")
                .to_owned(),
        ),
        (
            "MAGIC_LINK_SECRET",
            c.magic_link_secret
                .expose()
                .expect("local defaults hold it")
                .to_owned(),
        ),
        (
            "CHILIPIPER_WEBHOOK_SECRET",
            c.chilipiper_webhook_secret
                .expose()
                .expect("local defaults hold it")
                .to_owned(),
        ),
        ("COOKIE_SECURE", "true".into()),
        ("ENCRYPTION_KEY", "00".repeat(32)),
        ("LOST_LEAD_ALERT_TO", c.lost_lead_alert_to),
        ("BILLING_ALERT_TO", c.billing_alert_to),
        ("RUST_LOG", "warn".into()),
    ]
}

async fn send(app: &Router, request: Request<Body>) -> anyhow::Result<(u16, Vec<String>, Value)> {
    let response = app.clone().oneshot(request).await?;
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        cookies,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn request(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::COOKIE, format!("accessToken={token}"));
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("a valid request")
}

/// Seeds the store under `dir`: the owner, a partner routed the bench
/// meeting type, and leads.
async fn seed(dir: &Path) -> anyhow::Result<Seeded> {
    let store = Arc::new(EmbeddedStore::open(&dir.join("store.redb"))?);
    let ctx = EmbeddedParts::new(store, config()).context;
    pc_accounts_seed(&ctx).await?;
    let app = pc_app::devserver::http_app(&ctx, false);
    let (status, cookies, body) = send(
        &app,
        request(
            "POST",
            "/auth/sign-in",
            None,
            Some(&json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD})),
        ),
    )
    .await?;
    if status != 200 {
        bail!("bench sign-in answered {status}: {body}");
    }
    let token = cookies
        .iter()
        .find_map(|c| c.strip_prefix("accessToken="))
        .and_then(|c| c.split(';').next())
        .context("sign-in sets the accessToken cookie")?
        .to_owned();
    let mut partner_id = String::new();
    if catalog::find("partners-create").is_some() {
        let partner = json!({"name": "Bench Agency", "chiliMeetingTypes": [MEETING_TYPE]});
        let (status, _, body) = send(
            &app,
            request("POST", "/v1/partners", Some(&token), Some(&partner)),
        )
        .await?;
        if status != 201 && status != 200 {
            bail!("creating the bench partner answered {status}: {body}");
        }
        partner_id = body["id"].as_str().unwrap_or_default().to_owned();
        if catalog::find("leads-create").is_some() {
            for i in 0..SEEDED_LEADS {
                let lead = json!({"partnerId": partner_id, "email": format!("lead{i}@bench.example"),
                    "firstName": "Bench", "lastName": format!("Lead {i}"), "company": format!("Company {i}")});
                let (status, _, body) = send(
                    &app,
                    request("POST", "/v1/leads", Some(&token), Some(&lead)),
                )
                .await?;
                if status >= 300 {
                    bail!("creating a bench lead answered {status}: {body}");
                }
            }
        }
    }
    Ok(Seeded { token, partner_id })
}

async fn pc_accounts_seed(ctx: &pc_platform::AppState) -> anyhow::Result<()> {
    pc_accounts::seed::seed_owner(ctx, OWNER_EMAIL, OWNER_PASSWORD).await?;
    Ok(())
}

fn http_event(
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: Value,
    body: Option<&Value>,
) -> Value {
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "cookies": token.map(|t| vec![format!("accessToken={t}")]).unwrap_or_default(),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.example",
            "domainPrefix": "bench", "requestId": "bench", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "21/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "pc-bench"}
        },
        "body": body.map(Value::to_string),
        "isBase64Encoded": false
    })
}

fn sqs_event(body: &Value) -> Value {
    json!({"Records": [{
        "messageId": chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default().to_string(),
        "receiptHandle": "bench", "body": body.to_string(),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0",
                       "SenderId": "bench", "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench", "awsRegion": "us-east-1"
    }]})
}

fn socket_event(route_key: &str, connection_id: &str) -> Value {
    json!({"headers": {"Host": "bench.example"}, "isBase64Encoded": false,
           "requestContext": {"apiId": "bench", "connectedAt": 0, "connectionId": connection_id,
               "domainName": "bench.example", "eventType": "DISCONNECT", "extendedRequestId": "bench",
               "identity": {"sourceIp": "127.0.0.1"}, "messageDirection": "IN", "requestId": "bench",
               "requestTimeEpoch": 0, "routeKey": route_key, "stage": "prod"}})
}

/// An event the broadcaster forwards to every connection but the seller's
/// (none are open: the benchmark times finding the audience).
fn bus_event(seller: &str, n: usize) -> Value {
    json!({"version": "0", "id": format!("bench-{n}"), "detail-type": "lead-listed",
           "source": "partner-connector", "account": "123456789012", "time": "2026-11-21T09:00:00Z",
           "region": "us-east-1", "resources": [],
           "detail": {"leadId": format!("bench-lead-{n}"), "sellerId": seller, "price": 250}})
}

fn scheduler_event() -> Value {
    json!({"version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.scheduler",
           "account": "123456789012", "time": "2026-11-21T17:00:00Z", "region": "us-east-1",
           "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/bench"], "detail": {}})
}

/// A fresh request of `function` (workers get a new message each time, so
/// exactly-once guards do not short-circuit the work).
fn invocation(
    function: &Function,
    seeded: &Seeded,
    secret: &str,
    n: usize,
) -> anyhow::Result<Invocation> {
    let token = seeded.token.as_str();
    Ok(match (function.name, function.trigger) {
        ("leads-create", _) => {
            let body = json!({"partnerId": seeded.partner_id,
                "email": format!("created{n}-{}@bench.example", std::process::id()),
                "firstName": "Bench", "lastName": format!("Created {n}"), "company": "Bench Co"});
            let path = "/v1/leads";
            Invocation {
                event: http_event(
                    "POST",
                    path,
                    Some(token),
                    json!({"content-type": "application/json"}),
                    Some(&body),
                ),
                local: Local::Http(request("POST", path, Some(token), Some(&body))),
            }
        }
        ("meetings-chilipiper-webhook", _) => {
            let body = json!({"meetingIdChili": format!("bench-{n}"), "eventType": "created",
                "meetingTypeName": MEETING_TYPE, "title": "Intro", "startTime": "2030-01-15T17:00:00Z",
                "endTime": "2030-01-15T17:30:00Z", "guests": [{"email": format!("guest{n}@bench.example")}]});
            let path = "/v1/meetings/webhooks/chilipiper";
            let mut local = request("POST", path, None, Some(&body));
            local
                .headers_mut()
                .insert("x-webhook-secret", secret.parse()?);
            Invocation {
                event: http_event(
                    "POST",
                    path,
                    None,
                    json!({"content-type": "application/json", "x-webhook-secret": secret}),
                    Some(&body),
                ),
                local: Local::Http(local),
            }
        }
        (_, Trigger::Http(_)) => {
            let (method, path) = function.method_and_path().context("an HTTP route")?;
            Invocation {
                event: http_event(method.as_str(), &path, Some(token), json!({}), None),
                local: Local::Http(request(method.as_str(), &path, Some(token), None)),
            }
        }
        (_, Trigger::Queue(..)) => {
            let job = json!({"id": format!("bench-{n}-{}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()),
                "kind": "password_reset", "to": "someone@bench.example",
                "data": {"name": "Bench", "link": "http://localhost:3001/reset-password?token=x"}});
            let event = sqs_event(&job);
            Invocation {
                local: Local::Sqs(serde_json::from_value(event.clone())?),
                event,
            }
        }
        (_, Trigger::Schedule(..)) => {
            let event = scheduler_event();
            Invocation {
                local: Local::Schedule(serde_json::from_value(event.clone())?),
                event,
            }
        }
        (_, Trigger::Socket(route, _)) => {
            let event = socket_event(route.key(), &format!("bench-connection-{n}"));
            Invocation {
                local: Local::Socket(Box::new(serde_json::from_value(event.clone())?)),
                event,
            }
        }
        (_, Trigger::BusRule(..)) => {
            let event = bus_event(&seeded.partner_id, n);
            Invocation {
                local: Local::Bus(serde_json::from_value(event.clone())?),
                event,
            }
        }
        _ => bail!("{} is not benchmarked", function.name),
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Handler latency and round trips in process, on a counting store.
async fn in_process(
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
        .chilipiper_webhook_secret
        .expose()
        .unwrap()
        .to_owned();
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

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// The function binary as Lambda starts it: the Runtime API's address, the
/// function's identity and its settings, nothing else from this process.
fn lambda_command(binary: &Path, api: &RuntimeApi, function: &str) -> std::process::Command {
    let mut command = std::process::Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .envs(lambda_env())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

/// Ends a function process the benchmark started (std's `Command`: the
/// benchmark shares the functions' dependency tree, tokio features
/// included, so its release build reuses theirs).
fn stop(child: &mut std::process::Child) {
    child.kill().ok();
    child.wait().ok();
}

/// Init on the AWS adapters, as deployed: process start to the first poll
/// of the Runtime API (no AWS call happens before the first event).
async fn aws_init(binary: &Path, function: &str) -> anyhow::Result<Duration> {
    let api = RuntimeApi::start().await?;
    let mut command = lambda_command(binary, &api, function);
    command
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench");
    let started = Instant::now();
    let mut child = command.spawn()?;
    let polled = api
        .first_poll()
        .await
        .with_context(|| format!("{function} never polled the Runtime API"))?;
    stop(&mut child);
    Ok(polled - started)
}

/// Cold start, warm latency and peak RSS of a function process started by
/// `command`, answering the events of `event` (invocation number → event).
async fn through_runtime(
    api: RuntimeApi,
    mut command: std::process::Command,
    name: &str,
    runs: usize,
    event: impl Fn(usize) -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<(Duration, Duration, Duration, u64)> {
    let first = event(0)?;
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let answer = api.invoke(&first).await?;
    let cold = started.elapsed();
    if let Err(e) = answer {
        bail!("{name} failed its first invocation: {e}");
    }
    let mut timings = Vec::with_capacity(runs);
    for n in 1..=runs {
        let event = event(n)?;
        let started = Instant::now();
        if let Err(e) = api.invoke(&event).await? {
            bail!("{name} failed invocation {n}: {e}");
        }
        timings.push(started.elapsed());
    }
    let rss = peak_rss_kb(child.id());
    stop(&mut child);
    timings.sort();
    Ok((
        cold,
        percentile(&timings, 0.5),
        percentile(&timings, 0.99),
        rss,
    ))
}

/// The function's handler through the Runtime API on the seeded store, in
/// the benchmark's `embedded-function` process.
async fn embedded_runtime(
    binaries: &Path,
    dir: &Path,
    function: &'static Function,
    seeded: &Seeded,
    runs: usize,
) -> anyhow::Result<(Duration, Duration, Duration, u64)> {
    let api = RuntimeApi::start().await?;
    let secret = config().chilipiper_webhook_secret.expose()?.to_owned();
    let mut command = lambda_command(
        &binary_path(binaries, "embedded-function"),
        &api,
        function.name,
    );
    command.arg(function.name).env(EMBEDDED_STORE_DIR, dir);
    through_runtime(api, command, function.name, runs, |n| {
        Ok(serde_json::to_vec(
            &invocation(function, seeded, &secret, n)?.event,
        )?)
    })
    .await
}

/// Median of five cold starts of a deployed binary that answers without
/// any AWS service (`GET path`), to its first answer.
async fn deployed_cold(binary: &Path, name: &str, path: &str) -> anyhow::Result<Duration> {
    let event = serde_json::to_vec(&http_event("GET", path, None, json!({}), None))?;
    let mut colds = Vec::new();
    for _ in 0..5 {
        let api = RuntimeApi::start().await?;
        let command = lambda_command(binary, &api, name);
        let (cold, ..) = through_runtime(api, command, name, 0, |_| Ok(event.clone())).await?;
        colds.push(cold);
    }
    colds.sort();
    Ok(colds[colds.len() / 2])
}

/// Median of five inits of a binary.
async fn median_init(binary: &Path, name: &str) -> anyhow::Result<Duration> {
    let mut inits = Vec::new();
    for _ in 0..5 {
        inits.push(aws_init(binary, name).await?);
    }
    inits.sort();
    Ok(inits[inits.len() / 2])
}

/// Binary `name` under `dir`: cargo's layout (`dir/name`) or cargo-lambda's
/// (`dir/name/bootstrap`, as `infra/build-functions.sh` builds them).
fn binary_path(dir: &Path, name: &str) -> PathBuf {
    let lambda = dir.join(name).join("bootstrap");
    if lambda.is_file() {
        lambda
    } else {
        dir.join(name)
    }
}

fn size_of(binary: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(binary)
        .with_context(|| {
            format!(
                "{} is not built (bash infra/bench.sh builds it)",
                binary.display()
            )
        })?
        .len())
}

/// The representative functions, one or two per kind, present in the table.
fn representatives() -> Vec<&'static Function> {
    [
        "health",
        "auth-me",
        "leads-list",
        "leads-create",
        "meetings-chilipiper-webhook",
        "emails-worker",
        "daily-lead-reminders",
        "realtime-disconnect",
        "realtime-broadcaster",
    ]
    .iter()
    .filter_map(|name| catalog::find(name))
    .collect()
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binaries = PathBuf::from(args.next().unwrap_or_else(|| "target/release".into()));
    let runs: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(300);
    let workdir = std::env::temp_dir().join(format!("pc-bench-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    let seeded = seed(&workdir).await?;

    let hello = binary_path(&binaries, "hello-lambda");
    let baseline = Figures {
        name: "hello-lambda (baseline)",
        kind: "baseline",
        size_bytes: size_of(&hello)?,
        init_aws: median_init(&hello, "hello-lambda").await?,
        cold_deployed: Some(deployed_cold(&hello, "hello-lambda", "/").await?),
        cold: Duration::ZERO,
        warm_p50: Duration::ZERO,
        warm_p99: Duration::ZERO,
        handler_p50: Duration::ZERO,
        handler_p99: Duration::ZERO,
        peak_rss_kb: 0,
        round_trips: 0,
    };
    let mut all = vec![baseline];
    for function in representatives() {
        let binary = binary_path(&binaries, function.name);
        let size_bytes = size_of(&binary)?;
        let (handler_p50, handler_p99, round_trips) =
            in_process(&workdir, function, &seeded, runs).await?;
        let (cold, warm_p50, warm_p99, peak_rss_kb) =
            embedded_runtime(&binaries, &workdir, function, &seeded, runs).await?;
        let cold_deployed = match (function.ports(), function.method_and_path()) {
            (ports, Some((_, path))) if ports == Ports::default() => {
                Some(deployed_cold(&binary, function.name, &path).await?)
            }
            _ => None,
        };
        all.push(Figures {
            name: function.name,
            kind: function.kind(),
            size_bytes,
            init_aws: median_init(&binary, function.name).await?,
            cold_deployed,
            cold,
            warm_p50,
            warm_p99,
            handler_p50,
            handler_p99,
            peak_rss_kb,
            round_trips,
        });
    }
    println!(
        "\n{:<10} {:<28} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>7} {:>6}",
        "kind",
        "function",
        "size MB",
        "init AWS",
        "cold dep",
        "cold emb",
        "warm p50",
        "warm p99",
        "handler50",
        "handler99",
        "RSS MB",
        "trips"
    );
    for f in &all {
        println!(
            "{:<10} {:<28} {:>8.2} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>7.1} {:>6}",
            f.kind,
            f.name,
            f.size_bytes as f64 / 1_048_576.0,
            ms(f.init_aws),
            f.cold_deployed.map(ms).unwrap_or_else(|| "-".into()),
            ms(f.cold),
            ms(f.warm_p50),
            ms(f.warm_p99),
            ms(f.handler_p50),
            ms(f.handler_p99),
            f.peak_rss_kb as f64 / 1024.0,
            f.round_trips
        );
    }
    println!(
        "\n(init AWS = process start to the first Runtime API poll by the deployed binary, its AWS \
         adapters built, median of 5: Lambda's Init Duration; cold dep = process start to the first \
         answer of the deployed binary, for functions that need no AWS service, median of 5; cold emb \
         = the same for the handler in the benchmark's embedded-function binary, opening the store \
         file included; warm = through the Runtime API in that process, {runs} invocations; handler \
         = in process; RSS = peak of that process; trips = store round trips per request; times in ms)"
    );
    std::fs::remove_dir_all(&workdir).ok();
    Ok(())
}
