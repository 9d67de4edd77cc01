//! The local dev server: the whole system in one process. Every HTTP
//! function on one port, the queue workers and schedules in process, the
//! outbox relayed right after each commit (and swept every minute), the
//! embedded store on disk under `DATA_DIR` (or, with `AWS_ENDPOINT_URL`, the
//! AWS adapters against that endpoint), the fake Stripe kept in the same
//! store (its signed webhook events delivered to the Stripe webhook function
//! in process), the dev-only routes, and the real-time events on `GET /ws`
//! ([`websocket`]).

pub mod aws;
pub mod hubspot_webhooks;
pub mod stripe_webhooks;
pub mod webhook_secrets;
pub mod websocket;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use pc_http::{AppState, openapi, router};
use pc_platform::EmbeddedParts;
use pc_platform::config::{Config, Mode, local_hubspot_callback_uri};
use pc_platform::objects::embedded::EmbeddedObjects;
use pc_platform::queue::faults::QueueFaults;
use pc_platform::realtime::LocalConnections;
use pc_platform::store::Store;
use pc_platform::store::embedded::EmbeddedStore;

use crate::catalog;
use crate::runner::drain::{Drain, Queues};
use crate::runner::in_flight::InFlight;
use crate::runner::scheduler::Schedules;

pub const DEFAULT_OWNER_EMAIL: &str = "owner@partner-connector.local";
pub const DEFAULT_OWNER_PASSWORD: &str = "Owner-Password-1";

/// Which adapters the dev server runs on.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The embedded store file under `data_dir` (`None`: in memory), the
    /// embedded queue and the store-backed mailbox.
    Embedded { data_dir: Option<PathBuf> },
    /// DynamoDB, SQS, SES and EventBridge at an AWS-compatible endpoint;
    /// queues are named with `queue_prefix`.
    Aws {
        endpoint: String,
        queue_prefix: String,
    },
}

/// How to start the dev server.
#[derive(Clone, Debug)]
pub struct Options {
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    pub backend: Backend,
    pub owner_email: String,
    pub owner_password: String,
    pub config: Config,
    /// When set, every queue send fails while it says so (tests of the
    /// outbox: a change survives an unavailable queue).
    pub queue_faults: Option<Arc<QueueFaults>>,
}

impl Options {
    /// From `PORT`, `DATA_DIR`, `DEV_OWNER_EMAIL`, `DEV_OWNER_PASSWORD` and
    /// the settings of docs/configuration.md, with local defaults.
    pub fn from_env() -> anyhow::Result<Self> {
        let port: u16 = std::env::var("PORT")
            .ok()
            .map(|p| p.parse().context("PORT must be a port number"))
            .transpose()?
            .unwrap_or(3000);
        let mut config = Config::from_env(Mode::Local, &[])?;
        // Plain-HTTP localhost: a Secure cookie would not come back.
        if std::env::var("COOKIE_SECURE").is_err() {
            config.cookie_secure = false;
        }
        // A developer points a webhook at a receiver on this machine.
        config.webhook_local_receivers = true;
        Ok(Self {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            backend: match std::env::var("AWS_ENDPOINT_URL") {
                Ok(endpoint) if !endpoint.is_empty() => Backend::Aws {
                    endpoint,
                    queue_prefix: std::env::var("QUEUE_PREFIX")
                        .unwrap_or_else(|_| "partner-connector-".into()),
                },
                _ => Backend::Embedded {
                    data_dir: Some(
                        std::env::var("DATA_DIR")
                            .unwrap_or_else(|_| "./.data".into())
                            .into(),
                    ),
                },
            },
            owner_email: std::env::var("DEV_OWNER_EMAIL")
                .unwrap_or_else(|_| DEFAULT_OWNER_EMAIL.into()),
            owner_password: std::env::var("DEV_OWNER_PASSWORD")
                .unwrap_or_else(|_| DEFAULT_OWNER_PASSWORD.into()),
            config,
            queue_faults: None,
        })
    }

    /// In memory on a free loopback port (tests).
    pub fn ephemeral() -> Self {
        let mut config = Config::local_defaults();
        config.cookie_secure = false;
        // Failed messages come back quickly, so dead-letter tests stay short.
        config.queue_retry_delay = std::time::Duration::from_millis(50);
        // Webhook retries follow the settable clock (the sweep), not real
        // minutes on the queue; local receivers are a test's own choice.
        config.webhook_retries_on_queue = false;
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            backend: Backend::Embedded { data_dir: None },
            owner_email: DEFAULT_OWNER_EMAIL.into(),
            owner_password: DEFAULT_OWNER_PASSWORD.into(),
            config,
            queue_faults: None,
        }
    }
}

/// A running dev server.
pub struct DevServer {
    pub addr: SocketAddr,
    pub context: AppState,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    drain: Drain,
}

/// The HTTP app of the whole system: every function, the docs, and (for
/// the dev server) the dev routes.
pub fn http_app(state: &AppState, with_dev_routes: bool) -> Router {
    let mut functions = catalog::all().to_vec();
    if with_dev_routes {
        functions.extend(crate::system::dev_functions());
    }
    let app = router::functions_router(state, &functions).merge(openapi::docs_router());
    router::with_common_layers(app, &state.config)
}

impl DevServer {
    pub async fn start(mut options: Options) -> anyhow::Result<Self> {
        // Bound first: the local URLs (the OAuth callback, the fake
        // HubSpot's consent page on the callback's origin) name the port
        // actually listened on, which `PORT` or port 0 decides.
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("listening on {}", options.listen))?;
        let addr = listener.local_addr()?;
        options
            .config
            .hubspot_redirect_uri
            .get_or_insert_with(|| local_hubspot_callback_uri(addr));
        let functions = catalog::all();
        let (shutdown, watch_shutdown) = watch::channel(false);
        let mut tasks = Vec::new();
        let in_flight = InFlight::default();
        let mut embedded_objects = None;
        let (context, local_bus, queues) = match &options.backend {
            Backend::Embedded { data_dir } => {
                let store: Arc<dyn Store> = match data_dir {
                    Some(dir) => {
                        Arc::new(EmbeddedStore::open(&dir.join("store.redb")).with_context(
                            || format!("opening the store under {}", dir.display()),
                        )?)
                    }
                    None => Arc::new(EmbeddedStore::in_memory()),
                };
                let objects = Arc::new(EmbeddedObjects::new(
                    data_dir.as_ref().map(|dir| dir.join("uploads")),
                ));
                embedded_objects = Some(objects.clone());
                let parts = EmbeddedParts::with_options(
                    store,
                    options.config.clone(),
                    options.queue_faults.clone(),
                    objects,
                );
                tasks.push(crate::runner::queue::spawn(
                    parts.context.clone(),
                    parts.queue.clone(),
                    functions,
                    in_flight.clone(),
                    watch_shutdown.clone(),
                ));
                (parts.context, parts.bus, Queues::Embedded(parts.queue))
            }
            Backend::Aws {
                endpoint,
                queue_prefix,
            } => {
                let sdk = pc_aws::local_sdk_config(endpoint).await;
                let backend = aws::start(
                    &sdk,
                    options.config.clone(),
                    queue_prefix,
                    options.queue_faults.clone(),
                )
                .await?;
                tasks.extend(crate::runner::sqs::spawn(
                    backend.context.clone(),
                    backend.queue.clone(),
                    functions,
                    in_flight.clone(),
                    watch_shutdown.clone(),
                ));
                (
                    backend.context,
                    backend.local_bus,
                    Queues::Sqs(backend.queue),
                )
            }
        };

        // The fake Stripe sends its events to the Stripe webhook functions.
        if let Some(stripe) = context.payments.fake() {
            stripe.deliver_to(Arc::new(stripe_webhooks::InProcessStripeWebhook {
                context: Arc::downgrade(&context),
                function: pc_billing::functions::billing_stripe_webhook,
            }));
            stripe.deliver_connect_to(Arc::new(stripe_webhooks::InProcessStripeWebhook {
                context: Arc::downgrade(&context),
                function: pc_billing::functions::billing_stripe_connect_webhook,
            }));
        }
        // The fake HubSpot sends its batches to the HubSpot webhook function.
        if let Some(hubspot) = context.crm.fake()
            && let Ok(origin) = url::Url::parse(&context.config.hubspot_callback_uri())
        {
            hubspot.deliver_to(Arc::new(hubspot_webhooks::InProcessHubspotWebhook {
                context: Arc::downgrade(&context),
                origin,
            }));
        }
        if pc_accounts::seed::seed_owner(&context, &options.owner_email, &options.owner_password)
            .await?
        {
            tracing::info!(email = %options.owner_email, "created the first owner account");
        }
        // Weak: the bus belongs to the context, and a strong reference
        // here would keep the context (and the store file) alive forever.
        let weak = Arc::downgrade(&context);
        let requested_runs = in_flight.clone();
        local_bus.subscribe(move |event| {
            let Some(ctx) = weak.upgrade() else { return };
            if event.detail_type != crate::jobs::JOB_RUN_REQUESTED {
                return;
            }
            let job = event.detail["job"].as_str().unwrap_or_default().to_owned();
            let run_id = event.detail["runId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let working = requested_runs.enter();
            tokio::spawn(async move {
                if let Some((_, run)) = crate::jobs::find_job(catalog::all(), &job)
                    && let Err(e) = crate::jobs::execute(&ctx, &job, run, Some(&run_id)).await
                {
                    tracing::error!(job, error = %e, "requested run failed to record");
                }
                // The context goes before the work is counted done (see `stop`).
                drop(ctx);
                drop(working);
            });
        });

        // The real-time events of the bus go out to the sockets of `/ws`.
        let sockets = Arc::new(LocalConnections::default());
        let weak = Arc::downgrade(&context);
        let local = sockets.clone();
        let broadcasts = in_flight.clone();
        local_bus.subscribe(move |event| {
            if pc_realtime::audience::audience_of(event).is_none() {
                return;
            }
            let Some(ctx) = weak.upgrade() else { return };
            let (event, local, working) = (event.clone(), local.clone(), broadcasts.enter());
            tokio::spawn(async move {
                if let Err(e) =
                    pc_realtime::broadcaster::broadcast(&*ctx.store, &*local, &event).await
                {
                    tracing::warn!(kind = %event.detail_type, error = %e, "broadcast failed");
                }
                drop(ctx);
                drop(working);
            });
        });

        subscribe_bus_rules(&local_bus, &context, functions, &in_flight);

        let schedules = Schedules::new(functions, context.clock.now());
        tasks.push(crate::runner::scheduler::spawn(
            context.clone(),
            schedules.clone(),
            in_flight.clone(),
            watch_shutdown.clone(),
        ));
        let drain = Drain {
            ctx: context.clone(),
            queues,
            schedules,
            in_flight,
            functions,
        };
        if let Some(objects) = &embedded_objects {
            objects.set_base_url(&format!("http://{addr}"));
        }
        let app = http_app(&context, true).merge(websocket::router(
            &context,
            sockets,
            watch_shutdown.clone(),
        ));
        let mut stop = watch_shutdown;
        tasks.push(tokio::spawn(async move {
            // The socket peer is the only client address the dev server can vouch for.
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "server stopped");
            }
        }));
        Ok(Self {
            addr,
            context,
            shutdown,
            tasks,
            drain,
        })
    }

    /// Runs everything pending to completion: due schedules, and queued
    /// messages until every queue is empty, with nothing in flight.
    pub async fn drain(&self) -> anyhow::Result<()> {
        self.drain.run().await
    }

    /// Stops serving and the runners, and waits for them and for the work
    /// they started (a scheduled run, a requested job run): once it
    /// returns nothing holds the context, so the store file is closed and
    /// a new server can open it.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.drain.in_flight.idle().await;
    }
}

/// Runs the bus rules of the table on the local bus, as EventBridge runs
/// them in AWS (the broadcaster aside: it pushes to the sockets of `/ws`,
/// subscribed above). A failed rule is logged; EventBridge would retry it.
fn subscribe_bus_rules(
    bus: &pc_platform::bus::InProcessBus,
    context: &AppState,
    functions: &'static [pc_http::functions::Function],
    in_flight: &InFlight,
) {
    for function in functions.iter().filter(|f| !f.permissions.pushes) {
        let pc_http::functions::Trigger::BusRule(types, handler) = function.trigger else {
            continue;
        };
        let (name, weak, rules) = (function.name, Arc::downgrade(context), in_flight.clone());
        bus.subscribe(move |event| {
            if !types.contains(&event.detail_type.as_str()) {
                return;
            }
            let Some(ctx) = weak.upgrade() else { return };
            let (event, working) = (event.clone(), rules.enter());
            tokio::spawn(async move {
                if let Err(e) = handler(&ctx, &event).await {
                    tracing::warn!(rule = name, kind = %event.detail_type, error = %e, "bus rule failed");
                }
                drop(ctx);
                drop(working);
            });
        });
    }
}
