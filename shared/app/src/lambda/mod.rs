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

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use axum::Router;
use futures::future::join_all;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tower_http::trace::TraceLayer;

use pc_accounts::client_ip::SourceIp;
use pc_api::functions::{Function, JobFn, StreamFn, Trigger, WorkerError, WorkerFn};
use pc_api::{AppState, router};
use pc_platform::AppContext;
use pc_platform::config::{Config, Mode};
use pc_platform::queue::{QueueMessage, QueueName};

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use pc_api::socket_functions::{BusRuleFn, SocketFn, SocketRoute};

use crate::jobs::{self, JOB_RUN_REQUESTED, JobRun};
use crate::socket_lambda::{handle_bus_rule, handle_socket};
use crate::stream::{StreamEvent, handle_stream};

/// The error a runner stops with (shown by Lambda as the init or invoke error).
pub type Error = lambda_runtime::Error;

/// The `source` of the events EventBridge Scheduler delivers to a target
/// without an explicit input.
pub const SCHEDULER_SOURCE: &str = "aws.scheduler";

/// SQS's attribute counting the deliveries of a message.
const RECEIVE_COUNT_ATTRIBUTE: &str = "ApproximateReceiveCount";

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
    pc_api::telemetry::init(true);
    let name = function.name;
    // One thread: a Lambda instance handles one event at a time, and a
    // multi-threaded runtime only costs start-up time and memory.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let config = Config::from_env(Mode::Lambda, &function.secrets()).inspect_err(|e| {
            tracing::error!(function = name, error = %e, "cannot start");
        })?;
        let ctx = Arc::new(ports(config).await);
        tracing::info!(function = name, kind = function.kind(), "cold start done");
        serve(ctx).await
    })
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

async fn run_worker(
    ctx: AppState,
    name: &'static str,
    queue: QueueName,
    worker: WorkerFn,
) -> Result<(), Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(handle_sqs(&ctx, name, queue, worker, event.payload).await) }
    }))
    .await
}

async fn run_schedule(ctx: AppState, name: &'static str, job: JobFn) -> Result<(), Error> {
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| {
            let ctx = ctx.clone();
            async move { handle_schedule(&ctx, name, job, event.payload).await }
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

/// The router of one HTTP function behind the HTTP API: its route with the
/// auth layer, and the layers every HTTP router gets.
pub fn http_app(ctx: &AppState, function: &Function) -> Router {
    router::with_common_layers(
        router::functions_router(ctx, std::slice::from_ref(function)),
        &ctx.config,
    )
    .layer(axum::middleware::map_request(vouched_source_ip))
}

/// Puts API Gateway's `requestContext.http.sourceIp` (the address it saw,
/// not anything the client wrote) on the request, for rate limits.
async fn vouched_source_ip<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    use lambda_http::request::RequestContext;
    let ip = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        _ => None,
    };
    if let Some(ip) = ip {
        request.extensions_mut().insert(SourceIp(ip));
    }
    request
}

/// The router of one webhook behind its function URL: the handler answers
/// any path (the URL is the function's own), with the raw body bytes
/// (lambda_http decodes a base64 function-URL body before it gets here).
pub fn webhook_app(ctx: &AppState, function: &Function) -> Router {
    router::webhook_router(ctx, function).layer(TraceLayer::new_for_http())
}

/// The worker's view of one SQS record; `None` without a message id.
pub fn queue_message(record: &SqsMessage) -> Option<QueueMessage> {
    Some(QueueMessage {
        id: record.message_id.clone()?,
        body: record.body.clone().unwrap_or_default(),
        receive_count: record
            .attributes
            .get(RECEIVE_COUNT_ATTRIBUTE)
            .and_then(|c| c.parse().ok())
            .unwrap_or(1),
    })
}

/// Runs `worker` on every message of the batch at once and answers the ids
/// of those that failed, so SQS retries only them (the event source mapping
/// has `ReportBatchItemFailures`). One message's failure never fails the
/// others. A poison message (see [`WorkerError`]) is sent to the dead-letter
/// queue of `queue` and acknowledged; if that send fails it is reported as
/// failed instead, so it is retried rather than lost.
pub async fn handle_sqs(
    ctx: &AppState,
    name: &str,
    queue: QueueName,
    worker: WorkerFn,
    event: SqsEvent,
) -> SqsBatchResponse {
    let outcomes = join_all(event.records.iter().map(|record| async move {
        let Some(message) = queue_message(record) else {
            tracing::error!(function = name, "SQS record without a message id");
            // An empty identifier makes Lambda retry the whole batch, the
            // only safe answer for a message that cannot be named.
            return Some(String::new());
        };
        match worker(ctx, &message).await {
            Ok(()) => None,
            Err(e) if e.is_poison() => dead_letter_poison(ctx, name, queue, &message, &e).await,
            Err(e) => {
                tracing::warn!(function = name, message_id = %message.id,
                    attempt = message.receive_count, error = %e, "worker failed");
                Some(message.id)
            }
        }
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = outcomes
        .into_iter()
        .flatten()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// Sends a poison message to its dead-letter queue; answers its id when
/// that fails, so SQS retries it. The body is never logged: it may hold
/// personal data.
async fn dead_letter_poison(
    ctx: &AppState,
    name: &str,
    queue: QueueName,
    message: &QueueMessage,
    error: &WorkerError,
) -> Option<String> {
    let reason = error.to_string();
    match ctx.queue.dead_letter(queue, &message.body, &reason).await {
        Ok(()) => {
            tracing::warn!(function = name, %queue, message_id = %message.id,
                reason, "poison message dead-lettered without retries");
            None
        }
        Err(e) => {
            tracing::error!(function = name, %queue, message_id = %message.id, reason,
                error = %e, "could not dead-letter a poison message; it will be retried");
            Some(message.id.clone())
        }
    }
}

/// Why a schedule function was invoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleInvocation {
    /// Its EventBridge Scheduler schedule fired.
    Scheduled,
    /// An owner asked for run `run_id` (the bus's `job-run-requested`).
    Requested { run_id: String },
}

/// Reads a schedule function's event: the scheduler's default event, or
/// `job-run-requested` for this job. Anything else is an error naming it.
pub fn schedule_invocation(
    name: &str,
    event: &EventBridgeEvent<Value>,
) -> Result<ScheduleInvocation, Error> {
    if event.detail_type == JOB_RUN_REQUESTED {
        let job = event.detail.get("job").and_then(Value::as_str);
        if job != Some(name) {
            return Err(format!("{JOB_RUN_REQUESTED} for job {job:?} reached {name}").into());
        }
        let run_id = event
            .detail
            .get("runId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| format!("{JOB_RUN_REQUESTED} without detail.runId"))?;
        return Ok(ScheduleInvocation::Requested {
            run_id: run_id.to_owned(),
        });
    }
    if event.source == SCHEDULER_SOURCE {
        return Ok(ScheduleInvocation::Scheduled);
    }
    Err(format!(
        "unexpected event for schedule {name}: source {}, detail-type {}",
        event.source, event.detail_type
    )
    .into())
}

/// Runs the job for a schedule event and answers the finished run; a run
/// that failed is an error too, so the invocation counts as failed.
pub async fn handle_schedule(
    ctx: &AppState,
    name: &str,
    job: JobFn,
    event: EventBridgeEvent<Value>,
) -> Result<JobRun, Error> {
    let run_id = match schedule_invocation(name, &event)? {
        ScheduleInvocation::Scheduled => None,
        ScheduleInvocation::Requested { run_id } => Some(run_id),
    };
    let run = jobs::execute(ctx, name, job, run_id.as_deref())
        .await
        .map_err(|e| format!("job {name} could not record its run: {e:?}"))?;
    if run.status == "failed" {
        return Err(format!(
            "job {name} run {} failed: {}",
            run.id,
            run.error.as_deref().unwrap_or("no error recorded")
        )
        .into());
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: Value) -> EventBridgeEvent<Value> {
        serde_json::from_value(json).unwrap()
    }

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

    #[test]
    fn schedule_events_are_told_apart() {
        let scheduled = event(serde_json::json!({
            "version": "0", "id": "1", "detail-type": "Scheduled Event",
            "source": "aws.scheduler", "account": "123456789012",
            "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/x"],
            "detail": "{}"
        }));
        assert_eq!(
            schedule_invocation("hubspot-sync", &scheduled).unwrap(),
            ScheduleInvocation::Scheduled
        );
        let requested = event(serde_json::json!({
            "detail-type": "job-run-requested", "source": "partner-connector",
            "detail": {"job": "hubspot-sync", "runId": "01J"}
        }));
        assert_eq!(
            schedule_invocation("hubspot-sync", &requested).unwrap(),
            ScheduleInvocation::Requested {
                run_id: "01J".into()
            }
        );
        let other_job = schedule_invocation("monthly-invoices", &requested).unwrap_err();
        assert!(other_job.to_string().contains("monthly-invoices"));
        let no_run = event(serde_json::json!({
            "detail-type": "job-run-requested", "source": "partner-connector",
            "detail": {"job": "hubspot-sync"}
        }));
        assert!(schedule_invocation("hubspot-sync", &no_run).is_err());
        let stranger = event(serde_json::json!({
            "detail-type": "lead-sold", "source": "partner-connector", "detail": {}
        }));
        assert!(
            schedule_invocation("hubspot-sync", &stranger)
                .unwrap_err()
                .to_string()
                .contains("lead-sold")
        );
    }

    #[tokio::test]
    async fn the_source_ip_is_api_gateways_never_a_header() {
        use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
        use lambda_http::request::RequestContext;
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some("203.0.113.9".into());
        let mut request = axum::http::Request::builder()
            .header("x-forwarded-for", "10.0.0.1")
            .body(())
            .unwrap();
        request
            .extensions_mut()
            .insert(RequestContext::ApiGatewayV2(context));
        let request = vouched_source_ip(request).await;
        assert_eq!(
            request.extensions().get::<SourceIp>(),
            Some(&SourceIp([203, 0, 113, 9].into()))
        );
        let bare = vouched_source_ip(axum::http::Request::new(())).await;
        assert_eq!(bare.extensions().get::<SourceIp>(), None);
    }
}
