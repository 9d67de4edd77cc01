//! The Lambda runners: what each `functions/` binary runs. A binary hands
//! its function (built by name in code, `pc_leads::functions::leads_list()`)
//! and the ports it builds to the runner of its trigger; the runner builds
//! the context once per cold start and serves until Lambda freezes the
//! process:
//!
//! | runner | event in | answer out |
//! |---|---|---|
//! | [`serve_http`] | API Gateway HTTP API (payload 2.0) | v2 response, cookies in `cookies` |
//! | [`serve_webhook`] | function URL (same 2.0 shape, body often base64) | v2 response |
//! | [`serve_worker`] | SQS batch | `batchItemFailures` of the failed messages (poison ones go to the dead-letter queue at once) |
//! | [`serve_schedule`] | EventBridge Scheduler event, or `job-run-requested` from the bus | the finished job run |
//! | [`serve_stream`] | DynamoDB Streams batch | `batchItemFailures` from the first failed record |
//! | [`serve_socket`] | API Gateway WebSocket API route (`$connect`, `$disconnect`, `$default`) | status code (401 refuses a `$connect`) |
//! | [`serve_bus_rule`] | EventBridge event of a bus rule | nothing; an error makes EventBridge retry |
//!
//! The ports are a closure from the settings to the context, written out in
//! each binary (`AwsPorts::load(config).await.store().context()`): which
//! AWS clients exist is decided at compile time, so a function links only
//! the SDKs its permissions use. [`serve`] runs any function on a context
//! built elsewhere (the benchmark's embedded store).
//!
//! The event-to-handler steps are plain async functions over an
//! [`AppState`] ([`http_app`], [`webhook_app`], [`handle_sqs`],
//! [`handle_schedule`]), so tests feed them sample events with an embedded
//! context and no Lambda runtime.

mod http;
mod schedule;
mod sqs;

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use pc_http::AppState;
use pc_http::functions::{Function, StreamFn, Trigger};
use pc_platform::AppContext;
use pc_platform::config::{Config, ConfigError, Mode};

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use pc_http::socket_functions::{BusRuleFn, SocketFn, SocketRoute};

use crate::socket_lambda::{handle_bus_rule, handle_socket};
use crate::stream::{StreamEvent, handle_stream};

pub use http::{http_app, webhook_app};
use schedule::run_schedule;
pub use schedule::{SCHEDULER_SOURCE, ScheduleInvocation, handle_schedule, schedule_invocation};
use sqs::run_worker;
pub use sqs::{handle_sqs, queue_message};

/// The error a runner stops with (shown by Lambda as the init or invoke error).
pub type Error = lambda_runtime::Error;

/// Serves an HTTP API route; returns only when it cannot start (missing
/// setting, not an HTTP function) or the runtime stops.
pub fn serve_http(
    function: Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<(), Error> {
    expect_trigger(
        &function,
        matches!(function.trigger, Trigger::Http(_)),
        "an HTTP route",
    )?;
    start(&function, ports, async |ctx| {
        lambda_http::run(http_app(&ctx, &function)).await
    })
}

/// Serves a webhook behind its function URL.
pub fn serve_webhook(
    function: Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<(), Error> {
    expect_trigger(
        &function,
        matches!(function.trigger, Trigger::Webhook(_)),
        "a webhook",
    )?;
    start(&function, ports, async |ctx| {
        lambda_http::run(webhook_app(&ctx, &function)).await
    })
}

/// Serves a queue worker's SQS batches.
pub fn serve_worker(
    function: Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<(), Error> {
    let Trigger::Queue(queue, worker) = function.trigger else {
        return expect_trigger(&function, false, "a queue worker");
    };
    let name = function.name;
    start(&function, ports, async |ctx| {
        run_worker(ctx, name, queue, worker).await
    })
}

/// Serves a schedule's events.
pub fn serve_schedule(
    function: Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<(), Error> {
    let Trigger::Schedule(_, job) = function.trigger else {
        return expect_trigger(&function, false, "a schedule");
    };
    let name = function.name;
    start(&function, ports, async |ctx| {
        run_schedule(ctx, name, job).await
    })
}

/// Serves a table stream's batches (the outbox relay).
pub fn serve_stream(
    function: Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<(), Error> {
    let Trigger::TableStream(_, handler) = function.trigger else {
        return expect_trigger(&function, false, "a table stream");
    };
    let name = function.name;
    start(&function, ports, async |ctx| {
        run_stream(ctx, name, handler).await
    })
}

/// Serves a route of the WebSocket API.
pub fn serve_socket(
    function: Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<(), Error> {
    let Trigger::Socket(route, handler) = function.trigger else {
        return expect_trigger(&function, false, "a WebSocket route");
    };
    let name = function.name;
    start(&function, ports, async |ctx| {
        run_socket(ctx, name, route, handler).await
    })
}

/// Serves a rule of the event bus.
pub fn serve_bus_rule(
    function: Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<(), Error> {
    let Trigger::BusRule(_, handler) = function.trigger else {
        return expect_trigger(&function, false, "a bus rule");
    };
    let name = function.name;
    start(&function, ports, async |ctx| {
        run_bus_rule(ctx, name, handler).await
    })
}

/// A binary handing a function to the wrong runner stops before logging
/// starts; Lambda shows the returned error as the init error.
fn expect_trigger(function: &Function, matches: bool, what: &str) -> Result<(), Error> {
    if matches {
        return Ok(());
    }
    Err(format!("function {} is not {what}", function.name).into())
}

/// Logging, a one-thread runtime, the settings and the ports, then `serve`.
fn start(
    function: &Function,
    ports: impl AsyncFnOnce(Config) -> AppContext,
    serve: impl AsyncFnOnce(AppState) -> Result<(), Error>,
) -> Result<(), Error> {
    pc_http::telemetry::init(true);
    let name = function.name;
    // One thread: a Lambda instance handles one event at a time, and a
    // multi-threaded runtime only costs start-up time and memory.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let config =
            deployed_config(function, |name| std::env::var(name).ok()).inspect_err(|e| {
                tracing::error!(function = name, error = %e, "cannot start");
            })?;
        let ctx = with_secrets(config, ports).await.inspect_err(|e| {
            tracing::error!(function = name, error = %e, "cannot start");
        })?;
        tracing::info!(function = name, kind = function.kind(), "cold start done");
        serve(Arc::new(ctx)).await
    })
}

/// The settings of a deployed `function` from its environment (`lookup`):
/// the names of the secrets it holds, and the public keys of session
/// tokens if it checks sessions, each required.
fn deployed_config(
    function: &Function,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let config = Config::from_lookup(Mode::Lambda, &function.secrets(), lookup)?;
    if function.checks_sessions() {
        config.require_jwt_public_keys()?;
    }
    Ok(config)
}

/// The function's context, its secrets read from Secrets Manager (one
/// `BatchGetSecretValue`) while the ports build their clients: the clients
/// that need a secret (Stripe's, HubSpot's) read it at each call. A secret
/// that cannot be read stops the function, naming it. The read and the
/// ports share the process's AWS settings ([`pc_aws::load_sdk_config`]),
/// so one HTTP client.
///
/// The read finishes before the first poll of the Runtime API, not beside
/// it: the runtime has one thread, so only the read's waiting could
/// overlap the poll, and the first request needs the secrets anyway
/// (a webhook's signing secret, sign-in's signing key); a read left in flight
/// when Lambda freezes a provisioned or SnapStart instance after its
/// first poll would resume on a stale connection.
pub async fn with_secrets(
    config: Config,
    ports: impl AsyncFnOnce(Config) -> AppContext,
) -> Result<AppContext, Error> {
    if config.secret_ids.is_empty() {
        return Ok(ports(config).await);
    }
    let keyring = config.secrets.clone();
    let source = pc_aws::secrets::SecretsManager::new(
        &pc_aws::load_sdk_config().await,
        config.secret_ids.clone(),
    );
    let (read, ctx) = tokio::join!(source.load_into(&keyring), ports(config));
    read?;
    Ok(ctx)
}

/// Serves `function`'s trigger with a context built elsewhere, until the
/// runtime stops (the benchmark runs functions on its embedded store).
pub async fn serve(ctx: AppState, function: Function) -> Result<(), Error> {
    match function.trigger {
        Trigger::Http(_) => lambda_http::run(http_app(&ctx, &function)).await,
        Trigger::Webhook(_) => lambda_http::run(webhook_app(&ctx, &function)).await,
        Trigger::Queue(queue, worker) => run_worker(ctx, function.name, queue, worker).await,
        Trigger::Schedule(_, job) => run_schedule(ctx, function.name, job).await,
        Trigger::TableStream(_, handler) => run_stream(ctx, function.name, handler).await,
        Trigger::Socket(route, handler) => run_socket(ctx, function.name, route, handler).await,
        Trigger::BusRule(_, handler) => run_bus_rule(ctx, function.name, handler).await,
        Trigger::Dev(_) => Err(format!("{} is development-only", function.name).into()),
    }
}

async fn run_socket(
    ctx: AppState,
    name: &'static str,
    route: SocketRoute,
    handler: SocketFn,
) -> Result<(), Error> {
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| {
            let ctx = ctx.clone();
            async move {
                Ok::<_, Error>(handle_socket(&ctx, name, route, handler, event.payload).await)
            }
        },
    ))
    .await
}

async fn run_bus_rule(ctx: AppState, name: &'static str, handler: BusRuleFn) -> Result<(), Error> {
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| {
            let ctx = ctx.clone();
            async move {
                handle_bus_rule(&ctx, name, handler, event.payload)
                    .await
                    .map_err(Error::from)
            }
        },
    ))
    .await
}

async fn run_stream(ctx: AppState, name: &'static str, handler: StreamFn) -> Result<(), Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<StreamEvent>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(handle_stream(&ctx, name, handler, event.payload).await) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use pc_platform::config::Secret;

    use super::*;

    #[test]
    fn a_function_handed_to_another_runner_does_not_start() {
        let ports = async |config| AppContext::granting_nothing(config);
        let error = serve_worker(crate::system::functions::health(), ports).unwrap_err();
        assert!(
            error.to_string().contains("health is not a queue worker"),
            "{error}"
        );
        let error = serve_http(pc_notify::functions::emails_worker(), ports).unwrap_err();
        assert!(error.to_string().contains("not an HTTP route"), "{error}");
    }

    /// A deployed function's environment: every setting, the public keys
    /// unless `without_keys`, and the name of every secret.
    fn environment(without_keys: bool) -> impl Fn(&str) -> Option<String> {
        move |name| match name {
            "CORS_ORIGIN" => Some("https://app.example.com".into()),
            "JWT_PUBLIC_KEYS" if without_keys => None,
            "JWT_PUBLIC_KEYS" => Some(pc_platform::session_keys::DEV_PUBLIC_KEYS.into()),
            "COOKIE_SAME_SITE" | "COOKIE_SECURE" | "QUEUE_RETRY_DELAY_MS" => None,
            "LIST_READ_LIMIT" | "MARKETPLACE_MAX_OPEN_RESERVATIONS" => None,
            _ => Some(format!("partner-connector/test/{name}")),
        }
    }

    #[tokio::test]
    async fn a_function_checking_sessions_reads_no_secret_at_start() {
        let auth_me = pc_accounts::functions::auth_me();
        let config = deployed_config(&auth_me, environment(false)).unwrap();
        assert!(config.secret_ids.is_empty() && config.secrets.held().is_empty());
        assert_eq!(config.jwt_public_keys().unwrap().len(), 1);
        // No secret to read: no Secrets Manager client, no call (this
        // process has no AWS settings, so any call would fail).
        let granting_nothing = async |config| AppContext::granting_nothing(config);
        let ctx = with_secrets(config, granting_nothing).await.unwrap();
        assert!(!ctx.config.secrets.holds(Secret::JwtSigningKey));

        let error = deployed_config(&auth_me, environment(true)).unwrap_err();
        assert_eq!(error, ConfigError::Missing("JWT_PUBLIC_KEYS"));

        // Sign-in holds the signing key, and checks its public half is listed.
        let sign_in = pc_accounts::functions::auth_sign_in();
        let config = deployed_config(&sign_in, environment(false)).unwrap();
        assert_eq!(config.secrets.held(), &[Secret::JwtSigningKey]);
        assert!(deployed_config(&sign_in, environment(true)).is_err());
        // A worker neither checks sessions nor needs the keys.
        let worker = pc_notify::functions::emails_worker();
        let config = deployed_config(&worker, environment(true)).unwrap();
        assert!(config.jwt_public_keys.is_empty() && config.secret_ids.is_empty());
    }
}
