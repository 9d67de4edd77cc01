//! One deployed function's `events/` samples, fed to its handler in a
//! context with only the ports the function builds when deployed, after
//! the sample's placeholders are filled from a fresh [`SampleWorld`].

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use serde_json::Value;

use pc_host::lambda;
use pc_http::AppState;
use pc_http::functions::{Function, Trigger};
use pc_platform::EmbeddedParts;
use pc_platform::config::Config;
use pc_platform::not_granted::NotGranted;
use pc_platform::store::Store;

use super::SampleWorld;
use crate::{context, events_dir, invoke, parse_http, status};

/// HTTP samples that cannot succeed on a fresh world yet, with why: each
/// must still reach its handler (no 401/403 from the auth layer, no 5xx).
const NOT_YET_SUCCESSFUL: &[(&str, &str)] = &[
    (
        "meetings-get",
        "a meeting comes from the ChiliPiper webhook's worker; the sample world has none",
    ),
    (
        "billing-invoices-void",
        "voiding needs an open invoice at Stripe; the fake Stripe of a fresh context holds none",
    ),
];

/// HTTP samples whose success is a redirect, with what its `Location`
/// holds when the handler succeeded (a failure redirects too).
const REDIRECTS: &[(&str, &str)] = &[("integrations-hubspot-callback", "status=success")];

/// An embedded context over `store` with only the ports `function` builds
/// when deployed; the others refuse, as in Lambda.
fn deployed_context(function: &Function, store: Arc<dyn Store>) -> AppState {
    // Only the secrets the function is deployed with: a handler reaching
    // for an undeclared one fails here as it would in Lambda.
    let mut config = Config::local_defaults().holding_only(&function.secrets());
    // And the public keys of session tokens only where the template
    // gives them.
    if !function.checks_sessions() {
        config.jwt_public_keys.clear();
    }
    let mut ctx = EmbeddedParts::new(store, config).context;
    let parts = Arc::get_mut(&mut ctx).expect("a fresh context");
    let ports = function.ports();
    if !ports.store {
        parts.store = Arc::new(NotGranted);
    }
    if !ports.queue {
        parts.queue = Arc::new(NotGranted);
    }
    if !ports.email {
        parts.email = Arc::new(NotGranted);
    }
    if !ports.bus {
        parts.bus = Arc::new(NotGranted);
    }
    if !ports.objects {
        parts.objects = Arc::new(NotGranted);
    }
    if !ports.payments {
        parts.payments = Arc::new(NotGranted);
    }
    if !ports.crm {
        parts.crm = Arc::new(NotGranted);
    }
    if ports.push {
        // This process holds no socket: every connection answers gone.
        parts.push = Arc::new(pc_platform::realtime::LocalConnections::default());
    }
    ctx
}

/// The sample's expected outcome: 2xx, a redirect to success for a
/// redirecting endpoint, or for a known exception any answer past the auth
/// layer that is not a server error.
fn check_http_status(name: &str, response: &Value) -> Result<(), String> {
    let code = status(response);
    if let Some((_, outcome)) = REDIRECTS.iter().find(|(n, _)| *n == name) {
        let location = response["headers"]["location"].as_str().unwrap_or_default();
        return if (300..400).contains(&code) && location.contains(outcome) {
            Ok(())
        } else {
            Err(format!("{name}: no redirect to {outcome}: {response}"))
        };
    }
    match NOT_YET_SUCCESSFUL.iter().find(|(n, _)| *n == name) {
        None if (200..300).contains(&code) => Ok(()),
        Some(_) if code != 401 && code != 403 && code < 500 => Ok(()),
        _ => Err(format!("{name}: answered {response}")),
    }
}

/// An axum path in API Gateway's syntax (`{*rest}` → `{rest+}`).
fn gateway_path(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix("{*") {
            Some(rest) => format!("{{{}+}}", rest.trim_end_matches('}')),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Puts the items of `events/<name>.store.json` (a JSON array of store
/// items, placeholders filled), if any, so a sample can act on records
/// that exist: a worker message about an import task needs the task.
async fn seed_store(ctx: &AppState, world: &SampleWorld, name: &str) -> Result<(), String> {
    let path = events_dir().join(format!("{name}.store.json"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let text = world.fill(&text);
    let items: Vec<serde_json::Map<String, Value>> = serde_json::from_str(&text)
        .map_err(|e| format!("{name}: {name}.store.json is not an array of items: {e}"))?;
    for item in items {
        ctx.store
            .put(item, None)
            .await
            .map_err(|e| format!("{name}: {name}.store.json: {e}"))?;
    }
    Ok(())
}

/// One deployed function's samples, fed to its handler.
pub async fn check_samples(function: &Function) -> Result<(), String> {
    let name = function.name;
    let path = events_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .map_err(|_| format!("{name}: events/{name}.json is missing"))?;
    // The world is built with every port; the sample then runs with only
    // its function's.
    let world_ctx = context();
    let world = SampleWorld::build(&world_ctx)
        .await
        .map_err(|e| format!("{name}: building the sample world: {e}"))?;
    let text = world.fill(&text);
    let raw: Value = serde_json::from_str(&text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let ctx = deployed_context(function, world_ctx.store.clone());
    seed_store(&ctx, &world, name).await?;
    match function.trigger {
        Trigger::Http(_) => {
            let (method, route) = function
                .method_and_path()
                .expect("HTTP functions have a route");
            let expected_key = format!("{method} {}", gateway_path(&route));
            if raw["routeKey"].as_str() != Some(expected_key.as_str()) {
                return Err(format!(
                    "{name}: routeKey {} is not the function's route {expected_key} \
                     (fix the sample, or delete it and run `cargo run -p pc-infra -- generate`)",
                    raw["routeKey"]
                ));
            }
            let event = parse_http(name, &text);
            let response = invoke(lambda::http_app(&ctx, function), event).await;
            check_http_status(name, &response)?;
        }
        Trigger::Webhook(_) => {
            if raw["routeKey"] != "$default"
                || !raw["requestContext"]["domainName"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(".lambda-url.")
            {
                return Err(format!(
                    "{name}: a webhook sample must be a function URL event"
                ));
            }
            let event = parse_http(name, &text);
            let response = invoke(lambda::webhook_app(&ctx, function), event).await;
            check_http_status(name, &response)?;
        }
        Trigger::Queue(queue, worker) => {
            let event: SqsEvent = serde_json::from_str(&text)
                .map_err(|e| format!("{name}: not an SQS event: {e}"))?;
            if event.records.is_empty() {
                return Err(format!("{name}: the SQS sample has no record"));
            }
            let answer = lambda::handle_sqs(&ctx, name, queue, worker, event).await;
            if !answer.batch_item_failures.is_empty() {
                return Err(format!(
                    "{name}: the sample's messages failed (name a deliberately invalid sample {name}.invalid.json)"
                ));
            }
            let invalid = events_dir().join(format!("{name}.invalid.json"));
            if let Ok(text) = std::fs::read_to_string(&invalid) {
                let event: SqsEvent = serde_json::from_str(&text)
                    .map_err(|e| format!("{name}: invalid sample is not an SQS event: {e}"))?;
                // Refused: retried, or dead-lettered at once as poison.
                let ctx = context();
                let answer = lambda::handle_sqs(&ctx, name, queue, worker, event).await;
                let dead = ctx
                    .queue
                    .dead_letters(queue, 10)
                    .await
                    .map_err(|e| format!("{name}: cannot list dead letters: {e}"))?;
                if answer.batch_item_failures.is_empty() && dead.is_empty() {
                    return Err(format!("{name}: {name}.invalid.json was handled as valid"));
                }
            }
        }
        Trigger::Schedule(_, job) => {
            let event: EventBridgeEvent<Value> = serde_json::from_str(&text)
                .map_err(|e| format!("{name}: not an EventBridge event: {e}"))?;
            if event.source != lambda::SCHEDULER_SOURCE {
                return Err(format!("{name}: the sample must be the scheduler's event"));
            }
            let run = lambda::handle_schedule(&ctx, name, job, event)
                .await
                .map_err(|e| format!("{name}: {e}"))?;
            if run.status != "completed" || run.trigger != "schedule" {
                return Err(format!("{name}: run ended {run:?}"));
            }
        }
        Trigger::TableStream(_, handler) => {
            let event: pc_host::stream::StreamEvent = serde_json::from_str(&text)
                .map_err(|e| format!("{name}: not a DynamoDB stream event: {e}"))?;
            if event.records.is_empty() {
                return Err(format!("{name}: the stream sample has no record"));
            }
            let answer = pc_host::stream::handle_stream(&ctx, name, handler, event).await;
            if !answer.batch_item_failures.is_empty() {
                return Err(format!("{name}: the sample's records failed"));
            }
        }
        Trigger::Socket(route, handler) => {
            let event: ApiGatewayWebsocketProxyRequest = serde_json::from_str(&text)
                .map_err(|e| format!("{name}: not a WebSocket API event: {e}"))?;
            let answer =
                pc_host::socket_lambda::handle_socket(&ctx, name, route, handler, event).await;
            if !(200..300).contains(&answer.status_code) {
                return Err(format!("{name}: answered {}", answer.status_code));
            }
        }
        Trigger::BusRule(types, handler) => {
            let event: EventBridgeEvent<Value> = serde_json::from_str(&text)
                .map_err(|e| format!("{name}: not an EventBridge event: {e}"))?;
            if !types.contains(&event.detail_type.as_str()) {
                return Err(format!(
                    "{name}: the sample's detail-type is not one of its rule's"
                ));
            }
            pc_host::socket_lambda::handle_bus_rule(&ctx, name, handler, event)
                .await
                .map_err(|e| format!("{name}: {e}"))?;
        }
        Trigger::Dev(_) => {}
    }
    Ok(())
}
