//! The application context with every port on AWS, built from one
//! `SdkConfig` (loaded once per process, i.e. per Lambda cold start; it
//! honours `AWS_ENDPOINT_URL` for local endpoints). Each port's SDK client
//! is built at its first use ([`LazyClient`]).
//! Every `SdkConfig` made here carries [`https_client`] (compiled-in roots,
//! built at the first request): the SDK crates are built without their
//! default client (rustls on aws-lc, the system's roots).
//! This full context serves local runs against AWS-compatible servers
//! (moto), where neither Stripe nor HubSpot is reachable: payments and CRM
//! stay the fakes kept in the store (deployed functions build `pc-stripe`
//! and `pc-hubspot` instead).

use std::sync::{Arc, OnceLock};

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::SharedCredentialsProvider;
use pc_platform::clock::SystemClock;
use pc_platform::config::Config;
use pc_platform::crm::fake::FakeHubspot;
use pc_platform::ids::UlidIds;
use pc_platform::payments::fake::FakeStripe;
use pc_platform::{AppContext, AppState};

use crate::bus::EventBridgeBus;
use crate::email::SesEmail;
use crate::https::https_client;
use crate::lazy_client::LazyClient;
use crate::objects::S3Objects;
use crate::queue::SqsQueue;
use crate::store::DynamoStore;

/// The AWS settings of a Lambda function, from its environment: region
/// (`AWS_REGION`), the role's credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and `AWS_ENDPOINT_URL`
/// when set. Lambda gives nothing else, so the profile files, SSO, STS web
/// identity and instance metadata providers of `aws_config::load` are not
/// linked (about 0.5 MB of every binary).
///
/// Built once per process and shared: a function's secrets read
/// (`pc_host::lambda::with_secrets`) and its ports get the same settings,
/// hence one [`https_client`] (one TLS setup and connection pool) rather
/// than one each. A Lambda process runs one tokio runtime; a process that
/// drives the SDK from several runtimes in turn should build its own
/// settings ([`local_sdk_config`]), as pooled connections belong to the
/// runtime that opened them.
pub async fn load_sdk_config() -> SdkConfig {
    static SDK: OnceLock<SdkConfig> = OnceLock::new();
    SDK.get_or_init(sdk_config_from_env).clone()
}

fn sdk_config_from_env() -> SdkConfig {
    let mut sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(https_client());
    if let Ok(region) = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
    {
        sdk = sdk.region(Region::new(region));
    }
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
        sdk = sdk.endpoint_url(endpoint);
    }
    sdk.build()
}

/// AWS settings for a local AWS-compatible `endpoint` (moto's server):
/// the environment's region and credentials when set, else `us-east-1` and
/// fixed local credentials, which such servers accept.
pub async fn local_sdk_config(endpoint: &str) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .endpoint_url(endpoint);
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        loader = loader.region(Region::new("us-east-1"));
    }
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "local",
        ));
    }
    loader.load().await
}

/// The AWS context, with the handles a runner outside Lambda needs (the
/// SQS queue, to run workers with receive/ack/nack).
pub struct AwsParts {
    pub context: AppState,
    pub queue: Arc<SqsQueue>,
    pub store: Arc<DynamoStore>,
}

impl AwsParts {
    pub fn new(sdk: &SdkConfig, config: Config) -> Self {
        let (context, queue, store) = build(sdk, config);
        Self {
            context: Arc::new(context),
            queue,
            store,
        }
    }
}

fn build(sdk: &SdkConfig, config: Config) -> (AppContext, Arc<SqsQueue>, Arc<DynamoStore>) {
    let store = Arc::new(DynamoStore::new(
        LazyClient::from_sdk(sdk, aws_sdk_dynamodb::Client::new),
        &config.table_name,
    ));
    let queue = Arc::new(SqsQueue::from_config(
        LazyClient::from_sdk(sdk, aws_sdk_sqs::Client::new),
        &config,
    ));
    let clock = Arc::new(SystemClock);
    let stripe = FakeStripe::for_config(store.clone(), clock.clone(), &config);
    let hubspot = FakeHubspot::for_config(store.clone(), clock.clone(), &config);
    let context = AppContext {
        store: store.clone(),
        queue: queue.clone(),
        email: Arc::new(SesEmail::new(LazyClient::from_sdk(
            sdk,
            aws_sdk_ses::Client::new,
        ))),
        bus: Arc::new(EventBridgeBus::new(
            LazyClient::from_sdk(sdk, aws_sdk_eventbridge::Client::new),
            &config.event_bus_name,
        )),
        objects: Arc::new(S3Objects::new(
            LazyClient::from_sdk(sdk, s3_client),
            &config.uploads_bucket,
        )),
        payments: Arc::new(stripe),
        crm: Arc::new(hubspot),
        push: Arc::new(pc_platform::not_granted::NotGranted),
        clock,
        ids: Arc::new(UlidIds),
        config: Arc::new(config),
    };
    (context, queue, store)
}

/// An S3 client; a local endpoint (moto's server) is addressed by path,
/// as bucket host names do not resolve there.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let local = sdk.endpoint_url().is_some();
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(local)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The AWS context from an already loaded `SdkConfig`.
pub fn aws_context_with(sdk: &SdkConfig, config: Config) -> AppContext {
    build(sdk, config).0
}

/// The AWS context from the environment's AWS settings.
pub async fn aws_context(config: Config) -> AppContext {
    aws_context_with(&load_sdk_config().await, config)
}
